import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { DEFAULT_TIER_POLICIES } from '@internal/plugin-logging-environments-common';
import {
  APPROVER_GROUPS_ANNOTATION,
  CatalogEnvironmentCatalog,
} from './CatalogEnvironmentCatalog';

function environment(
  name: string,
  annotations: Record<string, string> = {},
  extra: { owner?: string; namespace?: string; title?: string } = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      title: extra.title,
      annotations: {
        'logging-environments.io/cluster': 'sandbox',
        'logging-environments.io/tier': 'production',
        'logging-environments.io/region': 'us-east-1',
        ...annotations,
      },
    },
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
  environment(
    'acme-prod',
    {
      'logging-environments.io/argocd-apps':
        'acme-prod-logging-infrastructure,acme-prod-logging-forwarder',
      'logging-environments.io/requester': 'user:default/requester',
      [APPROVER_GROUPS_ANNOTATION]: 'group:default/sre, team-leads',
    },
    { title: 'acme-prod logging' },
  ),
  environment(
    'team-a-dev',
    { 'logging-environments.io/tier': 'development' },
    { owner: 'group:default/team-a' },
  ),
  environment('broken', { 'logging-environments.io/tier': 'qa' }),
  environment('bad-groups', {
    [APPROVER_GROUPS_ANNOTATION]: 'user:default/bob,,',
  }),
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
    'logging-environments.io/environment': 'resource:default/nope',
  }),
];

describe('CatalogEnvironmentCatalog', () => {
  const credentials = mockCredentials.user('user:default/alice');
  const make = (config: object = {}) =>
    CatalogEnvironmentCatalog.fromConfig(new ConfigReader(config), {
      catalog: catalogServiceMock({ entities }),
    });

  it('reads an environment with its policy and approver groups', async () => {
    const env = await make().get('resource:default/acme-prod', credentials);
    expect(env).toEqual({
      entityRef: 'resource:default/acme-prod',
      name: 'acme-prod',
      title: 'acme-prod logging',
      owner: 'group:default/platform-team',
      tier: 'production',
      cluster: 'sandbox',
      namespace: 'openshift-logging',
      argocdNamespace: 'openshift-gitops',
      applications: {
        infrastructure: 'acme-prod-logging-infrastructure',
        forwarder: 'acme-prod-logging-forwarder',
      },
      region: 'us-east-1',
      bucket: undefined,
      secret: undefined,
      gitopsPath: undefined,
      requester: 'user:default/requester',
      policy: DEFAULT_TIER_POLICIES.production,
      approverGroups: ['group:default/sre', 'group:default/team-leads'],
    });
  });

  it('applies configured tier overrides', async () => {
    const env = await make({
      loggingEnvironments: {
        tiers: { development: { requesterMayApprove: false } },
      },
    }).get('resource:default/team-a-dev', credentials);
    expect(env.policy).toEqual({
      ...DEFAULT_TIER_POLICIES.development,
      requesterMayApprove: false,
    });
  });

  it('passes the caller credentials to the catalog', async () => {
    const catalog = catalogServiceMock.mock({
      getEntityByRef: async () => entities[0],
      getEntities: async () => ({ items: [entities[0]] }),
    });
    const environments = CatalogEnvironmentCatalog.fromConfig(
      new ConfigReader({}),
      { catalog },
    );
    await environments.get('acme-prod', credentials);
    await environments.list(credentials);
    expect(catalog.getEntityByRef).toHaveBeenCalledWith(
      { kind: 'resource', namespace: 'default', name: 'acme-prod' },
      { credentials },
    );
    expect(catalog.getEntities).toHaveBeenCalledWith(expect.anything(), {
      credentials,
    });
  });

  it('says NotFound for an unknown entity and a non-environment', async () => {
    await expect(
      make().get('resource:default/nope', credentials),
    ).rejects.toThrow(
      new NotFoundError('No logging environment resource:default/nope'),
    );
    await expect(
      make().get('resource:default/some-bucket', credentials),
    ).rejects.toThrow(NotFoundError);
    await expect(
      make().get('component:default/checkout', credentials),
    ).rejects.toThrow(/is not a logging environment/);
  });

  it('names the bad annotations of a broken environment', async () => {
    const broken = make().get('resource:default/broken', credentials);
    await expect(broken).rejects.toThrow(InputError);
    await expect(broken).rejects.toThrow(
      'annotation logging-environments.io/tier must be development, staging or production, not "qa"',
    );
    await expect(
      make().get('resource:default/bad-groups', credentials),
    ).rejects.toThrow(
      'annotation logging-environments.io/approver-groups: "user:default/bob" is a user, not a Group',
    );
    await expect(make().get('resource:default/', credentials)).rejects.toThrow(
      InputError,
    );
  });

  it('lists usable environments, filtered by owner and tier', async () => {
    const environments = make();
    expect(
      (await environments.list(credentials)).map(e => e.entityRef),
    ).toEqual(['resource:default/acme-prod', 'resource:default/team-a-dev']);
    expect(
      (
        await environments.list(credentials, {
          owner: 'group:default/team-a',
        })
      ).map(e => e.name),
    ).toEqual(['team-a-dev']);
    expect(
      (await environments.list(credentials, { owner: 'platform-team' })).map(
        e => e.name,
      ),
    ).toEqual(['acme-prod']);
    expect(
      (await environments.list(credentials, { tier: 'development' })).map(
        e => e.name,
      ),
    ).toEqual(['team-a-dev']);
  });

  it('pages environments through the catalog, in entity ref order', async () => {
    const many = Array.from({ length: 7 }, (_, i) =>
      environment(`env-${i}`, {}, { namespace: i % 2 ? 'team-b' : 'default' }),
    );
    // (An entity that is not a valid environment leaves its page one short.)
    const valid = entities.filter(e => e.metadata.name !== 'bad-groups');
    const catalog = catalogServiceMock({ entities: [...valid, ...many] });
    const spy = jest.spyOn(catalog, 'queryEntities');
    const environments = CatalogEnvironmentCatalog.fromConfig(
      new ConfigReader({}),
      { catalog },
    );
    const first = await environments.page(
      credentials,
      { tier: 'production' },
      { limit: 3, offset: 0 },
    );
    const second = await environments.page(
      credentials,
      { tier: 'production' },
      { limit: 3, offset: 3 },
    );
    const all = (
      await environments.list(credentials, { tier: 'production' })
    ).map(e => e.entityRef);
    // The catalog does the paging; pages follow one another in order.
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[1][0]).toMatchObject({ limit: 3, offset: 3 });
    expect([...first.items, ...second.items].map(e => e.entityRef)).toEqual(
      all.slice(0, 6),
    );
    expect(first.totalItems).toBe(all.length);
  });

  it('finds the environment and namespace of a service', async () => {
    const environments = make();
    const found = await environments.forService(
      'component:default/checkout',
      credentials,
    );
    expect(found.service).toEqual({
      entityRef: 'component:default/checkout',
      namespace: 'shop',
    });
    expect(found.environment?.entityRef).toBe('resource:default/acme-prod');

    expect(await environments.forService('lonely', credentials)).toEqual({
      service: { entityRef: 'component:default/lonely', namespace: undefined },
    });
    await expect(
      environments.forService('component:default/ghost', credentials),
    ).rejects.toThrow(NotFoundError);
    await expect(
      environments.forService('component:default/dangling', credentials),
    ).rejects.toThrow(
      'component:default/dangling names logging environment resource:default/nope (annotation logging-environments.io/environment): No logging environment resource:default/nope',
    );
  });
});
