import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Install the Loki and Cluster Logging operators on channel stable-6.2',
    example: yaml.stringify({
      steps: [
        {
          id: 'operators',
          action: 'logging:operators:ensure',
          name: 'Operators',
          input: {
            environment: 'acme-prod',
            cluster: 'sandbox',
            operators: ['loki', 'logging'],
            channels: { loki: 'stable-6.2', logging: 'stable-6.2' },
            timeoutSeconds: 120,
          },
        },
      ],
    }),
  },
  {
    description:
      "Install External Secrets in the cluster's flavour (configuration `externalSecretsFlavour`, community by default) and create the OperatorConfig or ExternalSecretsConfig its operator needs before it deploys a controller",
    example: yaml.stringify({
      steps: [
        {
          id: 'external-secrets',
          action: 'logging:operators:ensure',
          name: 'External Secrets',
          input: {
            environment: 'acme-prod',
            cluster: 'sandbox',
            operators: ['externalSecrets'],
            timeoutSeconds: 120,
          },
        },
      ],
    }),
  },
];
