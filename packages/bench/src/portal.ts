/**
 * The portal's backend as the benchmarks drive it: the real
 * logging-environments plugin in a test backend (startTestBackend), with
 * the real permission backend and a policy like the portal's, the
 * environments' trusted records in the plugin's database and their
 * entities in the catalog, SQLite databases, the real signals
 * service publishing to an in-process event bus (what the signals backend
 * subscribes to before writing to browsers' websockets), and a scheduler
 * the benchmark drives.
 */
import {
  SchedulerService,
  SchedulerServiceTaskInvocationDefinition,
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { EventParams, eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import permissionBackend from '@backstage/plugin-permission-backend';
import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import loggingEnvironmentsPlugin, {
  createLoggingEnvironmentConditionalDecision,
  loggingEnvironmentConditions,
} from '@internal/plugin-logging-environments-backend';
import {
  EnvironmentRecord,
  loggingEnvironmentApprovePermission,
  loggingEnvironmentSyncPermission,
} from '@internal/plugin-logging-environments-common';
// The records are written as the bootstrap's claim and bind leave them,
// through the plugin's own store, before the plugin starts.
import { DatabaseEnvironmentRecordsStore } from '@internal/plugin-logging-environments-backend/testUtils';
import { createDatabases } from './databases';
import { FIXTURE_GITOPS } from './fixtures';

/** Where the plugin's API is mounted. */
export const API_BASE = '/api/logging-environments';

/** The plugin's id (its database is the one the records go into). */
const PLUGIN_ID = 'logging-environments';

/** The id of the plugin's scheduled sync task. */
const SYNC_TASK = 'logging-environments-sync';

/**
 * The portal's policy (packages/backend/src/modules/permissionPolicy.ts):
 * reading is allowed to everyone; approving is a conditional decision the
 * plugin resolves against the environment; syncing needs platform-approvers.
 */
class PortalLikePolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (isPermission(request.permission, loggingEnvironmentApprovePermission)) {
      if (!user) return { result: AuthorizeResult.DENY };
      return createLoggingEnvironmentConditionalDecision(
        request.permission,
        loggingEnvironmentConditions.isApproverForEnvironment({
          claims: user.info.ownershipEntityRefs,
        }),
      );
    }
    if (isPermission(request.permission, loggingEnvironmentSyncPermission)) {
      const member = user?.info.ownershipEntityRefs.includes(
        'group:default/platform-approvers',
      );
      return {
        result: member ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

const policyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'bench-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new PortalLikePolicy());
      },
    });
  },
});

/**
 * The mock auth service, except that a token a plugin asks for on behalf of
 * a user names the plugin as its actor, as the real auth service's does
 * (the permission backend's call back to apply conditions needs it).
 */
function authFactory() {
  return createServiceFactory({
    service: coreServices.auth,
    deps: { plugin: coreServices.pluginMetadata },
    factory({ plugin }) {
      const inner = mockServices.auth({ pluginId: plugin.getId() });
      return {
        authenticate: inner.authenticate.bind(inner),
        getNoneCredentials: inner.getNoneCredentials.bind(inner),
        getOwnServiceCredentials: inner.getOwnServiceCredentials.bind(inner),
        isPrincipal: inner.isPrincipal.bind(inner) as typeof inner.isPrincipal,
        getLimitedUserToken: inner.getLimitedUserToken.bind(inner),
        listPublicServiceKeys: inner.listPublicServiceKeys.bind(inner),
        async getPluginRequestToken(options) {
          const principal = options.onBehalfOf.principal as {
            type: string;
            userEntityRef?: string;
          };
          if (principal.type === 'user') {
            return {
              token: mockCredentials.user.token(principal.userEntityRef, {
                actor: { subject: `plugin:${plugin.getId()}` },
              }),
            };
          }
          return inner.getPluginRequestToken(options);
        },
      };
    },
  });
}

/** Users are members of nothing but themselves, like the demo viewer. */
function userInfoFactory() {
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: any) {
        const userEntityRef = credentials.principal.userEntityRef as string;
        return { userEntityRef, ownershipEntityRefs: [userEntityRef] };
      },
    }),
  });
}

/** An in-process event bus, as the events backend's local delivery. */
class EventBus {
  private readonly subscribers: Array<{
    topics: string[];
    onEvent: (params: EventParams) => Promise<void>;
  }> = [];

  async publish(params: EventParams) {
    for (const s of this.subscribers) {
      if (s.topics.includes(params.topic)) await s.onEvent(params);
    }
  }

