/** Argo CD's Application as the services read it, and the waves the portal shows of it. */
import {
  ApplicationRole,
  ApplicationStatus,
  WAVE_PLAN,
  WaveResource,
  WaveStatus,
  WaveStep,
  wavesOf,
} from '@internal/plugin-logging-environments-common';
import { applicationProblems, hasErrors } from './applicationProblems';
import { HealthEvidence, resolveResourceHealth } from './resourceHealth';
import { Entry, resourceState, waveState } from './waveState';

/** Which resource an entry of an Application's status is about. */
export interface ArgoResourceKey {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One entry of an Application's `status.resources`. */
export interface ArgoResourceStatus extends ArgoResourceKey {
  status?: string;
  health?: { status?: string; message?: string };
  hook?: boolean;
  requiresPruning?: boolean;
  /** Omitted by Argo CD when 0 (`omitempty`). */
  syncWave?: number;
}

/** One entry of `status.operationState.syncResult.resources`. */
export interface ArgoResourceResult extends ArgoResourceKey {
  /** Synced, SyncFailed, Pruned, PruneSkipped. */
  status?: string;
  message?: string;
  /** Set for hooks: PreSync, Sync, PostSync, SyncFail. */
  hookType?: string;
  /** The task's phase (for hooks and, in gitops-engine, plain resources too). */
  hookPhase?: string;
  syncPhase?: string;
}

/** `status.operationState` of an Application. */
export interface ArgoOperationState {
  operation?: {
    sync?: { revision?: string; revisions?: string[] };
    initiatedBy?: { username?: string; automated?: boolean };
  };
  /** Running, Terminating, Succeeded, Failed, Error. */
  phase?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  syncResult?: {
    revision?: string;
    /** One per source of a multi-source Application (`revision` is empty then). */
    revisions?: string[];
    resources?: ArgoResourceResult[];
  };
}

/** One entry of `status.history` (appended on every successful sync). */
export interface ArgoHistoryEntry {
  id: number;
  revision?: string;
  deployedAt?: string;
  deployStartedAt?: string;
}

/**
 * The parts of an Argo CD Application (`argoproj.io/v1alpha1`) the services
 * read, as the Kubernetes API returns it.
 */
export interface ArgoApplication {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    /** Set while Argo CD deletes the Application (its finalizers run). */
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec?: {
    project?: string;
    source?: { repoURL?: string; path?: string; targetRevision?: string };
    destination?: { server?: string; namespace?: string };
    syncPolicy?: { automated?: unknown; syncOptions?: string[] };
  };
  /** A requested operation; cleared by the controller when it completes. */
  operation?: { sync?: { revision?: string } };
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    resources?: ArgoResourceStatus[];
    /**
     * `appTree` (Argo CD 3.x default): `resources[].health` is not written,
     * the resource tree has it; unset ("inline"): it is.
     */
    resourceHealthSource?: string;
    /** Errors (type `...Error`) and warnings (`...Warning`) of the Application. */
    conditions?: Array<{
      type: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
    operationState?: ArgoOperationState;
    history?: ArgoHistoryEntry[];
    reconciledAt?: string;
  };
}

const COMPLETED_PHASES = new Set(['Succeeded', 'Failed', 'Error']);

/** Whether an operation phase is final. */
export function isCompletedPhase(phase: string | undefined): boolean {
  return phase !== undefined && COMPLETED_PHASES.has(phase);
}

/** The API group of an apiVersion (empty for the core group). */
export function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion || !apiVersion.includes('/')) return '';
  return apiVersion.split('/')[0];
}

/** The WAVE_PLAN step a resource belongs to, by kind and group. */
function planStepFor(
  role: ApplicationRole,
  group: string,
  kind: string,
  hook: boolean,
): WaveStep | undefined {
  return (
    WAVE_PLAN.find(
      s =>
        s.application === role &&
        s.kind === kind &&
        s.group === group &&
        s.hook === hook,
    ) ??
    WAVE_PLAN.find(
      s => s.application === role && s.kind === kind && s.group === group,
    )
  );
}

