/**
 * The parts of Argo CD's `argoproj.io/v1alpha1` Application and AppProject
 * the sandbox's Argo CD reads and writes. Field names are those of
 * `pkg/apis/application/v1alpha1/types.go` (and of the CRDs in
 * `crds/argo-cd/`).
 */
import { KubeObject } from '../../kube/types';

/** apiVersion of Application and AppProject. */
export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';

/** Server URL and name of the cluster Argo CD runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
/** Name of the in-cluster destination. */
export const IN_CLUSTER_NAME = 'in-cluster';

/** Annotations and labels Argo CD reads or writes. */
export const ANNOTATION_REFRESH = 'argocd.argoproj.io/refresh';
/** Sync wave of a resource or hook (an integer, parsed with Atoi). */
export const ANNOTATION_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
/** Hook types of a resource (`PreSync`, `Sync`, `PostSync`, `SyncFail`, `Skip`). */
export const ANNOTATION_HOOK = 'argocd.argoproj.io/hook';
/** When a hook is deleted (`BeforeHookCreation` by default). */
export const ANNOTATION_HOOK_DELETE_POLICY =
  'argocd.argoproj.io/hook-delete-policy';
/** Per-resource sync options (`Prune=false`, `ServerSideApply=true`, ...). */
export const ANNOTATION_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
/** Per-resource compare options (`IgnoreExtraneous`). */
export const ANNOTATION_COMPARE_OPTIONS = 'argocd.argoproj.io/compare-options';
/** Annotation tracking: `<app>:<group>/<kind>:<namespace>/<name>`. */
export const ANNOTATION_TRACKING_ID = 'argocd.argoproj.io/tracking-id';
/** `"true"` keeps a resource out of the app's health. */
export const ANNOTATION_IGNORE_HEALTH = 'argocd.argoproj.io/ignore-healthcheck';
/** What client-side apply records of the applied configuration. */
export const ANNOTATION_LAST_APPLIED =
  'kubectl.kubernetes.io/last-applied-configuration';
/** Helm hook annotations, which Argo CD maps to its own hooks. */
export const HELM_HOOK = 'helm.sh/hook';
/** Helm hook weight: the wave when no sync-wave is set. */
export const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight';
/** Helm hook delete policies. */
export const HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy';

/** The field manager Argo CD's controller applies with. */
export const FIELD_MANAGER = 'argocd-controller';

/** `ApplicationSource`: where the manifests come from. */
export interface ApplicationSource {
  repoURL: string;
  targetRevision?: string;
  path?: string;
  chart?: string;
  ref?: string;
  directory?: {
    recurse?: boolean;
    include?: string;
    exclude?: string;
  };
  kustomize?: Record<string, unknown>;
  helm?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `ApplicationDestination`: cluster (server or name) and namespace. */
export interface ApplicationDestination {
  server?: string;
  name?: string;
  namespace?: string;
}

/** `RetryStrategy` of an operation (`limit` < 0: no limit). */
export interface RetryStrategy {
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
  refresh?: boolean;
}

/** A resource of a partial sync. */
export interface SyncOperationResource {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** `SyncOperation`: what `.operation.sync` asks for. */
export interface SyncOperation {
  revision?: string;
  revisions?: string[];
  prune?: boolean;
  dryRun?: boolean;
  syncStrategy?: {
    apply?: { force?: boolean };
    hook?: { force?: boolean };
  };
  resources?: SyncOperationResource[];
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  syncOptions?: string[];
  manifests?: string[];
  autoHealAttemptsCount?: number;
}

/** Who started an operation. */
export interface OperationInitiator {
  username?: string;
  automated?: boolean;
}

/** `.operation` of an Application. */
export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: OperationInitiator;
  info?: Array<{ name: string; value: string }>;
  retry?: RetryStrategy;
}

/** One entry of `status.operationState.syncResult.resources`. */
export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status?: string;
  message?: string;
  hookType?: string;
  hookPhase?: string;
  syncPhase?: string;
  images?: string[];
}

