import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Register the production Applications the template rendered, unsynced',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'logging:argocd:register',
          name: 'Register with Argo CD',
          input: {
            environment: 'acme-prod',
            cluster: 'sandbox',
            manifests: [
              'environments/acme-prod/argocd/appproject.yaml',
              'environments/acme-prod/argocd/applications.yaml',
            ],
          },
        },
      ],
    }),
  },
];
