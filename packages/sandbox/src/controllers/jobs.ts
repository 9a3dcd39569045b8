/**
 * Simulated Job controller (batch/v1) for a cluster that runs no
 * containers: a Job is simulated by what its container runs.
 *
 * - A `kubectl wait` / `oc wait` (directly as command/args, or inside an
 *   `sh -c` / `bash -c` script, several joined by `&&`, `;` or newlines
 *   being run one after another) polls the store every `profile.jobPollMs`
 *   as kubectl would: `--for=condition=<C>[=<value>]` (kubectl's
 *   case-insensitive match on the first condition of that type),
 *   `--for=delete`, `--for=create`, `--for=jsonpath='{.a.b}'[=<value>]`, on
 *   `<type>/<name>`, `<type> <name>...`, `<type> --all` or `-l <selector>`,
 *   with `-n`/`--namespace` (default: the Job's namespace), `-A` and
 *   `--timeout` (default 30s). `<type>` is any served kind, plural,
 *   singular or short name, optionally `.<group>` or `.<version>.<group>`.
 *   A missing named object or an unknown type fails the attempt at once, as
 *   kubectl exits with an error.
 * - Any other Job succeeds after one poll.
 *
 * A failed attempt (wait timed out, or error) counts as a failed pod; the
 * Job retries after `jobPollMs` until `spec.backoffLimit` (default 6) is
 * exceeded (`BackoffLimitExceeded`). `spec.activeDeadlineSeconds` fails it
 * with `DeadlineExceeded`. Durations are not rescaled: each one taken from
 * the manifest (activeDeadlineSeconds, --timeout) is capped at
 * `profile.jobDefaultDeadlineMs` and otherwise used as written, so a 900 s
 * deadline ends after 5 s with the fast profile and a 1 s one after 1 s.
 *
 * Status follows the Job controller of Kubernetes 1.31+ (pkg/controller/job):
 * `startTime`, `active`, `ready`, `terminating`, `uncountedTerminatedPods`,
 * then `SuccessCriteriaMet` + `Complete` (reason `CompletionsReached`,
 * "Reached expected number of succeeded pods") with `succeeded` and
 * `completionTime`, or `FailureTarget` + `Failed` (`DeadlineExceeded`, "Job
 * was active longer than specified deadline"; `BackoffLimitExceeded`, "Job
 * has reached the specified backoff limit") with `failed`.
 *
 * Simplified: one pod per Job (completions/parallelism ignored), no Pod
 * objects, no pod backoff growth, `spec.suspend` leaves the Job untouched,
 * podFailurePolicy and successPolicy are not evaluated.
 */
import {
  KubeObject,
  ObjectStore,
  ResourceType,
  apiVersionOf,
} from '../kube/types';
import { parseLabelSelector } from '../kube/selectors';
import {
  Condition,
  keyOf,
  kubeTime,
  refOf,
  startWorkQueue,
  writeStatus,
} from './kit';
import { Controller, ControllerContext } from './types';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' };

/** One `kubectl wait` invocation. */
export interface WaitSpec {
  /** The resource type as written, e.g. `lokistack.loki.grafana.com`. */
  resource: string;
  names: string[];
  all: boolean;
  selector?: string;
  namespace?: string;
  allNamespaces: boolean;
  /** The `--for` value, e.g. `condition=Ready`. */
  for: string;
  /** Timeout in ms (kubectl's default is 30s). */
  timeoutMs: number;
}

