import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  CheckStatus,
  ChecklistItem,
  ChecklistRun,
} from '@internal/plugin-logging-environments-common';
import {
  ArgoCdHealthCheckSettings,
  AwsClients,
  ClusterClient,
  LokiUserState,
  awsErrorCode,
  argoCdHealthCheckSettings,
  awsNamesFor,
  inspectLokiUser,
  isNetworkError,
} from '@internal/plugin-logging-environments-node';
import { randomUUID } from 'node:crypto';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { ArgoRevisionSource, ClusterClientProvider } from '../revision';
import { describeKubeError } from '../revision/clusterClients';
import { ChecklistService, Environment } from '../types';
import { bucketProbe, iamPolicyProbe, secretProbe } from './awsProbes';
import { applicationsProbe } from './applicationsProbe';
import { argoCdHealthChecksProbe } from './argoCdHealthChecksProbe';
import { clusterCredentialsProbe } from './clusterCredentialsProbe';
import { operatorsProbe } from './operatorsProbe';
import { revisionProbe } from './revisionProbe';
import { secretStoreProbe } from './secretStoreProbe';
import { secretScopeProbe } from './secretScopeProbe';
import { ChecklistProbe, ProbeContext, ProbeResult } from './types';
import type { EnvironmentChanges } from '../events/EnvironmentEvents';
import { SingleFlight } from '../util/singleFlight';

/**
 * Every probe of the phase-2 checklist, in the order the page shows them.
 *
 * @public
 */
export const DEFAULT_PROBES: readonly ChecklistProbe[] = [
  bucketProbe,
  iamPolicyProbe,
  secretProbe,
  clusterCredentialsProbe,
  secretStoreProbe,
  secretScopeProbe,
  operatorsProbe,
  argoCdHealthChecksProbe,
  applicationsProbe,
  revisionProbe,
];

/** Default time each probe gets. */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * How long a request waits for another replica's run of the same
 * environment: longer than a run takes (its probes run in parallel, each
 * with its timeout).
 */
const CHECKLIST_LOCK_WAIT_MS = 5 * 60_000;

/** What the checklist needs of AWS: clients for a region. */
export interface AwsClientSource {
  clients(region: string): Promise<AwsClients>;
}

/**
 * Combines item statuses: `fail` if any failed, else `unknown` if any is
 * unknown, else `warn` if any warns, else `pass`.
 *
 * @public
 */
