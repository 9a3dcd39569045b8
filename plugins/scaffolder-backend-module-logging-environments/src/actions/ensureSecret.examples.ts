import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'The Loki S3 secret of an environment, in the default place',
    example: yaml.stringify({
      steps: [
        {
          id: 'secret',
          action: 'logging:secret:ensure',
          name: 'Loki S3 secret',
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
    description: 'A KMS-encrypted secret for an S3-compatible endpoint',
    example: yaml.stringify({
      steps: [
        {
          id: 'secret',
          action: 'logging:secret:ensure',
          name: 'Loki S3 secret',
          input: {
            environment: 'acme-stage',
            bucket: 'acme-stage-loki',
            region: 'eu-west-1',
            endpoint: 'https://s3.eu-west-1.amazonaws.com',
            kmsKeyId: 'alias/logging',
            tags: { 'cost-center': 'platform' },
          },
        },
      ],
    }),
  },
];
