import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  loggingEnvironmentApprovePermission,
  loggingEnvironmentReadPermission,
  loggingEnvironmentSyncPermission,
} from '@internal/plugin-logging-environments-common';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import type { Request as ExpressRequest } from 'express';
import express from 'express';
import { addRecordRoutes } from './recordRoutes';
import { createOpenApiRouter } from './schema/openapi.generated';
import { ServiceHealthService } from './services/health';
import { EnvironmentOverviewService } from './services/overview';
import { DefaultEnvironmentRecordService } from './services/records';
import { ReadinessSource } from './services/waves/readiness';
import {
  ApprovalService,
  Caller,
  ChecklistService,
  Environment,
  EnvironmentCatalog,
  SyncService,
} from './services/types';

/** @internal */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  auditor: AuditorService;
  clusters: ClusterRegistry;
  environments: EnvironmentCatalog;
  overview: EnvironmentOverviewService;
  checklist: ChecklistService;
  approvals: ApprovalService;
  sync: SyncService;
  health: ServiceHealthService;
  records: DefaultEnvironmentRecordService;
  /** The watch caches' readiness, for `/health`. */
  readiness: ReadinessSource;
}

const DEFAULT_PAGE_SIZE = 100;

/** Any request of the typed router, for helpers that need only what every request has. */
type Request = ExpressRequest<any, any, any, any>;

/**
 * An integer query parameter, range-checked by the OpenAPI validator, read
 * strictly from the raw query string (the validator coerces "  " to 0).
 */
function integerParam(
  req: { originalUrl: string },
  name: string,
  fallback: number,
): number {
  const raw = new URL(req.originalUrl, 'http://localhost').searchParams.get(
    name,
  );
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new InputError(`${name} must be a whole number`);
  }
  return Number(raw);
}

