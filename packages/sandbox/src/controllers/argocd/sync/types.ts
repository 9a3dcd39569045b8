/** What one step of a sync operation takes and produces. */
import { KubeObject, ObjectStore } from '../../../kube/types';
import { ManagedResource } from '../compare';
import { DestinationCluster } from '../project';
import {
  AppProject,
  HealthStatus,
  OperationPhase,
  ResourceResult,
  SyncOperationResource,
} from '../types';

/** What the step needs to know. */
export interface SyncStepInput {
  store: ObjectStore;
  appName: string;
  project: AppProject;
  cluster: DestinationCluster;
  destNamespace: string;
  /** The commit being synced (names generateName hooks). */
  revision: string;
  /** `operationState.startedAt`. */
  startedAt: string;
  /** Reconciled resources at the revision (desired + live, extra live). */
  resources: ManagedResource[];
  /** Desired hooks at the revision. */
  hooks: KubeObject[];
  /** Health of a live object (Argo CD's health with overrides). */
  health(obj: KubeObject): Promise<HealthStatus | undefined>;
  prune: boolean;
  dryRun: boolean;
  skipHooks: boolean;
  /** Partial sync: only these resources. */
  resourcesFilter?: SyncOperationResource[];
  syncOptions: string[];
  /** Phase, message and results of the previous step. */
  phase: OperationPhase;
  message?: string;
  results: ResourceResult[];
  /** Terminate the operation instead of progressing it. */
  terminate?: boolean;
}

/** What the step produced. */
export interface SyncStepOutput {
  phase: OperationPhase;
  message: string;
  results: ResourceResult[];
  /** Set when a wave was applied and more remain (the wave delay applies). */
  appliedWave?: { phase: string; wave: number; final: boolean };
}

/** A sync task: apply a desired object, prune a live one, or run a hook, in one phase. */
export interface Task {
  phase: string;
  target?: KubeObject;
  live?: KubeObject;
  syncStatus?: string;
  operationState?: OperationPhase | '';
  message?: string;
  waveOverride?: number;
  /** The namespace CreateNamespace=true creates: not tracked, so never pruned. */
  untracked?: boolean;
}
