import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Publish a rendered environment to the GitOps repository's branch",
    example: yaml.stringify({
      steps: [
        {
          id: 'publish',
          action: 'logging:gitops:publish',
          name: 'Publish to the GitOps repository',
          input: {
            environment: 'acme-prod',
            sourcePath: 'environments/acme-prod',
            commitMessage: 'Add logging environment acme-prod',
          },
        },
      ],
    }),
  },
];
