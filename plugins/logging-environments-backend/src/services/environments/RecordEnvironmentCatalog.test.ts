import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  createTestStore,
  testRecord,
} from '../../database/__testUtils__/createTestStore';
import {
  RecordEnvironmentCatalog,
  readEnvironmentSettings,
} from './RecordEnvironmentCatalog';
import { APPROVER_GROUPS_ANNOTATION } from './recordMismatches';

function environmentEntity(
  name: string,
  annotations: Record<string, string> = {},
  extra: { owner?: string; title?: string } = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, namespace: 'default', title: extra.title, annotations },
    spec: {
      type: 'logging-environment',
      owner: extra.owner ?? 'platform-team',
    },
  };
}

const service = (
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
});

const entities: Entity[] = [
  // What the template renders for acme-prod: every annotation agrees.
  environmentEntity(
    'acme-prod',
    {
      'logging-environments.io/cluster': 'sandbox',
      'logging-environments.io/tier': 'production',
      'logging-environments.io/argocd-apps':
        'acme-prod-logging-infrastructure,acme-prod-logging-forwarder',
      'logging-environments.io/requester': 'user:default/requester',
      'logging-environments.io/bucket': 'acme-prod-loki',
    },
    { title: 'ACME production logging' },
  ),
  // An entity with no annotations at all: the record holds the facts.
  environmentEntity('team-a-dev', {}, { owner: 'group:default/team-a' }),
  // Someone registered an entity that says development and names
  // production's Applications: it has no record.
  environmentEntity('c1-dev', {
    'logging-environments.io/cluster': 'sandbox',
    'logging-environments.io/tier': 'development',
    'logging-environments.io/argocd-apps':
      'acme-prod-logging-infrastructure,acme-prod-logging-forwarder',
  }),
  // The entity of a real environment, edited to say something else.
  environmentEntity(
    'acme-stg',
    {
      'logging-environments.io/tier': 'development',
      'logging-environments.io/argocd-apps': 'other-infra,other-fwd',
      [APPROVER_GROUPS_ANNOTATION]: 'group:default/checkout-team',
    },
    { owner: 'group:default/checkout-team' },
  ),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name: 'some-bucket', namespace: 'default' },
    spec: { type: 's3-bucket', owner: 'platform-team' },
  },
  service('checkout', {
    'logging-environments.io/environment': 'acme-prod',
    'backstage.io/kubernetes-namespace': 'shop',
  }),
  service('lonely', {}),
  service('dangling', {
    'logging-environments.io/environment': 'resource:default/c1-dev',
  }),
];

