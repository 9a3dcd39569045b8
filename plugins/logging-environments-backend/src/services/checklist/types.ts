import { CheckStatus } from '@internal/plugin-logging-environments-common';
import {
  ArgoCdFlavourSetting,
  ArgoCdHealthChecks,
  AwsClients,
  ClusterClient,
  LokiUserState,
} from '@internal/plugin-logging-environments-node';
import { ArgoRevisionSource } from '../revision';
import { Environment } from '../types';

/**
 * What a probe found. `evidence` holds non-secret facts only.
 *
 * @public
 */
export interface ProbeResult {
  status: CheckStatus;
  message: string;
  evidence?: Record<string, string | number | boolean>;
}

/**
 * What a probe may use: clients for the environment's AWS region and
 * cluster, and reads shared by the probes of one run.
 *
 * @public
 */
export interface ProbeContext {
  environment: Environment;
  /** AWS clients for the environment's region (the probe checks the region is set). */
  aws(): Promise<AwsClients>;
  /** A Kubernetes client for the environment's cluster; throws for an unknown cluster. */
  cluster(): ClusterClient;
  /** The environment's Loki IAM user, read once per run (shared by two probes). */
  lokiUser(): Promise<LokiUserState>;
  /**
   * Registers a secret value the probe saw (a key, a Secret's data), so the
   * run can be checked to contain none of them.
   */
  secret(value: string | undefined): void;
  /** The GitOps repository the Applications must read. */
  gitops: { repoUrl?: string; branch?: string };
  revisions: ArgoRevisionSource;
  /**
   * The Argo CD health checks the product ships, and how the Argo CD of the
   * environment's cluster takes them (`auto` unless configured).
   */
  argoCd: {
    healthChecks(): Promise<ArgoCdHealthChecks>;
    flavour(): ArgoCdFlavourSetting;
  };
  /** Milliseconds the probe has before it times out. */
  timeoutMs: number;
}

/**
 * One item of the checklist. `run` throws when it cannot reach what it
 * checks: the item is then `unknown` with the cause.
 *
 * @public
 */
export interface ChecklistProbe {
  id: string;
  title: string;
  /** What the probe talks to, for describing errors. */
  target: 'aws' | 'cluster';
  run(context: ProbeContext): Promise<ProbeResult>;
}
