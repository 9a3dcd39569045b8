import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Check a production environment request before anything is created',
    example: yaml.stringify({
      steps: [
        {
          id: 'validate',
          action: 'logging:environment:validate',
          name: 'Validate the request',
          input: {
            name: 'acme-prod',
            tier: 'production',
            cluster: 'sandbox',
            region: 'us-east-2',
            bucketName: 'acme-prod-loki',
            owner: 'group:default/platform-team',
            approverGroups: ['group:default/sre-leads'],
            retentionDays: 30,
            lokiSize: '1x.small',
            tlsStrategy: 'system-ca',
            requiredSecrets: ['awsAccessKeyId', 'awsSecretAccessKey'],
          },
        },
      ],
    }),
  },
  {
    description:
      "Pre-flight before the bootstrap: with the External Secrets keys in the task's secret fields awsAccessKeyId and awsSecretAccessKey, validate also checks who they are and that they may read logging/<name>/*, the portal's own AWS and cluster access, and that the cluster is free (a dry-run claim); it fails in seconds naming the field, with nothing created",
    example: yaml.stringify({
      steps: [
        {
          id: 'validate',
          action: 'logging:environment:validate',
          name: 'Check the request and what the bootstrap needs',
          input: {
            name: 'acme-stage',
            tier: 'staging',
            cluster: 'staging',
            region: 'us-east-2',
            owner: 'group:default/platform-team',
            requiredSecrets: ['awsAccessKeyId', 'awsSecretAccessKey'],
          },
        },
      ],
    }),
  },
  {
    description: 'A development environment with the derived bucket name',
    example: yaml.stringify({
      steps: [
        {
          id: 'validate',
          action: 'logging:environment:validate',
          name: 'Validate the request',
          input: {
            name: 'team-a-dev',
            tier: 'development',
            cluster: 'sandbox',
            region: 'eu-west-1',
          },
        },
      ],
    }),
  },
];