describe('RecordEnvironmentCatalog', () => {
  const credentials = mockCredentials.user('user:default/alice');

  async function make(config: object = {}) {
    const { records } = await createTestStore();
    await records.create(testRecord({ name: 'acme-prod' }));
    await records.create(
      testRecord({
        name: 'team-a-dev',
        tier: 'development',
        cluster: 'dev-1',
        owner: 'group:default/team-a',
      }),
    );
    await records.create(
      testRecord({
        name: 'acme-stg',
        tier: 'staging',
        cluster: 'stg-1',
        extraApprovers: { 'configuration-review': ['group:default/sre'] },
      }),
    );
    // Claimed, its Applications not bound yet.
    await records.create(
      testRecord({ name: 'new-env', cluster: 'new-1', state: 'bootstrapping' }),
    );
    const catalog = new RecordEnvironmentCatalog({
      ...readEnvironmentSettings(
        new ConfigReader({
          loggingEnvironments: {
            gitops: { repoUrl: 'http://git.example.com/gitops.git' },
          },
          ...config,
        }),
      ),
      catalog: catalogServiceMock({ entities }),
      records,
    });
    return { catalog, records };
  }

  it('takes every fact from the record; the entity only titles it', async () => {
    const { catalog } = await make();
    const env = await catalog.get('resource:default/acme-prod', credentials);
    expect(env).toMatchObject({
      entityRef: 'resource:default/acme-prod',
      name: 'acme-prod',
      title: 'ACME production logging',
      tier: 'production',
      cluster: 'sandbox',
      project: 'acme-prod-logging',
      applications: {
        infrastructure: 'acme-prod-logging-infrastructure',
        forwarder: 'acme-prod-logging-forwarder',
      },
      applicationUids: {
        infrastructure: 'acme-prod-infra-uid',
        forwarder: 'acme-prod-fwd-uid',
      },
      owner: 'group:default/platform-team',
      requester: 'user:default/requester',
      bucket: 'acme-prod-loki',
      state: 'registered',
      gitops: { repoUrl: 'http://git.example.com/gitops.git', branch: 'main' },
    });
    expect(env.policy.tier).toBe('production');
    // An entity that carries no annotation is a view of its record too.
    const dev = await catalog.get('resource:default/team-a-dev', credentials);
    expect(dev).toMatchObject({ tier: 'development', cluster: 'dev-1' });
  });

  it('takes the tier policy from configuration', async () => {
    const { catalog } = await make({
      loggingEnvironments: {
        gitops: { repoUrl: 'http://git.example.com/gitops.git' },
        tiers: { production: { distinctApprovers: false } },
      },
    });
    const env = await catalog.get('resource:default/acme-prod', credentials);
    expect(env.policy.distinctApprovers).toBe(false);
    expect(env.policy.syncMode).toBe('manual');
  });

  it('refuses an entity without a record: the catalog alone never makes an environment', async () => {
    const { catalog } = await make();
    const attempt = catalog.get('resource:default/c1-dev', credentials);
    await expect(attempt).rejects.toThrow(NotFoundError);
    await expect(attempt).rejects.toThrow(
      'resource:default/c1-dev is not a registered logging environment: no trusted record exists for it',
    );
  });

  it('refuses an entity that disagrees with its record, naming each fact', async () => {
    const { catalog } = await make();
    const attempt = catalog.get('resource:default/acme-stg', credentials);
    await expect(attempt).rejects.toThrow(ConflictError);
    const message = await attempt.catch(e => e.message);
    expect(message).toContain(
      'resource:default/acme-stg does not match its record, so nothing acts on it',
    );
    expect(message).toContain(
      'annotation logging-environments.io/tier says "development", the record says "staging"',
    );
    expect(message).toContain(
      'annotation logging-environments.io/argocd-apps says "other-infra,other-fwd", the record says "acme-stg-logging-infrastructure,acme-stg-logging-forwarder"',
    );
    expect(message).toContain(
      'annotation logging-environments.io/approver-groups says "group:default/checkout-team", the record says "group:default/sre"',
    );
    expect(message).toContain(
      'spec.owner says "group:default/checkout-team", the record says "group:default/platform-team"',
    );
  });

  it('refuses entities that are not logging environments', async () => {
    const { catalog } = await make();
    await expect(
      catalog.get('resource:default/some-bucket', credentials),
    ).rejects.toThrow('is not a logging environment');
    await expect(
      catalog.get('resource:default/nope', credentials),
    ).rejects.toThrow(NotFoundError);
  });

  it('lists records whose entity is visible and matches, filtered by tier and owner', async () => {
    const { catalog } = await make();
    const all = await catalog.list(credentials);
    // c1-dev has no record, acme-stg does not match, new-env has no entity.
    expect(all.map(e => e.entityRef)).toEqual([
      'resource:default/acme-prod',
      'resource:default/team-a-dev',
    ]);
    expect(
      (await catalog.list(credentials, { tier: 'development' })).map(
        e => e.name,
      ),
    ).toEqual(['team-a-dev']);
    expect(
      (await catalog.list(credentials, { owner: 'team-a' })).map(e => e.name),
    ).toEqual(['team-a-dev']);
    const page = await catalog.page(credentials, {}, { limit: 1, offset: 0 });
    expect(page.items.map(e => e.name)).toEqual(['acme-prod']);
    expect(page.totalItems).toBe(4);
  });

  it('gives the scheduler only records whose Applications are bound, and loads records by ref', async () => {
    const { catalog } = await make();
    expect((await catalog.registered()).map(e => e.name).sort()).toEqual([
      'acme-prod',
      'acme-stg',
      'team-a-dev',
    ]);
    const [prod, missing, junk] = await catalog.byRefs([
      'resource:default/acme-prod',
      'resource:default/c1-dev',
      'not a ref at all ::',
    ]);
    expect(prod?.tier).toBe('production');
    expect(missing).toBeUndefined();
    expect(junk).toBeUndefined();
  });

  it('finds the environment a service names, and says why when it cannot', async () => {
    const { catalog } = await make();
    const found = await catalog.forService(
      'component:default/checkout',
      credentials,
    );
    expect(found.service).toEqual({
      entityRef: 'component:default/checkout',
      namespace: 'shop',
    });
    expect(found.environment?.name).toBe('acme-prod');
    expect(
      await catalog.forService('component:default/lonely', credentials),
    ).toEqual({ service: { entityRef: 'component:default/lonely' } });
    await expect(
      catalog.forService('component:default/dangling', credentials),
    ).rejects.toThrow(
      'component:default/dangling names logging environment resource:default/c1-dev (annotation logging-environments.io/environment): resource:default/c1-dev is not a registered logging environment',
    );
  });
});