  async subscribe(options: {
    id: string;
    topics: string[];
    onEvent: (params: EventParams) => Promise<void>;
  }) {
    this.subscribers.push(options);
  }
}

/** A signal as the subscriber received it. */
export interface ReceivedSignal {
  environmentRef: string;
  change: string;
  /** `performance.now()` when it arrived. */
  at: number;
}

/** Options of {@link startPortal}. */
export interface PortalOptions {
  /** `loggingEnvironments.clusters`. */
  clusters: object[];
  /** The environments' trusted records, written before the plugin starts. */
  records: Array<Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'>>;
  /** The catalog's entities (the environments', matching their records). */
  entities: Entity[];
  /** Extra `loggingEnvironments` configuration. */
  loggingEnvironments?: Record<string, unknown>;
  /**
   * `backend` (default): the real permission backend with a policy like the
   * portal's, asked over HTTP as in production. `allow-all`: the test
   * backend's in-process permissions service that allows everything.
   */
  permissions?: 'backend' | 'allow-all';
}

/** A running portal backend. */
export interface Portal {
  baseUrl: string;
  /** GET on the plugin's API as a user; the parsed body, or throws on a non-200. */
  get(path: string, user?: string): Promise<any>;
  /** Runs the scheduled sync task once, as the scheduler would every 5 s. */
  tick(): Promise<void>;
  /** Every signal received, in order. */
  signals: ReceivedSignal[];
  stop(): Promise<void>;
}

/** Starts the portal's backend (see the module comment). */
export async function startPortal(options: PortalOptions): Promise<Portal> {
  const bus = new EventBus();
  const signals: ReceivedSignal[] = [];
  await bus.subscribe({
    id: 'bench-browser',
    topics: ['signals'],
    async onEvent(params) {
      const payload = params.eventPayload as {
        message?: { environmentRef?: string; change?: string };
      };
      signals.push({
        environmentRef: payload.message?.environmentRef ?? '',
        change: payload.message?.change ?? '',
        at: performance.now(),
      });
    },
  });
  // The plugin's scheduled task, run when the benchmark says (as the
  // scheduler would on its interval).
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  const databases = createDatabases();
  const records = await DatabaseEnvironmentRecordsStore.create({
    database: { getClient: async () => databases.client(PLUGIN_ID) },
  });
  for (const record of options.records) await records.create(record);
  const backend = await startTestBackend({
    features: [
      loggingEnvironmentsPlugin,
      ...(options.permissions === 'allow-all'
        ? []
        : [permissionBackend, policyModule]),
      catalogServiceMock.factory({ entities: options.entities }),
      userInfoFactory(),
      authFactory(),
      createServiceFactory({
        service: coreServices.scheduler,
        deps: {},
        factory: () =>
          ({
            async scheduleTask(task: SchedulerServiceTaskInvocationDefinition) {
              tasks.set(task.id, task);
            },
            async triggerTask() {},
            async getScheduledTasks() {
              return [];
            },
            createScheduledTaskRunner() {
              throw new Error('not used by the plugin');
            },
          } as unknown as SchedulerService),
      }),
      databases.factory,
      createServiceFactory({
        service: eventsServiceRef,
        deps: {},
        factory: () => bus,
      }),
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({ async send() {} }),
      }),
      // Silent; BENCH_LOG_LEVEL=debug (or info, warn, error) shows the backend's logs.
      mockServices.rootLogger.factory({
        level: (process.env.BENCH_LOG_LEVEL as any) ?? 'none',
      }),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: options.permissions !== 'allow-all' },
          loggingEnvironments: {
            gitops: FIXTURE_GITOPS,
            ...options.loggingEnvironments,
            clusters: options.clusters,
          },
        },
      }),
    ],
  });
  const baseUrl = `http://localhost:${backend.server.port()}`;
  return {
    baseUrl,
    signals,
    async get(path, user = 'viewer') {
      const response = await fetch(`${baseUrl}${API_BASE}${path}`, {
        headers: {
          authorization: mockCredentials.user.header(`user:default/${user}`),
        },
      });
      const body = await response.json();
      if (response.status !== 200) {
        throw new Error(
          `GET ${path}: ${response.status} ${JSON.stringify(body)}`,
        );
      }
      return body;
    },
    async tick() {
      const task = tasks.get(SYNC_TASK);
      if (!task) throw new Error('the plugin scheduled no sync task');
      await task.fn(new AbortController().signal as any);
    },
    async stop() {
      await backend.stop();
      await databases.destroy();
    },
  };
}
