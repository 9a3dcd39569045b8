import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createFetchTemplateAction } from '@backstage/plugin-scaffolder-backend';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './kustomize';

/** Values the template's render step passes to the skeleton. */
export interface SkeletonValues {
  name: string;
  tier: 'development' | 'staging' | 'production';
  cluster: string;
  region: string;
  repoUrl: string;
  owner?: string;
  bucket?: string;
  secretName?: string;
  targetRevision?: string;
  requester?: string;
  tlsStrategy?: string;
}

/**
 * Renders the template's skeleton into `workspace/environments/<name>` with
 * the scaffolder's own fetch:template (real Nunjucks, real file handling).
 */
export async function renderSkeleton(workspace: string, v: SkeletonValues) {
  const action = createFetchTemplateAction({
    reader: {
      readUrl: async () => {
        throw new Error('no URL reads');
      },
    } as any,
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
  });
  const ctx = createMockActionContext({
    workspacePath: workspace,
    input: {
      url: './skeleton',
      targetPath: `./environments/${v.name}`,
      values: {
        owner: 'group:default/platform-team',
        bucket: `${v.name}-loki`,
        secretName: `logging/${v.name}/loki-s3`,
        targetRevision: 'main',
        requester: 'user:default/requester',
        tlsStrategy: 'system-ca',
        gitopsPath: `environments/${v.name}`,
        argocdNamespace: 'openshift-gitops',
        ...v,
      },
    },
    templateInfo: {
      entityRef: 'template:default/logging-environment',
      baseUrl: pathToFileURL(
        join(REPO_ROOT, 'templates/logging-environment/template.yaml'),
      ).toString(),
    },
  });
  await action.handler(ctx as any);
}