const keyOf = (r: {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
}) => `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

/** Hook phases as the health a person expects to read next to them. */
const HOOK_HEALTH: Record<string, string> = {
  Running: 'Progressing',
  Terminating: 'Progressing',
  Succeeded: 'Healthy',
  Failed: 'Degraded',
  Error: 'Degraded',
};

/**
 * Builds what the portal shows for one of an environment's Applications
 * from the Application object (no request): its waves in order from
 * `status.resources[].syncWave` plus the hooks of the last operation's
 * `syncResult`, each labelled with its WAVE_PLAN step, with a state per
 * wave; the plan's waves are always present (pending until Argo CD reports
 * resources for them). Each resource's health is read where Argo CD keeps
 * it, with `evidence` for what the Application does not say (see
 * {@link resolveResourceHealth}); one that cannot be told is `Unknown`,
 * never healthy. The Application's error and warning conditions, its
 * deletion and a Degraded health without resources are its `problems`.
 * Without an object (not in the cache), the plan's waves are pending and
 * health says why: `Missing` when the cache is known complete, `Unknown`
 * otherwise.
 */
export function buildApplicationStatus(input: {
  role: ApplicationRole;
  name: string;
  app?: ArgoApplication;
  /** The cluster's Argo CD UI, for the link. */
  argocdUrl?: string;
  /** Namespace of the Application, for the link when there is no object. */
  namespace: string;
  /** Whether a missing object means the Application does not exist. */
  complete?: boolean;
  /**
   * Count a resource the last operation applied as synced when that
   * operation succeeded, even if Argo CD now compares the Application with
   * a newer commit of its targetRevision (a sync pinned to an older commit
   * shows OutOfSync against the branch). Not while Argo CD reports an error
   * for the Application: it could not compare it then.
   */
  operationResultsAreSynced?: boolean;
  /** What tells the resources' health besides the Application. */
  evidence?: HealthEvidence;
}): ApplicationStatus {
  const { role, name, app } = input;
  const url = input.argocdUrl
    ? `${input.argocdUrl.replace(/\/+$/, '')}/applications/${
        app?.metadata.namespace ?? input.namespace
      }/${name}`
    : undefined;
  const plan = wavesOf(role);
  if (!app) {
    return {
      role,
      name,
      health: input.complete ? 'Missing' : 'Unknown',
      waves: plan.map(step => ({
        wave: step.wave,
        step,
        state: 'pending',
        resources: [],
      })),
      ...(url ? { url } : {}),
    };
  }

  const problems = applicationProblems(app);
  const op = app.status?.operationState;
  const operationActive =
    Boolean(app.operation) || (op !== undefined && !isCompletedPhase(op.phase));
  const syncedByOperation =
    Boolean(input.operationResultsAreSynced) &&
    op?.phase === 'Succeeded' &&
    !hasErrors(problems);

  const entries = new Map<string, Entry>();
  for (const r of app.status?.resources ?? []) {
    const group = r.group ?? '';
    const hook = Boolean(r.hook);
    entries.set(keyOf(r), {
      group,
      kind: r.kind,
      namespace: r.namespace || undefined,
      name: r.name,
      hook,
      wave:
        r.syncWave ??
        (hook ? planStepFor(role, group, r.kind, true)?.wave : undefined) ??
        0,
      syncStatus: r.status,
      listed: r,
    });
  }
  for (const result of op?.syncResult?.resources ?? []) {
    if (result.status === 'Pruned' || result.status === 'PruneSkipped') {
      continue;
    }
    const key = keyOf(result);
    // gitops-engine gives cluster-scoped targets the destination namespace
    // in its results; status.resources lists them without one.
    const existing =
      entries.get(key) ?? entries.get(keyOf({ ...result, namespace: '' }));
    const hook = Boolean(result.hookType) || Boolean(existing?.hook);
    if (existing) {
      existing.result = result;
      existing.hook = hook;
      continue;
    }
    // Hooks are not (always) in status.resources and carry no wave in the
    // result: the plan says which wave they belong to.
    const group = result.group ?? '';
    entries.set(key, {
      group,
      kind: result.kind,
      namespace: result.namespace || undefined,
      name: result.name,
      hook,
      wave: planStepFor(role, group, result.kind, hook)?.wave ?? 0,
      result,
    });
  }
  for (const e of entries.values()) {
    if (e.hook) {
      e.health = e.listed?.health?.status || undefined;
      e.healthMessage = e.listed?.health?.message || undefined;
      continue;
    }
    const step = planStepFor(role, e.group, e.kind, false);
    const health = resolveResourceHealth(
      {
        resourceHealthSource: app.status?.resourceHealthSource,
        applicationHealth: app.status?.health?.status,
        resource: {
          group: e.group,
          kind: e.kind,
          namespace: e.namespace,
          name: e.name,
          listed: e.listed,
        },
        required: step?.kind === e.kind && step.group === e.group,
      },
      input.evidence,
    );
    e.health = health.status;
    e.healthMessage = health.message;
    e.healthSource = health.source;
  }

  const byWave = new Map<number, Entry[]>();
  for (const step of plan) byWave.set(step.wave, []);
  for (const e of entries.values()) {
    if (!byWave.has(e.wave)) byWave.set(e.wave, []);
    byWave.get(e.wave)!.push(e);
  }

  const waves: WaveStatus[] = [...byWave.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, list]) => {
      const step = plan.find(s => s.wave === wave);
      const resources: WaveResource[] = list
        .sort((a, b) =>
          `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`),
        )
        .map(e => {
          const failedMessage =
            e.result?.status === 'SyncFailed' ||
            e.result?.hookPhase === 'Failed' ||
            e.result?.hookPhase === 'Error'
              ? e.result.message
              : undefined;
          const health = e.hook
            ? HOOK_HEALTH[e.result?.hookPhase ?? ''] ?? e.health
            : e.health;
          const message = e.hook
            ? e.result?.message || e.healthMessage
            : failedMessage || e.healthMessage;
          const syncStatus = e.hook ? e.result?.status : e.syncStatus;
          return {
            kind: e.kind,
            name: e.name,
            ...(e.namespace ? { namespace: e.namespace } : {}),
            ...(syncStatus ? { syncStatus } : {}),
            ...(health ? { health } : {}),
            ...(!e.hook && e.healthSource
              ? { healthSource: e.healthSource }
              : {}),
            ...(message ? { message } : {}),
          };
        });
      return {
        wave,
        ...(step ? { step } : {}),
        state: waveState(
          list,
          list.map(e => resourceState(e, operationActive, syncedByOperation)),
          operationActive,
        ),
        resources,
      };
    });

  // A multi-source Application has `revisions` (one per source) and an
  // empty `revision` (pkg/apis/application/v1alpha1/types.go SyncStatus,
  // SyncOperationResult).
  const revisions = app.status?.sync?.revisions?.length
    ? app.status.sync.revisions
    : op?.syncResult?.revisions;
  const revision =
    app.status?.sync?.revision || op?.syncResult?.revision || revisions?.[0];
  return {
    role,
    name,
    ...(app.status?.sync?.status ? { syncStatus: app.status.sync.status } : {}),
    ...(app.status?.health?.status ? { health: app.status.health.status } : {}),
    ...(revision ? { revision } : {}),
    ...(revisions?.length ? { revisions: [...revisions] } : {}),
    ...(op?.phase ? { operationPhase: op.phase } : {}),
    ...(op?.message ? { operationMessage: op.message } : {}),
    ...(problems.length ? { problems } : {}),
    waves,
    ...(url ? { url } : {}),
  };
}
