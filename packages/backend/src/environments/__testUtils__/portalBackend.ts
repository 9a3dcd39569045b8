import {
  coreServices,
  createBackendModule,
  createServiceFactory,
  LoggerService,
  SchedulerServiceTaskInvocationDefinition,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import permissionBackend from '@backstage/plugin-permission-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import loggingEnvironmentsPlugin from '@internal/plugin-logging-environments-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import knexFactory, { Knex } from 'knex';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import request from 'supertest';
import yaml from 'yaml';
import { REPO_ROOT } from '../../gitops/__testUtils__/kustomize';
import { permissionPolicyModule } from '../../modules/permissionPolicy';

/** The example org, plus a person who is both security reviewer and approver. */
export function orgEntities(): Entity[] {
  const docs = yaml
    .parseAllDocuments(
      readFileSync(join(REPO_ROOT, 'examples/org.yaml'), 'utf8'),
    )
    .map(d => d.toJSON() as Entity)
    .filter(Boolean);
  return [
    ...docs,
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: 'dual', namespace: 'default' },
      spec: { memberOf: ['security-reviewers', 'platform-approvers'] },
    },
  ];
}

/**
 * Ownership refs from the org, as the catalog's sign-in resolver would
 * issue them, plus `extra` memberships by user entity ref.
 */
export function userInfoFactory(
  entities: Entity[],
  extra: Record<string, string[]>,
) {
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: any) {
        const userEntityRef = credentials.principal.userEntityRef as string;
        const name = userEntityRef.split('/')[1];
        const user = entities.find(
          e => e.kind === 'User' && e.metadata.name === name,
        );
        const groups = ((user?.spec?.memberOf as string[]) ?? []).map(
          g => `group:default/${g}`,
        );
        groups.push(...(extra[userEntityRef] ?? []));
        return {
          userEntityRef,
          ownershipEntityRefs: [userEntityRef, ...groups],
        };
      },
    }),
  });
}

/**
 * The mock auth service, except that a token a plugin asks for on behalf of
 * a user names the plugin as its actor, as the real auth service's does
 * (the permission backend's call back to apply conditions needs it).
 */
export function authFactory() {
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

/** Every log line of every plugin, to search for secrets. */
function recordingLogger(lines: string[]) {
  const make = (meta: Record<string, unknown>): LoggerService => {
    const write = (level: string) => (message: string, extra?: unknown) => {
      lines.push(
        `${level} ${JSON.stringify(meta)} ${message} ${JSON.stringify(
          extra ?? {},
        )}`,
      );
    };
    return {
      error: write('error'),
      warn: write('warn'),
      info: write('info'),
      debug: write('debug'),
      child: (m: Record<string, unknown>) => make({ ...meta, ...m }),
    } as LoggerService;
  };
  return createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => make({}) as any,
  });
}

/** A permission policy that allows everything to everyone. */
const allowAllPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'allow-all-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy({
          async handle() {
            return { result: AuthorizeResult.ALLOW };
          },
        });
      },
    });
  },
});

/** Where the API is mounted. */
export const API_BASE = '/api/logging-environments';

/** The authorization header of a user of the example org, by name. */
export const userHeader = (name: string) =>
  mockCredentials.user.header(`user:default/${name}`);

/**
 * The portal's backend as tests meet it: the real logging-environments
 * plugin, the real permission backend with the portal's policy, the catalog
 * holding `entities`, and recorders for what must be checked afterwards
 * (audit events, notifications, log lines, API responses). The scheduler
 * only records tasks, so a test runs the sync task when it wants to.
 * `restart()` starts a new backend over the same database.
 */
