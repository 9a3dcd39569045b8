import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ClusterClient,
  ConfigClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import { createTestStore } from '../../database/__testUtils__/createTestStore';
import { readTierPolicies } from '../environments/tierPolicies';
import {
  DefaultEnvironmentRecordService,
  RecordCaller,
} from './DefaultEnvironmentRecordService';

const REPO = 'http://git.example.com/gitops.git';

const requester: RecordCaller = {
  userEntityRef: 'user:default/requester',
  ownershipEntityRefs: [
    'user:default/requester',
    'group:default/platform-team',
  ],
  mayCreate: true,
};
const teammate: RecordCaller = {
  userEntityRef: 'user:default/teammate',
  ownershipEntityRefs: ['user:default/teammate', 'group:default/platform-team'],
  mayCreate: true,
};
const viewer: RecordCaller = {
  userEntityRef: 'user:default/viewer',
  ownershipEntityRefs: ['user:default/viewer', 'group:default/checkout-team'],
  mayCreate: true,
};
const admin: RecordCaller = {
  userEntityRef: 'user:default/admin',
  ownershipEntityRefs: ['user:default/admin', 'group:default/platform-admins'],
  mayCreate: true,
  mayAdminister: true,
};

const request = {
  name: 'acme-prod',
  tier: 'production',
  cluster: 'prod-1',
  owner: 'group:default/platform-team',
  region: 'us-east-2',
  bucket: 'acme-prod-loki',
};

/** The Argo CD objects a cluster holds, as the bootstrap registers them. */
function registered(name: string, uid = `${name}-uid`): any[] {
  const meta = (n: string) => ({
    name: n,
    namespace: 'openshift-gitops',
    uid: `${uid}-${n}`,
    labels: {
      'app.kubernetes.io/part-of': 'logging-environments',
      'logging-environments.io/environment': name,
    },
  });
  const app = (role: string) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: meta(`${name}-logging-${role}`),
    spec: {
      project: `${name}-logging`,
      source: {
        repoURL: REPO,
        path: `environments/${name}/${role}`,
        targetRevision: 'main',
      },
      destination: {
        server: 'https://kubernetes.default.svc',
        namespace: 'openshift-logging',
      },
    },
  });
  return [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: meta(`${name}-logging`),
      spec: {
        sourceRepos: [REPO],
        destinations: [
          {
            server: 'https://kubernetes.default.svc',
            namespace: 'openshift-logging',
          },
        ],
      },
    },
    app('infrastructure'),
    app('forwarder'),
  ];
}

/** A cluster's Argo CD namespace, as far as the service reads it. */
function fakeCluster(objects: any[]) {
  return {
    async get(ref: { kind: string; name: string }) {
      return objects.find(
        o => o.kind === ref.kind && o.metadata.name === ref.name,
      );
    },
    async list(_apiVersion: string, kind: string) {
      return objects.filter(o => o.kind === kind);
    },
  } as unknown as ClusterClient;
}

async function setup(config: object = {}) {
  const { store, records } = await createTestStore();
  const clusters: Record<string, any[]> = { 'prod-1': [], 'prod-2': [] };
  const service = new DefaultEnvironmentRecordService({
    records,
    history: store,
    clusters: ConfigClusterRegistry.fromConfig(
      new ConfigReader({
        loggingEnvironments: {
          clusters: Object.keys(clusters).map(name => ({
            name,
            url: `https://api.${name}.example.com:6443`,
          })),
        },
      }),
    ),
    clusterClient: name => fakeCluster(clusters[name]),
    policies: readTierPolicies(new ConfigReader(config)),
    administrators: ['group:default/platform-admins'],
    gitops: { repoUrl: REPO, branch: 'main' },
    logger: mockServices.logger.mock(),
  });
  return { service, store, records, clusters };
}