/**
 * The plugin's REST API (src/schema/openapi.yaml): parses and validates the
 * request, authenticates the caller, authorizes with the
 * `logging.environment.*` permissions against the environment, and hands
 * the work to the services.
 *
 * @internal
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    userInfo,
    permissions,
    auditor,
    clusters,
    environments,
    overview,
    checklist,
    approvals,
    sync,
    health,
    records,
    readiness,
  } = options;
  // The OpenAPI router validates every request (path, query and body)
  // against openapi.yaml before a handler runs, and types each handler's
  // request and response from the generated EndpointMap.
  const router = await createOpenApiRouter();
  router.use(express.json({ limit: '64kb' }));

  /** Whether the credentials are granted each permission on the environment. */
  async function grants<K extends string>(
    credentials: BackstageCredentials,
    environment: Environment,
    wanted: Record<K, ResourcePermission | BasicPermission>,
  ): Promise<Record<K, boolean>> {
    const keys = Object.keys(wanted) as K[];
    const decisions = await permissions.authorize(
      keys.map(key => ({
        permission: wanted[key] as ResourcePermission,
        resourceRef: environment.entityRef,
      })),
      { credentials },
    );
    return Object.fromEntries(
      keys.map((key, i) => [
        key,
        decisions[i].result === AuthorizeResult.ALLOW,
      ]),
    ) as Record<K, boolean>;
  }

  /** Loads the environment the path names, with the caller's credentials. */
  async function load(
    req: Request,
    params: { namespace: string; name: string },
  ): Promise<{ credentials: BackstageCredentials; environment: Environment }> {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const environment = await environments.get(
      stringifyEntityRef({
        kind: 'resource',
        namespace: params.namespace,
        name: params.name,
      }),
      credentials,
    );
    return { credentials, environment };
  }

  /** The caller as the approval rules need it; undefined for a service. */
  async function callerOf(
    credentials: BackstageCredentials,
  ): Promise<Caller | undefined> {
    if ((credentials.principal as { type?: string }).type !== 'user') {
      return undefined;
    }
    const info = await userInfo.getUserInfo(credentials);
    return {
      userEntityRef: info.userEntityRef,
      ownershipEntityRefs: info.ownershipEntityRefs,
    };
  }

  async function requireRead(
    credentials: BackstageCredentials,
    environment: Environment,
  ) {
    const { read } = await grants(credentials, environment, {
      read: loggingEnvironmentReadPermission,
    });
    if (!read) {
      throw new NotAllowedError(
        `You may not read the logging environment ${environment.entityRef}`,
      );
    }
  }

  // Unauthenticated (a probe): cluster names and states, never errors.
  router.get('/health', (_req, res) => {
    const state = readiness.readiness();
    if (state.status === 'starting') {
      const starting = state.clusters
        .filter(c => c.state === 'starting')
        .map(c => c.name);
      throw new ServiceUnavailableError(
        `Starting: the watch caches of cluster(s) ${starting.join(
          ', ',
        )} have not had their first list yet`,
      );
    }
    res.json({
      status: state.status,
      clusters: state.clusters,
      unreachable: state.unreachable,
    });
  });

  // The clusters an environment may be created on; the template's cluster
  // picker reads this. Names and links only, never credentials.
  router.get('/clusters', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({
      items: clusters.list().map(c => ({
        name: c.name,
        ...(c.argocdUrl ? { argocdUrl: c.argocdUrl } : {}),
        ...(c.consoleUrl ? { consoleUrl: c.consoleUrl } : {}),
      })),
    });
  });

  router.get('/environments', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { owner, tier } = req.query as { owner?: string; tier?: string };
    const [decision] = await permissions.authorizeConditional(
      [{ permission: loggingEnvironmentReadPermission }],
      { credentials },
    );
    res.json(
      await overview.list(
        credentials,
        decision,
        { owner, tier },
        {
          limit: integerParam(req, 'limit', DEFAULT_PAGE_SIZE),
          offset: integerParam(req, 'offset', 0),
        },
      ),
    );
  });

  router.get('/environments/:namespace/:name', async (req, res) => {
    const { credentials, environment } = await load(req, req.params);
    const granted = await grants(credentials, environment, {
      read: loggingEnvironmentReadPermission,
      approve: loggingEnvironmentApprovePermission,
      sync: loggingEnvironmentSyncPermission,
    });
    if (!granted.read) {
      throw new NotAllowedError(
        `You may not read the logging environment ${environment.entityRef}`,
      );
    }
    res.json(
      await overview.details(environment, await callerOf(credentials), granted),
    );
  });

  router.post('/environments/:namespace/:name/checklist', async (req, res) => {
    const { credentials, environment } = await load(req, req.params);
    const auditorEvent = await auditor.createEvent({
      eventId: 'checklist-run',
      severityLevel: 'low',
      request: req,
      meta: { environment: environment.entityRef },
    });
    try {
      await requireRead(credentials, environment);
      const actor = (await callerOf(credentials))?.userEntityRef ?? 'service';
      const run = await checklist.run(environment, actor);
      await auditorEvent.success({ meta: { status: run.status } });
      res.json(run);
    } catch (error) {
      await auditorEvent.fail({ error: error as Error });
      throw error;
    }
  });

  router.post('/environments/:namespace/:name/approvals', async (req, res) => {
    const { credentials, environment } = await load(req, req.params);
    const caller = await callerOf(credentials);
    const { approve } = await grants(credentials, environment, {
      approve: loggingEnvironmentApprovePermission,
    });
    if (!caller || !approve) {
      // The approval service audits what it refuses itself; these are
      // refused before it is asked.
      const auditorEvent = await auditor.createEvent({
        eventId: 'environment-approval',
        severityLevel: 'medium',
        request: req,
        meta: {
          environment: environment.entityRef,
          decision: req.body.decision,
          ...(req.body.role ? { role: req.body.role } : {}),
        },
      });
      const error = new NotAllowedError(
        caller
          ? `You may not approve or reject the logging environment ${environment.entityRef}`
          : 'Only a signed-in user can approve or reject',
      );
      await auditorEvent.fail({ error });
      throw error;
    }
    const state = await approvals.decide(environment, caller, req.body, {
      audit: o => auditor.createEvent({ ...o, request: req }),
    });
    res.json(state);
  });

  router.post('/environments/:namespace/:name/sync', async (req, res) => {
    const { credentials, environment } = await load(req, req.params);
    const auditorEvent = await auditor.createEvent({
      eventId: 'sync-request',
      severityLevel: 'high',
      request: req,
      meta: {
        environment: environment.entityRef,
        ...(req.body?.revision ? { revision: req.body.revision } : {}),
      },
    });
    try {
      const caller = await callerOf(credentials);
      const { sync: allowed } = await grants(credentials, environment, {
        sync: loggingEnvironmentSyncPermission,
      });
      if (!caller || !allowed) {
        throw new NotAllowedError(
          caller
            ? `You may not sync the logging environment ${environment.entityRef}`
            : 'Only a signed-in user can start a sync',
        );
      }
      const run = await sync.request(environment, caller.userEntityRef, {
        revision: req.body?.revision,
      });
      await auditorEvent.success({
        meta: { runId: run.id, revision: run.revision },
      });
      res.status(202).json(run);
    } catch (error) {
      await auditorEvent.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/environments/:namespace/:name/history', async (req, res) => {
    const { credentials, environment } = await load(req, req.params);
    await requireRead(credentials, environment);
    res.json({
      items: await overview.history(environment, {
        limit: integerParam(req, 'limit', 100),
      }),
    });
  });

  addRecordRoutes(router, {
    httpAuth,
    permissions,
    auditor,
    records,
    callerOf,
  });

  router.get('/services/:namespace/:kind/:name/health', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const entityRef = stringifyEntityRef({
      kind: req.params.kind,
      namespace: req.params.namespace,
      name: req.params.name,
    });
    const { environment } = await environments.forService(
      entityRef,
      credentials,
    );
    if (environment) await requireRead(credentials, environment);
    const result = await health.health(entityRef, credentials);
    res.json(result);
  });

  return router;
}
