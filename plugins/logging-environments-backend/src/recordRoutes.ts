import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  loggingEnvironmentAdministerPermission,
  loggingEnvironmentCreatePermission,
} from '@internal/plugin-logging-environments-common';
import type { Request as ExpressRequest } from 'express';
import { createOpenApiRouter } from './schema/openapi.generated';
import {
  DefaultEnvironmentRecordService,
  RecordCaller,
} from './services/records';
import { Caller } from './services/types';

/** Any request of the typed router. */
type Request = ExpressRequest<any, any, any, any>;

/**
 * The routes that write the trusted records (`/records...`): the bootstrap's
 * claim, step checks and binding, and administrators' changes. Each is
 * audited with its outcome; what may be written is decided by
 * {@link DefaultEnvironmentRecordService}.
 */
export function addRecordRoutes(
  router: Awaited<ReturnType<typeof createOpenApiRouter>>,
  deps: {
    httpAuth: HttpAuthService;
    permissions: PermissionsService;
    auditor: AuditorService;
    records: DefaultEnvironmentRecordService;
    callerOf: (
      credentials: BackstageCredentials,
    ) => Promise<Caller | undefined>;
  },
): void {
  const { httpAuth, permissions, auditor, records, callerOf } = deps;

  /**
   * The signed-in user behind a request (directly, or through a plugin on
   * their behalf, as the scaffolder calls: `via` names that plugin), with
   * what the permission policy grants them for records. Records are never
   * written for a service alone.
   */
  async function recordCaller(req: Request): Promise<RecordCaller> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const caller = (await callerOf(credentials))!;
    const decisions = await permissions.authorize(
      [
        { permission: loggingEnvironmentCreatePermission },
        { permission: loggingEnvironmentAdministerPermission },
      ],
      { credentials },
    );
    const via = credentials.principal.actor?.subject;
    return {
      ...caller,
      mayCreate: decisions[0].result === AuthorizeResult.ALLOW,
      mayAdminister: decisions[1].result === AuthorizeResult.ALLOW,
      ...(via ? { via } : {}),
    };
  }

  /** Runs a record operation inside an audit event that names its outcome. */
  async function audited<T>(
    req: Request,
    eventId: string,
    meta: Record<string, string>,
    fn: () => Promise<T>,
  ): Promise<T> {
    const event = await auditor.createEvent({
      eventId,
      severityLevel: 'high',
      request: req,
      meta,
    });
    try {
      const result = await fn();
      await event.success();
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  const recordRef = (params: { namespace: string; name: string }) =>
    stringifyEntityRef({
      kind: 'resource',
      namespace: params.namespace,
      name: params.name,
    });

  router.post('/records', async (req, res) => {
    const dryRun = String(req.query.dryRun) === 'true';
    const taskId = req.query.taskId;
    const body = req.body;
    const result = await audited(
      req,
      'environment-claim',
      {
        environment: String(body.name),
        tier: String(body.tier),
        cluster: String(body.cluster),
        ...(dryRun ? { dryRun: 'true' } : {}),
        ...(taskId ? { taskId } : {}),
      },
      async () =>
        records.claim(body, await recordCaller(req), { dryRun, taskId }),
    );
    res.status(result.created ? 201 : 200).json(result);
  });

  router.post('/records/:namespace/:name/steps', async (req, res) => {
    const ref = recordRef(req.params);
    res.json(
      await audited(
        req,
        'environment-bootstrap-step',
        {
          environment: ref,
          action: String(req.body.action),
          ...(req.body.rotate ? { rotate: 'true' } : {}),
        },
        async () => records.checkStep(ref, await recordCaller(req), req.body),
      ),
    );
  });

  router.post('/records/:namespace/:name/applications', async (req, res) => {
    const ref = recordRef(req.params);
    const taskId = req.query.taskId;
    const record = await audited(
      req,
      'environment-bind-applications',
      { environment: ref, ...(taskId ? { taskId } : {}) },
      async () =>
        records.bindApplications(ref, await recordCaller(req), { taskId }),
    );
    res.json(record);
  });

  router.patch('/records/:namespace/:name', async (req, res) => {
    const ref = recordRef(req.params);
    const record = await audited(
      req,
      'environment-record-change',
      {
        environment: ref,
        ...Object.fromEntries(
          ['tier', 'owner', 'requester'].flatMap(k =>
            typeof req.body[k] === 'string' ? [[k, req.body[k]]] : [],
          ),
        ),
      },
      async () => records.administer(ref, await recordCaller(req), req.body),
    );
    res.json(record);
  });

  router.delete('/records/:namespace/:name', async (req, res) => {
    const ref = recordRef(req.params);
    await audited(
      req,
      'environment-record-release',
      { environment: ref },
      async () =>
        records.release(
          ref,
          await recordCaller(req),
          String(req.query.reason ?? ''),
        ),
    );
    res.status(204).end();
  });
}
