import {
  ApiException,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { TRANSIENT_NETWORK_ERROR_CODES } from '../network';

/** The field manager of every server-side apply the plugins do. */
export const FIELD_MANAGER = 'backstage-logging-environments';

/**
 * What a failed Kubernetes call said: HTTP code and the `Status` reason and
 * message (e.g. `NotFound`, `Conflict`, `Invalid`, `Forbidden`).
 *
 * @public
 */
export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
}

/**
 * Reads the Kubernetes `Status` out of a client-node error (or a network
 * error's code).
 *
 * @public
 */
export function kubeStatus(error: unknown): KubeStatus {
  if (error instanceof ApiException) {
    let body: any = error.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        body = { message: body };
      }
    }
    return {
      code: error.code,
      reason: body?.reason,
      message: body?.message ?? error.message,
    };
  }
  const e = error as { code?: string; message?: string } | undefined;
  return { reason: e?.code, message: e?.message };
}

/**
 * A kind the API server does not serve: no CRD yet. client-node answers
 * 404 for an unknown group version, and "Unrecognized API version and kind"
 * for an unknown kind of a served one (e.g. on OpenShift, operator.openshift.io
 * is served without Red Hat's External Secrets).
 *
 * @internal
 */
export function notServed(error: unknown): boolean {
  return (
    kubeStatus(error).code === 404 ||
    /Unrecognized API version and kind/.test(String((error as Error)?.message))
  );
}

const RETRYABLE_CODES = new Set([429, 500, 502, 503, 504]);

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const value = error.headers?.['retry-after'];
  const seconds = value ? Number(value) : NaN;
  return Number.isFinite(seconds) ? Math.min(seconds, 10) * 1000 : undefined;
}

/**
 * Retries a Kubernetes call on throttling (429), 5xx and dropped
 * connections, with exponential backoff and jitter (honouring
 * `Retry-After`), a bounded number of times: the same policy the AWS SDK
 * applies to AWS calls.
 *
 * @public
 */
export async function withKubeRetry<T>(
  fn: () => Promise<T>,
  options: { attempts?: number; baseDelayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const status = kubeStatus(e);
      const retryable =
        (status.code !== undefined && RETRYABLE_CODES.has(status.code)) ||
        (status.code === undefined &&
          status.reason !== undefined &&
          TRANSIENT_NETWORK_ERROR_CODES.has(status.reason));
      if (!retryable || attempt >= attempts) throw e;
      const backoff = base * 2 ** (attempt - 1);
      const delay = retryAfterMs(e) ?? backoff / 2 + Math.random() * backoff;
      await new Promise(r => setTimeout(r, delay));
    }
  }
}

/** Identifies one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * The {@link ObjectRef} of a manifest, which must have an apiVersion, a kind
 * and a name.
 *
 * @public
 */
export function objectRefOf(object: KubernetesObject): ObjectRef {
  return {
    apiVersion: object.apiVersion!,
    kind: object.kind!,
    name: object.metadata!.name!,
    namespace: object.metadata?.namespace,
  };
}

/**
 * The Kubernetes calls the plugins make, through client-node's generic
 * object API, each retried by {@link withKubeRetry}.
 *
 * @public
 */
export class ClusterClient {
  /** A client for the cluster a KubeConfig points at. */
  static fromKubeConfig(kubeConfig: KubeConfig): ClusterClient {
    return new ClusterClient(
      KubernetesObjectApi.makeApiClient(kubeConfig),
      kubeConfig.getCurrentCluster()?.server ?? 'unknown',
    );
  }

  private constructor(
    private readonly objects: KubernetesObjectApi,
    /** API server URL, for messages. */
    readonly server: string,
  ) {}

  /** Reads an object; undefined when it does not exist. */
  async get<
    T extends KubernetesObject = KubernetesObject & Record<string, any>,
  >(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await withKubeRetry(() =>
        this.objects.read<T>({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
        } as any),
      );
    } catch (e) {
      if (kubeStatus(e).code === 404) return undefined;
      throw e;
    }
  }

  /** Lists objects of a kind. */
  async list<
    T extends KubernetesObject = KubernetesObject & Record<string, any>,
  >(
    apiVersion: string,
    kind: string,
    options: { namespace?: string; labelSelector?: string } = {},
  ): Promise<T[]> {
    const list = await withKubeRetry(() =>
      this.objects.list<T>(
        apiVersion,
        kind,
        options.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        options.labelSelector,
      ),
    );
    return list.items;
  }

  /**
   * Server-side apply with the plugins' field manager. `force` takes over
   * fields another manager set (the bootstrap owns what it applies).
   */
  async apply<T extends KubernetesObject>(
    object: T,
    options: { dryRun?: boolean; force?: boolean } = {},
  ): Promise<T> {
    const body = { ...object } as any;
    if (body.metadata) {
      body.metadata = { ...body.metadata };
      delete body.metadata.resourceVersion;
      delete body.metadata.managedFields;
    }
    return withKubeRetry(() =>
      this.objects.patch<T>(
        body,
        undefined,
        options.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        options.force ?? true,
        PatchStrategy.ServerSideApply,
      ),
    );
  }

  /** JSON merge patch, e.g. to set `.operation` on an Application. */
  async mergePatch<T extends KubernetesObject>(
    ref: ObjectRef,
    patch: Record<string, unknown>,
  ): Promise<T> {
    return withKubeRetry(() =>
      this.objects.patch<T>(
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
          ...patch,
        } as any,
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      ),
    );
  }
}

/**
 * Says what a long wait waits for: `log` gets a line naming `what` and the
 * time waited so far every `everyMs` (10 s by default), so a step that
 * waits minutes is never a silent spinner.
 *
 * @public
 */
export interface WaitProgress {
  what: string;
  log: (line: string) => void;
  everyMs?: number;
}

/** How often {@link WaitProgress} reports by default. */
const PROGRESS_EVERY_MS = 10_000;

/**
 * Polls until `check` returns a value, or the timeout passes (then returns
 * undefined). Bounded waits for operators that reconcile asynchronously;
 * with `progress`, it says what it waits for while it waits.
 *
 * @public
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; progress?: WaitProgress },
): Promise<T | undefined> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const every = options.progress?.everyMs ?? PROGRESS_EVERY_MS;
  let nextReport = started + every;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    const now = Date.now();
    if (now >= deadline) return undefined;
    if (options.progress && now >= nextReport) {
      options.progress.log(
        `Still waiting for ${options.progress.what}: ${Math.round(
          (now - started) / 1000,
        )} s so far, at most ${Math.round(options.timeoutMs / 1000)} s`,
      );
      nextReport = now + every;
    }
    await new Promise(r => setTimeout(r, options.intervalMs ?? 500));
  }
}
