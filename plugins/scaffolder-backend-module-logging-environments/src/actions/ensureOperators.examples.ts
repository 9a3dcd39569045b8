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
];