export async function startPortalBackend(options: {
  config: Record<string, any>;
  /** A mock catalog holding these entities; leave out when `features` bring the real one. */
  entities?: Entity[];
  /** The users and groups userInfo resolves (default: `entities`). */
  users?: Entity[];
  /** More plugins and modules (scaffolder, the real catalog...). */
  features?: any[];
  /**
   * A directory for every plugin's SQLite database file (the real database
   * service); by default only this plugin gets one, in memory.
   */
  databaseDir?: string;
  /** Group memberships to add, by user entity ref. */
  extraMemberships?: Record<string, string[]>;
  /**
   * The plugin's database, when the test already wrote to it (e.g. the
   * records of `openWorld`); by default a new one in memory.
   */
  knex?: Knex;
  /**
   * The permission policy: the portal's (default), or one that allows
   * everything, to show what the product's own checks hold without it.
   */
  policy?: 'bundled' | 'allow-all';
}) {
  const openDatabase = (): Knex =>
    options.databaseDir
      ? knexFactory({
          client: 'better-sqlite3',
          connection: join(options.databaseDir, 'logging-environments.sqlite'),
          useNullAsDefault: true,
        })
      : knexFactory({
          client: 'better-sqlite3',
          connection: ':memory:',
          useNullAsDefault: true,
          pool: { min: 1, max: 1, idleTimeoutMillis: Number.MAX_SAFE_INTEGER },
        });
  const knex: Knex = options.knex ?? openDatabase();
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  const audit: Array<Record<string, any>> = [];
  const notifications: Array<Record<string, any>> = [];
  const logs: string[] = [];
  const responses: unknown[] = [];
  let backend: Awaited<ReturnType<typeof startTestBackend>> | undefined;

  async function start() {
    tasks.clear();
    backend = await startTestBackend({
      features: [
        loggingEnvironmentsPlugin,
        permissionBackend,
        options.policy === 'allow-all'
          ? allowAllPolicyModule
          : permissionPolicyModule,
        ...(options.entities
          ? [catalogServiceMock.factory({ entities: options.entities })]
          : []),
        ...(options.features ?? []),
        userInfoFactory(
          options.users ?? options.entities ?? [],
          options.extraMemberships ?? {},
        ),
        authFactory(),
        recordingLogger(logs),
        ...(options.databaseDir
          ? []
          : [mockServices.database.factory({ knex })]),
        mockServices.rootConfig.factory({
          data: {
            ...options.config,
            ...(options.databaseDir
              ? {
                  backend: {
                    ...options.config.backend,
                    database: {
                      client: 'better-sqlite3',
                      connection: { directory: options.databaseDir },
                    },
                  },
                }
              : {}),
            permission: { enabled: true },
            loggingEnvironments: {
              ...options.config.loggingEnvironments,
              checklist: { probeTimeoutSeconds: 20 },
            },
          },
        }),
        mockServices.scheduler.mock({
          scheduleTask: async task => {
            tasks.set(task.id, task);
          },
        }).factory,
        mockServices.auditor.mock({
          createEvent: (async (event: any) => {
            const { request: _request, ...recorded } = event;
            return {
              success: async (o?: any) => {
                audit.push({ ...recorded, ...o, status: 'succeeded' });
              },
              fail: async (o?: any) => {
                audit.push({
                  ...recorded,
                  meta: { ...recorded.meta, ...o?.meta },
                  error: String(o?.error?.message ?? o?.error),
                  status: 'failed',
                });
              },
            };
          }) as any,
        }).factory,
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({
            async send(notification: any) {
              notifications.push(notification);
            },
          }),
        }),
      ],
    });
  }
  await start();

  /** Calls the API as a user of the example org (`undefined`: no token). */
  async function call(
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    who: string | { header: string },
    body?: object,
  ) {
    const req = request(backend!.server)[method](`${API_BASE}${path}`);
    req.set(
      'authorization',
      typeof who === 'string' ? userHeader(who) : who.header,
    );
    const res = await (body ? req.send(body) : req);
    responses.push(res.body);
    return res;
  }

  /** Runs the scheduled sync task once, as the scheduler would. */
  async function tick() {
    const task = tasks.get('logging-environments-sync');
    if (!task) throw new Error('the plugin scheduled no sync task');
    await task.fn(new AbortController().signal as any);
  }

  return {
    knex,
    tasks,
    audit,
    notifications,
    logs,
    responses,
    call,
    tick,
    async restart() {
      await backend?.stop();
      await start();
    },
    async stop() {
      await backend?.stop();
      await knex.destroy();
    },
    /** The test backend's HTTP server, for other plugins' APIs. */
    server: (): Server => backend!.server as Server,
  };
}

/** What {@link startPortalBackend} returns. */
export type PortalBackend = Awaited<ReturnType<typeof startPortalBackend>>;
