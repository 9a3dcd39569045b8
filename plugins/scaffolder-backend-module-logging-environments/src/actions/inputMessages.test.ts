import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createApplyClusterCredentialsAction } from './applyClusterCredentials';
import { createClaimEnvironmentAction } from './claimEnvironment';
import { createEnsureBucketAction } from './ensureBucket';
import { createEnsureIamAction } from './ensureIam';
import { createEnsureOperatorsAction } from './ensureOperators';
import { createEnsureSecretAction } from './ensureSecret';
import { createEnsureSecretStoreAction } from './ensureSecretStore';
import { createPublishGitopsAction } from './publishGitops';
import { createRegisterArgoCdAction } from './registerArgoCd';

/**
 * Dependencies that fail the test if reached: a bad name must be refused
 * before any of them is asked.
 */
const unreachable: any = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error('reached a dependency');
    },
  },
);
const gitops = { repoUrl: 'http://git.example.com/gitops.git', branch: 'main' };

const actions = [
  createClaimEnvironmentAction({ records: unreachable }),
  createPublishGitopsAction({ gitops, records: unreachable }),
  createEnsureBucketAction({ aws: unreachable, records: unreachable }),
  createEnsureIamAction({ aws: unreachable, records: unreachable }),
  createEnsureSecretAction({ aws: unreachable, records: unreachable }),
  createApplyClusterCredentialsAction({
    clusters: unreachable,
    records: unreachable,
  }),
  createEnsureSecretStoreAction({
    clusters: unreachable,
    records: unreachable,
  }),
  createEnsureOperatorsAction({
    clusters: unreachable,
    records: unreachable,
  }),
  createRegisterArgoCdAction({
    clusters: unreachable,
    records: unreachable,
    gitops,
    argoCd: unreachable,
  }),
];

describe('action inputs in words', () => {
  it.each(actions.map(a => [a.id, a]))(
    '%s: its input schema has no pattern (the scaffolder would show the regular expression)',
    (_id, action) => {
      expect(JSON.stringify(action.schema?.input)).not.toContain('"pattern"');
    },
  );

  it.each(actions.map(a => [a.id, a]))(
    '%s: refuses a bad environment name in words, before anything else',
    async (id, action) => {
      const field = id === 'logging:environment:claim' ? 'name' : 'environment';
      const ctx = createMockActionContext({
        input: {
          [field]: '../Acme_Prod',
          name: '../Acme_Prod',
          environment: '../Acme_Prod',
          tier: 'production',
          cluster: 'sandbox',
          owner: 'group:default/platform-team',
          region: 'us-east-2',
          bucket: 'acme-prod-loki',
          bucketName: 'acme-prod-loki',
          sourcePath: '.',
        },
        secrets: {
          awsAccessKeyId: 'AKIAEXAMPLEEXAMPLE01',
          awsSecretAccessKey: 'example-secret-access-key',
        },
      });
      const error = await (action as any).handler(ctx).catch((e: any) => e);
      expect(error?.name).toBe('InputError');
      expect(error.message).toContain(
        `Invalid input to ${id}: ${field}: must be a DNS-1123 label`,
      );
      expect(error.message).not.toMatch(/\^\[a-z0-9\]/);
    },
  );

  it('names region and bucket rules in words', async () => {
    const action = createEnsureBucketAction({
      aws: unreachable,
      records: unreachable,
    });
    const ctx = createMockActionContext({
      input: {
        environment: 'acme-prod',
        region: 'US East',
        bucket: 'acme.prod',
      },
    });
    const error = await action.handler(ctx as any).catch(e => e);
    expect(error.message).toContain('region: must be an AWS region');
    expect(error.message).toContain(
      'bucket: must not contain "." (it breaks TLS for virtual-hosted buckets)',
    );
  });
});