/** Splits a shell command line into words (quotes and backslashes only). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length)
        current += line[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || current) words.push(current);
      current = '';
      has = false;
    } else {
      current += c;
    }
  }
  if (has || current) words.push(current);
  return words;
}

/** Splits a script into simple commands at `&&`, `||`, `;`, `|` and newlines. */
function scriptCommands(script: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (quote) {
      current += c;
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (c === '\n' || c === ';' || c === '|' || c === '&') {
      if ((c === '&' || c === '|') && script[i + 1] === c) i++;
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  return out.map(s => s.trim()).filter(Boolean);
}

/** Go duration or plain seconds, as kubectl's --timeout accepts. */
function parseTimeout(text: string): number | undefined {
  const s = text.trim();
  if (/^-\d+/.test(s)) return 7 * 24 * 3_600_000; // negative: "a week"
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  let total = 0;
  let consumed = 0;
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    if (m.index !== consumed) return undefined;
    total += parseFloat(m[1]) * units[m[2]];
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

// kubectl/oc flags (other than the ones parsed) that take a value.
const VALUE_FLAGS = new Set([
  '--kubeconfig',
  '--context',
  '--cluster',
  '--user',
  '--token',
  '--server',
  '-s',
  '--as',
  '--as-group',
  '--request-timeout',
  '-o',
  '--output',
  '--field-selector',
  '--cache-dir',
  '--certificate-authority',
  '--template',
]);

/** Parses the words of one `kubectl wait`/`oc wait`; undefined if it is not one. */
export function parseWait(words: string[]): WaitSpec | undefined {
  let i = 0;
  // Leading `exec`, `env`, variable assignments and `timeout <d>` wrappers.
  while (i < words.length) {
    const w = words[i];
    if (w === 'exec' || w === 'env' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
    else if (w === 'timeout') i += 2;
    else break;
  }
  const tool = (words[i] ?? '').split('/').pop();
  if (tool !== 'kubectl' && tool !== 'oc') return undefined;
  const rest = words.slice(i + 1);
  const spec: WaitSpec = {
    resource: '',
    names: [],
    all: false,
    allNamespaces: false,
    for: '',
    timeoutMs: 30_000,
  };
  let sawWait = false;
  const positional: string[] = [];
  for (let j = 0; j < rest.length; j++) {
    const w = rest[j];
    const value = (name: string) => {
      if (w.startsWith(`${name}=`)) return w.slice(name.length + 1);
      return rest[++j];
    };
    if (w === '-n' || w.startsWith('--namespace') || /^-n.+/.test(w)) {
      if (w.startsWith('-n=')) spec.namespace = w.slice(3);
      else if (/^-n[^=]/.test(w) && w !== '-n') spec.namespace = w.slice(2);
      else spec.namespace = value(w.startsWith('--') ? '--namespace' : '-n');
    } else if (w.startsWith('--for')) {
      spec.for = value('--for') ?? '';
    } else if (w.startsWith('--timeout')) {
      spec.timeoutMs = parseTimeout(value('--timeout') ?? '') ?? 30_000;
    } else if (w === '--all') {
      spec.all = true;
    } else if (w === '-A' || w === '--all-namespaces') {
      spec.allNamespaces = true;
    } else if (
      w === '-l' ||
      w.startsWith('--selector') ||
      w.startsWith('-l=')
    ) {
      spec.selector = w.startsWith('-l=')
        ? w.slice(3)
        : value(w === '-l' ? '-l' : '--selector');
    } else if (w.startsWith('-')) {
      // Other flags: those that take a value skip it when it is separate.
      if (!w.includes('=') && VALUE_FLAGS.has(w)) j++;
    } else if (!sawWait && w === 'wait') {
      sawWait = true;
    } else if (sawWait) {
      positional.push(w);
    } else {
      return undefined; // another subcommand
    }
  }
  if (!sawWait || positional.length === 0) return undefined;
  if (positional[0].includes('/')) {
    for (const p of positional) {
      const slash = p.indexOf('/');
      spec.resource = p.slice(0, slash);
      spec.names.push(p.slice(slash + 1));
    }
  } else {
    spec.resource = positional[0];
    spec.names = positional.slice(1);
  }
  return spec;
}

/** Every `kubectl wait`/`oc wait` a container runs, in order. */
export function waitsOfContainer(container: {
  command?: string[];
  args?: string[];
}): WaitSpec[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const shell = (argv[0] ?? '').split('/').pop() ?? '';
  const c = argv.indexOf('-c');
  if (
    ['sh', 'bash', 'ash', 'dash', 'zsh'].includes(shell) &&
    c > 0 &&
    argv[c + 1]
  ) {
    return scriptCommands(argv[c + 1])
      .map(cmd => parseWait(shellWords(cmd)))
      .filter((w): w is WaitSpec => Boolean(w));
  }
  const direct = parseWait(argv);
  return direct ? [direct] : [];
}

/** Finds the served type a kubectl resource argument names. */
export function resolveResource(
  types: ResourceType[],
  resource: string,
): ResourceType | undefined {
  const lower = resource.toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot < 0 ? lower : lower.slice(0, dot);
  const qualifier = dot < 0 ? undefined : lower.slice(dot + 1);
  return types.find(t => {
    const names = [
      t.plural,
      t.singular,
      t.kind.toLowerCase(),
      ...(t.shortNames ?? []),
    ];
    if (!names.includes(name)) return false;
    if (qualifier === undefined) return true;
    return qualifier === t.group || qualifier === `${t.version}.${t.group}`;
  });
}

function jsonPathValue(o: unknown, path: string): unknown {
  const inner = path.replace(/^\{/, '').replace(/\}$/, '').replace(/^\./, '');
  let cur: unknown = o;
  for (const part of inner.split('.').filter(Boolean)) {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m || !cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[m[1]];
    if (m[2] !== undefined)
      cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
  }
  return cur;
}

/** The outcome of one evaluation of a wait: done, not yet, or an error. */
export type WaitResult = { done: true } | { done: false; error?: string };

/** Evaluates a wait against the store, as one kubectl poll would. */
export function evaluateWait(
  store: ObjectStore,
  wait: WaitSpec,
  defaultNamespace: string,
): WaitResult {
  const type = resolveResource(store.types(), wait.resource);
  if (!type) {
    return {
      done: false,
      error: `error: the server doesn't have a resource type "${wait.resource}"`,
    };
  }
  const apiVersion = apiVersionOf(type);
  const namespace = type.namespaced
    ? wait.namespace ?? defaultNamespace
    : undefined;
  const resourceName = `${type.plural}${type.group ? `.${type.group}` : ''}`;
  let objects: Array<KubeObject | undefined>;
  if (wait.names.length) {
    objects = wait.names.map(name =>
      store.get({ apiVersion, kind: type.kind, namespace, name }),
    );
  } else {
    const listed = store.list(apiVersion, type.kind, {
      namespace: wait.allNamespaces ? undefined : namespace,
    });
    const matches = wait.selector
      ? parseLabelSelector(wait.selector)
      : () => true;
    objects = listed.filter(o => matches(o.metadata.labels ?? {}));
    if (objects.length === 0 && !wait.for.startsWith('delete')) {
      return { done: false, error: 'error: no matching resources found' };
    }
  }
  const forSpec = wait.for;
  if (forSpec === 'delete') {
    return objects.every(o => !o) ? { done: true } : { done: false };
  }
  const missing = wait.names.find((_, idx) => !objects[idx]);
  if (forSpec === 'create') {
    return missing === undefined ? { done: true } : { done: false };
  }
  if (missing !== undefined) {
    return {
      done: false,
      error: `Error from server (NotFound): ${resourceName} "${missing}" not found`,
    };
  }
  const check = (o: KubeObject): boolean => {
    if (forSpec.startsWith('condition=')) {
      const [condition, value = 'true'] = forSpec
        .slice('condition='.length)
        .split('=');
      const conditions = ((o.status as { conditions?: Condition[] } | undefined)
        ?.conditions ?? []) as Condition[];
      const found = conditions.find(
        c => String(c?.type).toLowerCase() === condition.toLowerCase(),
      );
      return (
        Boolean(found) &&
        String(found!.status).toLowerCase() === value.toLowerCase()
      );
    }
    if (forSpec.startsWith('jsonpath=')) {
      const expr = forSpec.slice('jsonpath='.length);
      const close = expr.lastIndexOf('}');
      const path = expr.slice(0, close + 1);
      const expected = expr.slice(close + 1).replace(/^=/, '');
      const actual = jsonPathValue(o, path);
      if (actual === undefined || actual === null) return false;
      return expected === '' ? true : String(actual) === expected;
    }
    return false;
  };
  if (!forSpec.startsWith('condition=') && !forSpec.startsWith('jsonpath=')) {
    return {
      done: false,
      error: `error: unrecognized condition: "${forSpec}"`,
    };
  }
  return (objects as KubeObject[]).every(check)
    ? { done: true }
    : { done: false };
}

interface Attempt {
  startedAt: number;
  waitIndex: number;
  waitStartedAt: number;
  /** When a retry may start after a failed attempt. */
  retryAt?: number;
}

/** Starts the simulated Job controller. */
export function startJobController(ctx: ControllerContext): Controller {
  const { store, profile } = ctx;
  const cap = (ms: number) => Math.min(ms, profile.jobDefaultDeadlineMs);
  const attempts = new Map<string, Attempt>();
  // Precise start per Job uid (status.startTime has second precision).
  const started = new Map<string, number>();
  let stopped = false;

  const finish = (
    job: KubeObject,
    outcome:
      | { ok: true }
      | { ok: false; reason: 'DeadlineExceeded' | 'BackoffLimitExceeded' },
    failedCount: number,
  ) => {
    const now = kubeTime();
    const condition = (
      type: string,
      reason: string,
      message: string,
    ): Condition => ({
      type,
      status: 'True',
      reason,
      message,
      lastProbeTime: now,
      lastTransitionTime: now,
    });
    writeStatus(store, refOf(JOB.apiVersion, JOB.kind, keyOf(job)), current => {
      const status = (current.status ?? {}) as Record<string, unknown>;
      const conditions = ((status.conditions as Condition[]) ?? []).filter(
        c =>
          ![
            'SuccessCriteriaMet',
            'Complete',
            'FailureTarget',
            'Failed',
          ].includes(c.type),
      );
      if (outcome.ok) {
        const message = 'Reached expected number of succeeded pods';
        return {
          ...status,
          active: 0,
          ready: 0,
          terminating: 0,
          succeeded: 1,
          ...(failedCount ? { failed: failedCount } : {}),
          completionTime: now,
          conditions: [
            ...conditions,
            condition('SuccessCriteriaMet', 'CompletionsReached', message),
            condition('Complete', 'CompletionsReached', message),
          ],
        };
      }
      const message =
        outcome.reason === 'DeadlineExceeded'
          ? 'Job was active longer than specified deadline'
          : 'Job has reached the specified backoff limit';
      return {
        ...status,
        active: 0,
        ready: 0,
        terminating: 0,
        failed: failedCount,
        conditions: [
          ...conditions,
          condition('FailureTarget', outcome.reason, message),
          condition('Failed', outcome.reason, message),
        ],
      };
    });
    attempts.delete(job.metadata.uid!);
    started.delete(job.metadata.uid!);
    ctx.log(
      `jobs: Job ${keyOf(job)} ${
        outcome.ok ? 'complete' : `failed (${outcome.reason})`
      }`,
    );
  };

  const reconcile = (key: string): number | void => {
    const ref = refOf(JOB.apiVersion, JOB.kind, key);
    const job = store.get(ref);
    if (!job || stopped) return undefined;
    const spec = (job.spec ?? {}) as {
      suspend?: boolean;
      backoffLimit?: number;
      activeDeadlineSeconds?: number;
      template?: {
        spec?: { containers?: Array<{ command?: string[]; args?: string[] }> };
      };
    };
    const status = (job.status ?? {}) as {
      startTime?: string;
      failed?: number;
      conditions?: Condition[];
    };
    if (spec.suspend) return undefined;
    if (
      status.conditions?.some(
        c =>
          (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      )
    ) {
      return undefined;
    }
    const now = Date.now();
    const uid = job.metadata.uid!;
    if (!status.startTime) {
      writeStatus(store, ref, current => ({
        ...((current.status ?? {}) as object),
        startTime: kubeTime(),
        active: 1,
        ready: 1,
        terminating: 0,
        uncountedTerminatedPods: {},
      }));
      attempts.set(uid, { startedAt: now, waitIndex: 0, waitStartedAt: now });
      started.set(uid, now);
      const waits = waitsOfContainer(
        spec.template?.spec?.containers?.[0] ?? {},
      );
      ctx.log(
        `jobs: Job ${key} started${
          waits.length
            ? `, waiting for ${waits
                .map(w => `${w.resource}/${w.names.join(',') || '*'} ${w.for}`)
                .join(' then ')}`
            : ''
        }`,
      );
      return profile.jobPollMs;
    }
    let failed = status.failed ?? 0;
    const startTime = started.get(uid) ?? Date.parse(status.startTime);
    if (spec.activeDeadlineSeconds !== undefined) {
      const deadline = startTime + cap(spec.activeDeadlineSeconds * 1000);
      if (now >= deadline) {
        // The active pod is terminated and counted as failed.
        finish(job, { ok: false, reason: 'DeadlineExceeded' }, failed + 1);
        return undefined;
      }
    }
    let attempt = attempts.get(uid);
    if (!attempt) {
      attempt = { startedAt: now, waitIndex: 0, waitStartedAt: now };
      attempts.set(uid, attempt);
    }
    if (attempt.retryAt !== undefined) {
      if (now < attempt.retryAt) return attempt.retryAt - now;
      attempt.retryAt = undefined;
      attempt.startedAt = now;
      attempt.waitIndex = 0;
      attempt.waitStartedAt = now;
      writeStatus(store, ref, current => ({
        ...((current.status ?? {}) as object),
        active: 1,
        ready: 1,
      }));
      return profile.jobPollMs;
    }
    const waits = waitsOfContainer(spec.template?.spec?.containers?.[0] ?? {});
    // Anything but a wait "runs" for one poll and exits 0.
    if (waits.length === 0) {
      if (now - attempt.startedAt < profile.jobPollMs) {
        return attempt.startedAt + profile.jobPollMs - now;
      }
      finish(job, { ok: true }, failed);
      return undefined;
    }
    let error: string | undefined;
    while (attempt.waitIndex < waits.length) {
      const wait = waits[attempt.waitIndex];
      const result = evaluateWait(store, wait, job.metadata.namespace!);
      if (result.done) {
        attempt.waitIndex++;
        attempt.waitStartedAt = now;
        continue;
      }
      if (result.error) {
        error = result.error;
      } else if (now - attempt.waitStartedAt >= cap(wait.timeoutMs)) {
        error = `error: timed out waiting for the condition on ${
          wait.resource
        }/${wait.names.join(',')}`;
      }
      break;
    }
    if (!error && attempt.waitIndex >= waits.length) {
      finish(job, { ok: true }, failed);
      return undefined;
    }
    if (error) {
      failed += 1;
      ctx.log(`jobs: Job ${key} pod failed: ${error}`);
      const backoffLimit = spec.backoffLimit ?? 6;
      if (failed > backoffLimit) {
        finish(job, { ok: false, reason: 'BackoffLimitExceeded' }, failed);
        return undefined;
      }
      attempt.retryAt = now + profile.jobPollMs;
      writeStatus(store, ref, current => ({
        ...((current.status ?? {}) as object),
        active: 0,
        ready: 0,
        failed,
      }));
      return profile.jobPollMs;
    }
    return profile.jobPollMs;
  };

  const queue = startWorkQueue({
    ctx,
    name: 'jobs',
    watches: [
      {
        ...JOB,
        keys: (o, type) => {
          if (type === 'DELETED') {
            attempts.delete(o.metadata.uid!);
            started.delete(o.metadata.uid!);
            return [];
          }
          return [keyOf(o)];
        },
      },
    ],
    listKeys: () => store.list(JOB.apiVersion, JOB.kind).map(keyOf),
    resyncMs: profile.jobPollMs * 20,
    reconcile,
  });

  return {
    name: 'jobs',
    stop() {
      stopped = true;
      queue.stop();
    },
  };
}
