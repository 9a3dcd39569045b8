import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Sync a development environment right after registration',
    example: yaml.stringify({
      steps: [
        {
          id: 'sync',
          action: 'logging:argocd:sync',
          name: 'First sync',
          input: {
            cluster: 'sandbox',
            applications: ['team-a-dev-logging-infrastructure'],
            revision: 'main',
          },
        },
      ],
    }),
  },
];
