import { CLUSTER_SECRET_STORE_NAME } from '@internal/plugin-logging-environments-node';
import { ProbeResult } from './types';

/** What of a Kubernetes object the cluster probes read. */
export type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
  status?: any;
  operation?: unknown;
  data?: Record<string, string>;
  type?: string;
};

/** How bad a finding is: `fail` blocks the gate, `warn` does not. */
type Level = 'fail' | 'warn';

/** Collects problems and turns them into one result. */
export class Findings {
  private readonly items: Array<{ level: Level; text: string }> = [];

  add(level: Level, text: string) {
    this.items.push({ level, text });
  }

  get empty() {
    return this.items.length === 0;
  }

  result(
    evidence: ProbeResult['evidence'],
    passMessage: string,
    prefix = '',
  ): ProbeResult {
    if (this.items.length === 0) {
      return { status: 'pass', message: passMessage, evidence };
    }
    const failed = this.items.some(i => i.level === 'fail');
    // Failures first: they are what blocks the gate.
    const texts = [
      ...this.items.filter(i => i.level === 'fail'),
      ...this.items.filter(i => i.level === 'warn'),
    ].map(i => i.text);
    return {
      status: failed ? 'fail' : 'warn',
      message: `${prefix}${texts.join('; ')}`,
      evidence,
    };
  }
}

/** The ClusterSecretStore the bootstrap creates. */
export const SECRET_STORE = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  name: CLUSTER_SECRET_STORE_NAME,
};
/** Argo CD Applications. */
export const APPLICATION = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
};
