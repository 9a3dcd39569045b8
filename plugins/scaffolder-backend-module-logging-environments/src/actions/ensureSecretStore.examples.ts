import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'The ClusterSecretStore the template rendered for environment acme-prod',
    example: yaml.stringify({
      steps: [
        {
          id: 'store',
          action: 'logging:secret-store:ensure',
          name: 'ClusterSecretStore',
          input: {
            environment: 'acme-prod',
            cluster: 'sandbox',
            manifest:
              'environments/acme-prod/bootstrap/cluster-secret-store.yaml',
            timeoutSeconds: 60,
          },
        },
      ],
    }),
  },
];