/** `status.operationState.syncResult`. */
export interface SyncOperationResult {
  resources?: ResourceResult[];
  revision: string;
  revisions?: string[];
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  managedNamespaceMetadata?: Record<string, unknown>;
}

/** `status.operationState`. */
export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  message?: string;
  syncResult?: SyncOperationResult;
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
}

/** Phase of an operation (gitops-engine `OperationPhase`). */
export type OperationPhase =
  | 'Running'
  | 'Terminating'
  | 'Failed'
  | 'Error'
  | 'Succeeded';

/** Health of a resource or of the app. */
export interface HealthStatus {
  status: string;
  message?: string;
  lastTransitionTime?: string;
}

/** One entry of `status.resources`. */
export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status?: string;
  health?: HealthStatus;
  hook?: boolean;
  requiresPruning?: boolean;
  syncWave?: number;
}

/** An entry of `status.conditions`. */
export interface ApplicationCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

/** An entry of `status.history`. */
export interface RevisionHistory {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt?: string;
  source?: ApplicationSource;
  initiatedBy?: OperationInitiator;
}

/** `status` of an Application. */
export interface ApplicationStatus {
  resources?: ResourceStatus[];
  sync?: {
    status: string;
    revision?: string;
    comparedTo?: {
      source?: ApplicationSource;
      destination: ApplicationDestination;
      ignoreDifferences?: unknown[];
    };
  };
  health?: HealthStatus;
  history?: RevisionHistory[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
  operationState?: OperationState;
  sourceType?: string;
  summary?: { images?: string[]; externalURLs?: string[] };
  controllerNamespace?: string;
  resourceHealthSource?: string;
}

/** `spec` of an Application. */
export interface ApplicationSpec {
  project: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  syncPolicy?: {
    automated?: {
      prune?: boolean;
      selfHeal?: boolean;
      allowEmpty?: boolean;
      enabled?: boolean;
    };
    syncOptions?: string[];
    retry?: RetryStrategy;
    managedNamespaceMetadata?: Record<string, unknown>;
  };
  ignoreDifferences?: Array<{
    group?: string;
    kind: string;
    name?: string;
    namespace?: string;
    jsonPointers?: string[];
  }>;
  revisionHistoryLimit?: number;
}

/** An Application as stored. */
export interface Application extends KubeObject {
  spec: ApplicationSpec;
  operation?: Operation;
  status?: ApplicationStatus;
}

/** A group/kind entry of an AppProject resource list. */
export interface GroupKind {
  group: string;
  kind: string;
  name?: string;
}

/** An AppProject sync window. */
export interface SyncWindow {
  kind?: string;
  schedule?: string;
  duration?: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
  andOperator?: boolean;
}

/** `spec` of an AppProject. */
export interface AppProjectSpec {
  sourceRepos?: string[];
  destinations?: ApplicationDestination[];
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  syncWindows?: SyncWindow[];
  description?: string;
}

/** An AppProject as stored. */
export interface AppProject extends KubeObject {
  spec: AppProjectSpec;
}

/** The source of an Application: `spec.source`, else the first of `spec.sources`. */
export function sourceOf(app: Application): ApplicationSource | undefined {
  return app.spec?.source ?? app.spec?.sources?.[0];
}

/** Whether `syncPolicy.automated` is set and not disabled. */
export function isAutomated(app: Application): boolean {
  const automated = app.spec?.syncPolicy?.automated;
  return Boolean(automated) && automated!.enabled !== false;
}

/** Whether an operation phase is final. */
export function isCompleted(phase: string | undefined): boolean {
  return phase === 'Failed' || phase === 'Error' || phase === 'Succeeded';
}

/** A timestamp as Kubernetes writes one (seconds precision, UTC). */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The version of an apiVersion. */
export function versionOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? apiVersion : apiVersion.slice(i + 1);
}