describe('DefaultEnvironmentRecordService', () => {
  describe('claim', () => {
    it('records a new environment with the caller as its requester, and a history entry', async () => {
      const { service, store } = await setup();
      const { record, created } = await service.claim(request, requester);
      expect(created).toBe(true);
      expect(record).toMatchObject({
        entityRef: 'resource:default/acme-prod',
        tier: 'production',
        cluster: 'prod-1',
        owner: 'group:default/platform-team',
        requester: 'user:default/requester',
        project: 'acme-prod-logging',
        secret: 'logging/acme-prod/loki-s3',
        state: 'bootstrapping',
      });
      expect(
        (await store.listHistory(record.entityRef)).map(e => e.message),
      ).toEqual([
        'Claimed as a production environment on cluster prod-1, owned by group:default/platform-team, requested by user:default/requester',
      ]);
    });

    it('writes nothing in a dry run', async () => {
      const { service, records } = await setup();
      const { created } = await service.claim(request, requester, {
        dryRun: true,
      });
      expect(created).toBe(true);
      expect(await records.list()).toEqual([]);
    });

    it('names every bad field at once', async () => {
      const { service } = await setup();
      const attempt = service.claim(
        {
          ...request,
          name: 'Acme',
          tier: 'qa',
          cluster: 'nowhere',
          owner: 'user:default/bob',
          region: 'mars',
          bucket: 'a.b',
        },
        requester,
      );
      await expect(attempt).rejects.toThrow(InputError);
      const message = await attempt.catch(e => e.message);
      for (const field of [
        'name: must be a DNS-1123 label',
        'tier: must be one of development, staging, production',
        'cluster: must be a configured cluster (prod-1, prod-2)',
        'owner: "user:default/bob" is a user, not a Group',
        'region: ',
        'bucketName: ',
      ]) {
        expect(message).toContain(field);
      }
    });

    it('creates only with the create permission, for a group the caller belongs to', async () => {
      const { service } = await setup();
      await expect(
        service.claim(request, { ...requester, mayCreate: false }),
      ).rejects.toThrow(
        'you may not create logging environments (the permission logging.environment.create is not granted to you)',
      );
      await expect(service.claim(request, viewer)).rejects.toThrow(
        'owner: you are not a member of group:default/platform-team; an environment can be created only for a group you belong to',
      );
      await expect(
        service.claim(
          { ...request, requester: 'user:default/ghost' },
          requester,
        ),
      ).rejects.toThrow(NotAllowedError);
    });

    it('keeps one environment per cluster and per bucket', async () => {
      const { service } = await setup();
      await service.claim(request, requester);
      await expect(
        service.claim(
          { ...request, name: 'other', bucket: 'other-loki' },
          requester,
        ),
      ).rejects.toThrow(
        'cluster: "prod-1" already has the logging environment acme-prod (one environment per cluster)',
      );
      await expect(
        service.claim(
          { ...request, name: 'other', cluster: 'prod-2' },
          requester,
        ),
      ).rejects.toThrow(
        'bucket: "acme-prod-loki" is already the bucket of the logging environment acme-prod',
      );
    });

    it('leaves a cluster running an environment without a record to an administrator to adopt', async () => {
      const { service, clusters } = await setup();
      clusters['prod-1'].push(...registered('legacy'));
      await expect(service.claim(request, requester)).rejects.toThrow(
        'cluster: "prod-1" already runs the logging environment legacy, which has no record; an administrator must adopt it before anyone bootstraps there',
      );
      const adopted = await service.claim(
        {
          ...request,
          name: 'legacy',
          bucket: 'legacy-loki',
          requester: 'user:default/original',
        },
        admin,
      );
      expect(adopted.record.requester).toBe('user:default/original');
    });

    it('lets the requester, the owner group and administrators re-run, never changing what the record holds', async () => {
      const { service } = await setup();
      await service.claim(request, requester);
      for (const caller of [requester, teammate, admin]) {
        expect((await service.claim(request, caller)).created).toBe(false);
      }
      await expect(service.claim(request, viewer)).rejects.toThrow(
        'only the requester of acme-prod (user:default/requester), members of its owner group (group:default/platform-team) or an administrator may run its bootstrap',
      );
      const changed = service.claim(
        {
          ...request,
          tier: 'development',
          cluster: 'prod-2',
          region: 'eu-west-1',
          bucket: 'cheaper-loki',
        },
        requester,
      );
      await expect(changed).rejects.toThrow(ConflictError);
      const message = await changed.catch(e => e.message);
      expect(message).toContain(
        'tier: acme-prod is a production environment; a downgrade from production to development is refused (only an administrator can change a tier)',
      );
      expect(message).toContain('cluster: acme-prod runs on cluster "prod-1"');
      expect(message).toContain(
        'region: acme-prod keeps its data in us-east-2',
      );
      expect(message).toContain(
        'bucketName: acme-prod keeps its logs in the bucket "acme-prod-loki"',
      );
    });
  });

  describe('approver groups', () => {
    it('go only to roles configuration marks extendable, never to production by default', async () => {
      const { service } = await setup();
      await expect(
        service.claim(
          { ...request, approverGroups: ['group:default/checkout-team'] },
          requester,
        ),
      ).rejects.toThrow(
        'approverGroups: the production tier has no approval role that accepts extra groups',
      );
      const staging = await service.claim(
        {
          ...request,
          name: 'acme-stg',
          tier: 'staging',
          cluster: 'prod-2',
          bucket: 'acme-stg-loki',
          approverGroups: ['checkout-team', 'group:default/checkout-team'],
        },
        requester,
      );
      expect(staging.record.extraApprovers).toEqual({
        'configuration-review': ['group:default/checkout-team'],
      });
      // A re-run cannot change them.
      await expect(
        service.claim(
          {
            ...request,
            name: 'acme-stg',
            tier: 'staging',
            cluster: 'prod-2',
            bucket: 'acme-stg-loki',
          },
          requester,
        ),
      ).rejects.toThrow(
        'approverGroups: acme-stg has the extra approver groups group:default/checkout-team; a bootstrap run cannot change them',
      );
    });

    it("never reach production's security review, even where configuration extends its approval", async () => {
      const { service } = await setup({
        loggingEnvironments: {
          tiers: {
            production: {
              requiredApprovals: [
                {
                  role: 'security-review',
                  group: 'group:default/security-reviewers',
                },
                {
                  role: 'approval',
                  group: 'group:default/platform-approvers',
                  extendable: true,
                },
              ],
            },
          },
        },
      });
      const { record } = await service.claim(
        { ...request, approverGroups: ['group:default/sre'] },
        requester,
      );
      expect(record.extraApprovers).toEqual({
        approval: ['group:default/sre'],
      });
      expect(() =>
        readTierPolicies(
          new ConfigReader({
            loggingEnvironments: {
              tiers: {
                production: {
                  requiredApprovals: [
                    {
                      role: 'security-review',
                      group: 'group:default/security-reviewers',
                      extendable: true,
                    },
                  ],
                },
              },
            },
          }),
        ),
      ).toThrow(
        'loggingEnvironments.tiers.production.requiredApprovals[0].extendable: the production security review ("security-review") is never extendable',
      );
    });
  });

  describe('a bootstrap step', () => {
    it('acts only on what the record holds, for someone who may run the bootstrap', async () => {
      const { service } = await setup();
      await service.claim(request, requester);
      const ref = 'resource:default/acme-prod';
      await expect(
        service.checkStep(ref, teammate, {
          action: 'logging:iam:ensure',
          facts: { bucket: 'acme-prod-loki', region: 'us-east-2' },
        }),
      ).resolves.toMatchObject({ name: 'acme-prod' });
      await expect(
        service.checkStep(ref, requester, {
          action: 'logging:iam:ensure',
          facts: { bucket: 'someone-elses-loki' },
        }),
      ).rejects.toThrow(
        'logging:iam:ensure refused for acme-prod: bucket: the record of acme-prod says "acme-prod-loki", not "someone-elses-loki"',
      );
      await expect(
        service.checkStep(ref, viewer, { action: 'logging:bucket:ensure' }),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        service.checkStep('resource:default/nobody', requester, {
          action: 'logging:bucket:ensure',
        }),
      ).rejects.toThrow(NotFoundError);
    });

    it("leaves a staging or production environment's rotation to administrators", async () => {
      const { service } = await setup();
      await service.claim(request, requester);
      const rotate = {
        action: 'logging:cluster-credentials:apply',
        rotate: true,
      };
      await expect(
        service.checkStep('resource:default/acme-prod', requester, rotate),
      ).rejects.toThrow(
        'rotate: only an administrator may replace the External Secrets credentials of the production environment acme-prod',
      );
      await expect(
        service.checkStep('resource:default/acme-prod', admin, rotate),
      ).resolves.toBeDefined();
      await service.claim(
        {
          ...request,
          name: 'team-dev',
          tier: 'development',
          cluster: 'prod-2',
          bucket: 'team-dev-loki',
        },
        requester,
      );
      await expect(
        service.checkStep('resource:default/team-dev', requester, rotate),
      ).resolves.toBeDefined();
    });
  });

  describe('binding the Applications', () => {
    it('reads them from the cluster, checks them and keeps their uids', async () => {
      const { service, clusters, store } = await setup();
      await service.claim(request, requester);
      const ref = 'resource:default/acme-prod';
      await expect(service.bindApplications(ref, requester)).rejects.toThrow(
        'AppProject openshift-gitops/acme-prod-logging is not registered',
      );
      const objects = registered('acme-prod');
      objects[2].spec.source.path = 'environments/evil/forwarder';
      clusters['prod-1'].push(...objects);
      await expect(service.bindApplications(ref, requester)).rejects.toThrow(
        'Application openshift-gitops/acme-prod-logging-forwarder: spec.source.path must be "environments/acme-prod/forwarder"',
      );
      objects[2].spec.source.path = 'environments/acme-prod/forwarder';
      const bound = await service.bindApplications(ref, requester);
      expect(bound.state).toBe('registered');
      expect(bound.applications.infrastructure.uid).toBe(
        'acme-prod-uid-acme-prod-logging-infrastructure',
      );
      expect((await store.listHistory(ref))[0].message).toBe(
        'Argo CD Applications acme-prod-logging-infrastructure and acme-prod-logging-forwarder registered and bound to the record',
      );
      // A re-created Application is an administrator's to bind again.
      objects[1].metadata.uid = 'someone-else';
      await expect(service.bindApplications(ref, requester)).rejects.toThrow(
        'Application acme-prod-logging-infrastructure was re-created since the bootstrap bound it (its uid changed); only an administrator may bind the new one',
      );
      const rebound = await service.bindApplications(ref, admin);
      expect(rebound.applications.infrastructure.uid).toBe('someone-else');
    });
  });

  describe('administration', () => {
    it("is administrators' only, needs a reason, and is a history entry", async () => {
      const { service, store } = await setup();
      await service.claim(request, requester);
      const ref = 'resource:default/acme-prod';
      await expect(
        service.administer(ref, requester, {
          tier: 'development',
          reason: 'x',
        }),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        service.administer(
          ref,
          { ...admin, mayAdminister: false },
          {
            tier: 'development',
            reason: 'x',
          },
        ),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        service.administer(ref, admin, { tier: 'development', reason: ' ' }),
      ).rejects.toThrow('reason: say why the record changes');
      await expect(
        service.administer(ref, admin, { tier: 'qa', reason: 'test' }),
      ).rejects.toThrow(
        'tier: must be one of development, staging, production',
      );
      const changed = await service.administer(ref, admin, {
        tier: 'staging',
        requester: 'user:default/teammate',
        reason: 'moved to the staging cluster plan',
      });
      expect(changed).toMatchObject({
        tier: 'staging',
        requester: 'user:default/teammate',
        updatedBy: 'user:default/admin',
      });
      expect((await store.listHistory(ref))[0].message).toBe(
        'Record changed by an administrator: tier production -> staging; requester user:default/requester -> user:default/teammate. Reason: moved to the staging cluster plan',
      );
      await expect(service.release(ref, requester, 'gone')).rejects.toThrow(
        NotAllowedError,
      );
      await service.release(ref, admin, 'abandoned claim');
      expect(await service.get(ref)).toBeUndefined();
    });
  });
});
