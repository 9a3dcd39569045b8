import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'The External Secrets credentials from the template secret fields awsAccessKeyId and awsSecretAccessKey',
    example: yaml.stringify({
      steps: [
        {
          id: 'credentials',
          action: 'logging:cluster-credentials:apply',
          name: 'Cluster credentials for External Secrets',
          input: { environment: 'acme-prod', cluster: 'sandbox' },
        },
      ],
    }),
  },
  {
    description:
      'Rotation: replace the External Secrets credentials already on the cluster with new ones from the secret fields',
    example: yaml.stringify({
      steps: [
        {
          id: 'credentials',
          action: 'logging:cluster-credentials:apply',
          name: 'Rotate the External Secrets credentials',
          input: { environment: 'acme-prod', cluster: 'sandbox', rotate: true },
        },
      ],
    }),
  },
];
