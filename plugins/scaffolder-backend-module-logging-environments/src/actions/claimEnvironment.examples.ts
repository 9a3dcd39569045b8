import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Claim a new production environment for the person running the task',
    example: yaml.stringify({
      steps: [
        {
          id: 'claim',
          action: 'logging:environment:claim',
          name: 'Claim the environment',
          input: {
            name: 'acme-prod',
            tier: 'production',
            cluster: 'sandbox',
            owner: 'group:default/platform-team',
            region: 'us-east-2',
            bucketName: 'acme-prod-loki',
          },
        },
      ],
    }),
  },
  {
    description:
      'A staging environment whose configuration review a second group may also give (when configuration marks that role extendable)',
    example: yaml.stringify({
      steps: [
        {
          id: 'claim',
          action: 'logging:environment:claim',
          name: 'Claim the environment',
          input: {
            name: 'acme-staging',
            tier: 'staging',
            cluster: 'staging',
            owner: 'group:default/platform-team',
            region: 'us-east-2',
            bucketName: 'acme-staging-loki',
            approverGroups: ['group:default/sre-leads'],
          },
        },
      ],
    }),
  },
];
