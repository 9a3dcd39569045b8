/**
 * Fault injection shared by the AWS proxy and the Kubernetes API server.
 * Tests configure rules through the control API; each incoming call asks
 * the injector what to do.
 */

/** What to do to a call. */
export type FaultAction =
  /** Add latency, then serve normally. */
  | { type: 'latency'; ms: number }
  /** Answer with the service's throttling error in its real wire format. */
  | { type: 'throttle' }
  /** Answer with a 5xx (500 InternalError by default, or the given status). */
  | { type: 'error'; status?: number }
  /** Close the connection without an answer. */
  | { type: 'drop' };

/** A fault rule. */
export interface FaultRule {
  id?: string;
  /** `aws` (the moto proxy) or `kube` (the Kubernetes API). */
  target: 'aws' | 'kube';
  /**
   * Which calls: for AWS, the service and operation such as `s3:PutBucketPolicy`,
   * `iam:CreateAccessKey`, `secretsmanager:*` or `*`; for Kubernetes,
   * `<verb>:<resource>` such as `create:secrets`, `patch:applications`, `*`.
   */
  match: string;
  action: FaultAction;
  /** Apply to the next N matching calls only. */
  times?: number;
  /** Apply to this fraction (0..1) of matching calls (random). */
  fraction?: number;
}

/** A matching call, as recorded for tests. */
export interface FaultHit {
  ruleId: string;
  target: FaultRule['target'];
  operation: string;
  action: FaultAction['type'];
  at: string;
}

function matches(pattern: string, operation: string): boolean {
  if (pattern === '*') return true;
  const [pService, pOp] = pattern.split(':');
  const [service, op] = operation.split(':');
  return (
    (pService === '*' || pService === service) &&
    (pOp === undefined || pOp === '*' || pOp === op)
  );
}

/**
 * A small seeded pseudo-random generator (mulberry32): numbers in [0, 1),
 * the same sequence for the same seed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds the rules and decides, per call, which fault (if any) applies. */
export class FaultInjector {
  private rules: Array<FaultRule & { id: string; remaining?: number }> = [];
  private hits: FaultHit[] = [];
  private counter = 0;
  /** Every call seen, by target, for counting upstream requests in tests. */
  readonly calls: Record<FaultRule['target'], string[]> = { aws: [], kube: [] };

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): string {
    const id = rule.id ?? `fault-${++this.counter}`;
    this.rules.push({ ...rule, id, remaining: rule.times });
    return id;
  }

  remove(id: string) {
    this.rules = this.rules.filter(r => r.id !== id);
  }

  clear() {
    this.rules = [];
    this.hits = [];
    this.calls.aws = [];
    this.calls.kube = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ remaining, ...r }) => ({
      ...r,
      times: remaining,
    }));
  }

  history(): FaultHit[] {
    return [...this.hits];
  }

  /** Records the call and returns the fault to inject, if any. */
  decide(
    target: FaultRule['target'],
    operation: string,
  ): FaultAction | undefined {
    this.calls[target].push(operation);
    for (const rule of this.rules) {
      if (rule.target !== target || !matches(rule.match, operation)) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (rule.fraction !== undefined && this.random() >= rule.fraction)
        continue;
      if (rule.remaining !== undefined) rule.remaining--;
      this.hits.push({
        ruleId: rule.id,
        target,
        operation,
        action: rule.action.type,
        at: new Date().toISOString(),
      });
      return rule.action;
    }
    return undefined;
  }
}
