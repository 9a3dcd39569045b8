import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Register the published environment in the catalog',
    example: yaml.stringify({
      steps: [
        {
          id: 'catalog',
          action: 'logging:catalog:register',
          name: 'Register in the catalog',
          input: {
            catalogInfoUrl:
              'https://github.com/acme/gitops/blob/main/environments/acme-prod/catalog-info.yaml',
          },
        },
      ],
    }),
  },
];
