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
          input: { cluster: 'sandbox' },
        },
      ],
    }),
  },
];