export function overallStatus(statuses: CheckStatus[]): CheckStatus {
  for (const s of ['fail', 'unknown', 'warn'] as const) {
    if (statuses.includes(s)) return s;
  }
  return 'pass';
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function describeAwsError(error: unknown, where: { region?: string }): string {
  const e = error as {
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (!e || typeof e !== 'object') return String(error);
  const status = e.$metadata?.httpStatusCode;
  const code = awsErrorCode(error);
  // The SDK's retry middleware wraps errors it does not recognise (e.g. a
  // socket error from another realm) into "AWS SDK error wrapper for ...".
  const message = (e.message ?? '').replace(/^AWS SDK error wrapper for /, '');
  if (status !== undefined && status > 0) {
    return `AWS answered ${
      code ?? 'an error'
    } (HTTP ${status}): ${message}`.trim();
  }
  if (isNetworkError(error)) {
    return `AWS${where.region ? ` (${where.region})` : ''} is unreachable: ${
      message || code
    }`;
  }
  if (code === 'CredentialsProviderError') {
    return `AWS credentials of the portal are not usable: ${message}`;
  }
  return `AWS call failed${code && code !== 'Error' ? ` (${code})` : ''}: ${
    message || String(error)
  }`;
}

/** A value computed at most once, on first use (errors included). */
function once<T>(fn: () => T): () => T {
  let done = false;
  let value: T;
  let error: unknown;
  return () => {
    if (!done) {
      done = true;
      try {
        value = fn();
      } catch (e) {
        error = e;
      }
    }
    if (error !== undefined) throw error;
    return value;
  };
}

// AWS access key ids (long-term and temporary), in case an upstream message
// carries one the probes did not register.
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;
const REDACTED = '[redacted]';
const MIN_SECRET_LENGTH = 8;

function scrub(text: string, secrets: Set<string>): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out.replace(ACCESS_KEY_ID, REDACTED);
}

/**
 * The phase-2 checklist: runs every probe in parallel, each with its own
 * timeout, turns whatever happens into an item (a timeout or an unreachable
 * cluster or AWS is `unknown` with the cause; a probe never fails the
 * request), scrubs secret values out of the items, stores the run and
 * records it in the environment's history.
 *
 * @remarks
 * It reads no configuration: build its options with
 * `readChecklistOptions(config)` and pass its clients in.
 *
 * @public
 */
export class DefaultChecklistService implements ChecklistService {
  private readonly options: {
    store: LoggingEnvironmentsStore;
    logger: LoggerService;
    aws: AwsClientSource;
    clusters: ClusterClientProvider;
    revisions: ArgoRevisionSource;
    gitops: { repoUrl?: string; branch?: string };
    argoCd: ArgoCdHealthCheckSettings;
    probes: readonly ChecklistProbe[];
    defaultTimeoutMs: number;
    perProbe: Record<string, number>;
    events?: EnvironmentChanges;
    approvers?: { notifyIfApprovalNeeded(environment: Environment): unknown };
  };
  /**
   * Concurrent requests for one environment ("Re-run checks" twice) share
   * one run; across replicas, the store's lease does.
   */
  readonly #inFlight = new SingleFlight<ChecklistRun>();

  constructor(options: {
    store: LoggingEnvironmentsStore;
    logger: LoggerService;
    /** AWS clients for the environment's region (e.g. an `AwsClientFactory`). */
    aws: AwsClientSource;
    /** Kubernetes clients by cluster name (e.g. `registryClusterClients(registry)`). */
    clusters: ClusterClientProvider;
    /** Reads the revision Argo CD will sync (default: one over `clusters`). */
    revisions?: ArgoRevisionSource;
    /** The repository the Applications must read; see `readChecklistOptions`. */
    gitops?: { repoUrl?: string; branch?: string };
    /**
     * The Argo CD health checks the product ships and each cluster's flavour
     * (default: the workspace's `manifests/argocd/health`, every cluster
     * `auto`); see `argoCdHealthCheckSettings`.
     */
    argoCd?: ArgoCdHealthCheckSettings;
    /** The probes to run (default {@link DEFAULT_PROBES}). */
    probes?: readonly ChecklistProbe[];
    /** Probe timeouts in milliseconds (default {@link DEFAULT_PROBE_TIMEOUT_MS}). */
    timeouts?: { defaultMs?: number; perProbe?: Record<string, number> };
    /** Told about every stored run (browsers get a signal). */
    events?: EnvironmentChanges;
    /** Told after every stored run: a passing checklist may make a review due. */
    approvers?: { notifyIfApprovalNeeded(environment: Environment): unknown };
  }) {
    this.options = {
      store: options.store,
      logger: options.logger,
      aws: options.aws,
      clusters: options.clusters,
      revisions:
        options.revisions ??
        new ArgoRevisionSource({ clusters: options.clusters }),
      gitops: options.gitops ?? {},
      argoCd: options.argoCd ?? argoCdHealthCheckSettings(),
      probes: options.probes ?? DEFAULT_PROBES,
      defaultTimeoutMs: options.timeouts?.defaultMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      perProbe: options.timeouts?.perProbe ?? {},
      events: options.events,
      approvers: options.approvers,
    };
  }

  async run(environment: Environment, actor: string): Promise<ChecklistRun> {
    const ref = environment.entityRef;
    return this.#inFlight.run(ref, () => {
      const asked = Date.now();
      // Another replica's run of this environment is shared the same way:
      // wait for it and answer with what it stored (unless it stored
      // nothing, its replica having died mid-run).
      return this.options.store.withLock(
        `checklist:${ref}`,
        async ({ waited }) => {
          const theirs = waited
            ? await this.options.store.latestChecklistRun(ref)
            : undefined;
          if (theirs && Date.parse(theirs.finishedAt) > asked) return theirs;
          const run = await this.#run(environment, actor);
          this.options.events?.changed(ref, 'checklist');
          void this.options.approvers?.notifyIfApprovalNeeded(environment);
          return run;
        },
        { waitMs: CHECKLIST_LOCK_WAIT_MS },
      );
    });
  }

  async #run(environment: Environment, actor: string): Promise<ChecklistRun> {
    const { store, logger, probes } = this.options;
    const startedAt = new Date();
    const secrets = new Set<string>();
    const context = this.context(environment, secrets);
    const timed = await Promise.all(
      probes.map(probe => this.runProbe(probe, context, environment)),
    );
    const finishedAt = new Date();
    const items: ChecklistItem[] = timed.map(t => t.item);
    for (const item of items) {
      item.message = scrub(item.message, secrets);
      for (const [k, v] of Object.entries(item.evidence)) {
        if (typeof v === 'string') item.evidence[k] = scrub(v, secrets);
      }
    }
    const revisionItem = items.find(i => i.id === revisionProbe.id);
    const revision =
      revisionItem && typeof revisionItem.evidence.revision === 'string'
        ? revisionItem.evidence.revision
        : undefined;
    const run: ChecklistRun = {
      id: randomUUID(),
      items,
      status: overallStatus(items.map(i => i.status)),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      ...(revision ? { revision } : {}),
    };

    const count = (s: CheckStatus) => items.filter(i => i.status === s);
    const named = (s: CheckStatus) => {
      const list = count(s);
      return list.length ? `; ${s}: ${list.map(i => i.id).join(', ')}` : '';
    };
    const summary = `Checklist ${run.status}: ${count('pass').length} of ${
      items.length
    } passed${named('fail')}${named('unknown')}${named('warn')}${
      revision ? ` (revision ${revision})` : ''
    }`;
    await store.addChecklistRun(environment.entityRef, run, actor);
    await store.addHistory(environment.entityRef, {
      type: 'checklist',
      actor,
      message: summary,
      details: {
        runId: run.id,
        status: run.status,
        pass: count('pass').length,
        fail: count('fail').length,
        warn: count('warn').length,
        unknown: count('unknown').length,
        ...(revision ? { revision } : {}),
      },
    });
    const wall = finishedAt.getTime() - startedAt.getTime();
    const sum = timed.reduce((n, t) => n + t.ms, 0);
    logger.info(
      `Checklist of ${environment.entityRef} for ${actor}: ${
        run.status
      } in ${wall} ms (probes took ${sum} ms together: ${timed
        .map(t => `${t.item.id} ${t.ms} ms`)
        .join(', ')})`,
      {
        environment: environment.entityRef,
        run: run.id,
        status: run.status,
        actor,
      },
    );
    return run;
  }

  private context(
    environment: Environment,
    secrets: Set<string>,
  ): ProbeContext & { server(): string | undefined } {
    const { aws, clusters, revisions, gitops, argoCd } = this.options;
    const awsClients = once(() => {
      if (!environment.region) {
        return Promise.reject(new Error('the environment names no AWS region'));
      }
      return aws.clients(environment.region);
    });
    const cluster = once((): ClusterClient => clusters(environment.cluster));
    const lokiUser = once(
      (): Promise<LokiUserState> =>
        awsClients().then(c =>
          inspectLokiUser(c.iam, awsNamesFor(environment.name).iamUser),
        ),
    );
    return {
      environment,
      aws: awsClients,
      cluster,
      lokiUser,
      secret(value) {
        if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
      },
      gitops,
      revisions,
      argoCd: {
        healthChecks: () => argoCd.healthChecks(),
        flavour: () => argoCd.flavour(environment.cluster),
      },
      timeoutMs: this.options.defaultTimeoutMs,
      server() {
        try {
          return cluster().server;
        } catch {
          return undefined;
        }
      },
    };
  }

  private async runProbe(
    probe: ChecklistProbe,
    base: ProbeContext & { server(): string | undefined },
    environment: Environment,
  ): Promise<{ item: ChecklistItem; ms: number }> {
    const timeoutMs =
      this.options.perProbe[probe.id] ?? this.options.defaultTimeoutMs;
    const context = { ...base, timeoutMs };
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ProbeResult>(resolve => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'unknown',
            message: `Timed out after ${formatDuration(
              timeoutMs,
            )} waiting for ${
              probe.target === 'aws'
                ? `AWS (${environment.region ?? 'no region'})`
                : `cluster "${environment.cluster}"`
            }`,
          }),
        timeoutMs,
      );
    });
    const work = Promise.resolve()
      .then(() => probe.run(context))
      .catch(
        (e): ProbeResult => ({
          status: 'unknown',
          message: this.describe(e, probe, environment, base.server()),
        }),
      );
    const result = await Promise.race([work, timeout]);
    clearTimeout(timer);
    const ms = Date.now() - started;
    this.options.logger.debug(
      `Checklist probe ${probe.id} of ${environment.entityRef}: ${result.status} in ${ms} ms`,
      {
        environment: environment.entityRef,
        probe: probe.id,
        status: result.status,
      },
    );
    return {
      ms,
      item: {
        id: probe.id,
        title: probe.title,
        status: result.status,
        message: result.message,
        evidence: { ...(result.evidence ?? {}) },
        checkedAt: new Date().toISOString(),
      },
    };
  }

  private describe(
    error: unknown,
    probe: ChecklistProbe,
    environment: Environment,
    server: string | undefined,
  ): string {
    if (error instanceof NotFoundError) return error.message;
    if (probe.target === 'aws') {
      return describeAwsError(error, { region: environment.region });
    }
    return describeKubeError(error, { cluster: environment.cluster, server });
  }
}
