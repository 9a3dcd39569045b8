import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Loki's IAM user and its access key, stored in the default secret",
    example: yaml.stringify({
      steps: [
        {
          id: 'iam',
          action: 'logging:iam:ensure',
          name: 'IAM for Loki',
          input: {
            environment: 'acme-prod',
            bucket: 'acme-prod-loki',
            region: 'us-east-2',
          },
        },
      ],
    }),
  },
  {
    description: 'Rotate the access key (runbook), keeping everything else',
    example: yaml.stringify({
      steps: [
        {
          id: 'rotate',
          action: 'logging:iam:ensure',
          name: 'Rotate the Loki access key',
          input: {
            environment: 'acme-prod',
            bucket: 'acme-prod-loki',
            region: 'us-east-2',
            rotateAccessKey: true,
          },
        },
      ],
    }),
  },
];
