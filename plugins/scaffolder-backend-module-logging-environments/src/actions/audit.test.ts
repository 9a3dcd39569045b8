import { ConfigReader } from '@backstage/config';
import { NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { JsonObject } from '@backstage/types';
import {
  ClusterClient,
  ClusterRegistry,
  EnvironmentRecordsApi,
  ObjectRef,
} from '@internal/plugin-logging-environments-node';
import { createLoggingEnvironmentsActions } from '.';
import { createApplyClusterCredentialsAction } from './applyClusterCredentials';
import { auditedAction } from './audit';
import { capturingAuditor } from './__testUtils__/capturingAuditor';

const USER = 'user:default/requester';

function context(
  input: JsonObject,
  extra: Partial<ActionContext<any, any, any>> = {},
) {
  // createMockActionContext takes only some overrides; set the others on it.
  return Object.assign(createMockActionContext({ input }), {
    task: { id: 'task-42' },
    user: { ref: USER },
    ...extra,
  });
}

describe('the bootstrap actions audit every run', () => {
  it('registers only audited actions: one event per run, failures included', async () => {
    const refused = async () => {
      throw new NotAllowedError('refused by the test');
    };
    const records: EnvironmentRecordsApi = {
      claim: refused,
      checkStep: refused,
      bindApplications: refused,
    };
    const catalog = {
      addLocation: refused,
      getLocationByRef: refused,
    } as unknown as CatalogService;
    const { auditor, events } = capturingAuditor();
    const actions = createLoggingEnvironmentsActions({
      config: new ConfigReader({
        loggingEnvironments: {
          gitops: { repoUrl: 'https://git.example.com/gitops.git' },
        },
      }),
      catalog,
      records,
      auditor,
    });
    expect(actions.map(a => a.id)).toEqual([
      'logging:environment:validate',
      'logging:environment:claim',
      'logging:gitops:publish',
      'logging:catalog:register',
      'logging:bucket:ensure',
      'logging:iam:ensure',
      'logging:secret:ensure',
      'logging:cluster-credentials:apply',
      'logging:secret-store:ensure',
      'logging:operators:ensure',
      'logging:argocd:register',
    ]);
    for (const action of actions) {
      await expect(
        action.handler(context({ environment: 'acme-prod' }) as any),
      ).rejects.toThrow();
    }
    expect(events.map(e => [e.meta.action, e.outcome, e.meta.outcome])).toEqual(
      actions.map(a => [a.id, 'fail', 'failure']),
    );
    for (const event of events) {
      expect(event).toMatchObject({
        eventId: 'bootstrap-action',
        meta: { taskId: 'task-42', user: USER, environment: 'acme-prod' },
      });
    }
    // A refusal by the backend is the failure's error.
    expect(
      events.find(e => e.meta.action === 'logging:operators:ensure')?.error,
    ).toMatchObject({
      name: 'NotAllowedError',
      message: 'refused by the test',
    });
  });

  describe('logging:cluster-credentials:apply', () => {
    const objects = new Map<string, any>();
    const cluster = {
      server: 'https://k8s.example.com',
      async get(ref: ObjectRef) {
        return structuredClone(objects.get(`${ref.kind}/${ref.name}`));
      },
      async apply(o: any) {
        objects.set(`${o.kind}/${o.metadata.name}`, structuredClone(o));
        return o;
      },
    } as unknown as ClusterClient;
    const info = { name: 'sandbox', url: 'https://k8s.example.com' };
    const clusters: ClusterRegistry = {
      list: () => [info],
      get: () => info,
      // Unused: ClusterClient.fromKubeConfig is stubbed.
      kubeConfig: () => ({} as ReturnType<ClusterRegistry['kubeConfig']>),
      argocdApi: () => undefined,
    };
    const records = {
      checkStep: async () => ({ name: 'acme-prod', cluster: 'sandbox' }),
    } as unknown as EnvironmentRecordsApi;
    const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
    const OTHER_SECRET = 'otherSecretAccessKeyValue/0123456789abcd';
    const input = { environment: 'acme-prod', cluster: 'sandbox' };
    const secrets = (key: string) => ({
      secrets: { awsAccessKeyId: 'ESOACCESSKEYID', awsSecretAccessKey: key },
    });

    beforeEach(() => {
      objects.clear();
      jest.spyOn(ClusterClient, 'fromKubeConfig').mockReturnValue(cluster);
    });

    it('names who, what, where and the outcome, never the credentials', async () => {
      const { auditor, events } = capturingAuditor();
      const action = auditedAction(
        auditor,
        createApplyClusterCredentialsAction({ clusters, records }),
      );
      await action.handler(
        context(input, { ...secrets(SECRET), isDryRun: true }),
      );
      await action.handler(context(input, secrets(SECRET)));
      // Another identity's credentials without rotate: refused.
      await expect(
        action.handler(
          context(input, {
            secrets: {
              awsAccessKeyId: 'OTHERKEYID',
              awsSecretAccessKey: OTHER_SECRET,
            },
          }),
        ),
      ).rejects.toThrow(/rotation/);

      const meta = {
        action: 'logging:cluster-credentials:apply',
        taskId: 'task-42',
        user: USER,
        environment: 'acme-prod',
        resource: { cluster: 'sandbox' },
      };
      expect(events.map(e => [e.severityLevel, e.outcome, e.meta])).toEqual([
        [
          'low',
          'success',
          {
            ...meta,
            dryRun: true,
            outcome: 'dry-run',
            result: { action: 'would-create' },
          },
        ],
        [
          'high',
          'success',
          {
            ...meta,
            dryRun: false,
            outcome: 'success',
            result: { action: 'created' },
          },
        ],
        ['high', 'fail', { ...meta, dryRun: false, outcome: 'failure' }],
      ]);
      // The cluster holds the key; no event shows it, in any encoding.
      expect(JSON.stringify([...objects.values()])).toContain(
        Buffer.from(SECRET).toString('base64'),
      );
      const everything = JSON.stringify(events);
      for (const secret of [SECRET, OTHER_SECRET]) {
        expect(everything).not.toContain(secret);
        expect(everything).not.toContain(
          Buffer.from(secret).toString('base64'),
        );
      }
    });
  });
});
