import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Create (or adopt) the Loki bucket of a production environment, SSE-S3 encrypted',
    example: yaml.stringify({
      steps: [
        {
          id: 'bucket',
          action: 'logging:bucket:ensure',
          name: 'S3 bucket for Loki',
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
    description:
      'Encrypt with a KMS key and keep noncurrent versions for 90 days',
    example: yaml.stringify({
      steps: [
        {
          id: 'bucket',
          action: 'logging:bucket:ensure',
          name: 'S3 bucket for Loki',
          input: {
            environment: 'acme-stage',
            bucket: 'acme-stage-loki',
            region: 'eu-west-1',
            kmsKeyId:
              'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            noncurrentVersionExpirationDays: 90,
            tags: { 'cost-center': 'platform' },
          },
        },
      ],
    }),
  },
];
