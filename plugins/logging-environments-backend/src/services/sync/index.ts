export { DefaultSyncService } from './DefaultSyncService';
export type { DefaultSyncServiceOptions } from './DefaultSyncService';
export type { SyncNotification } from './transitions';
export { sameRevision } from './revision';
export { operationFingerprint } from './operations';
export { ClusterArgoCdApplications, OperationNotStartedError } from './argocd';
export type {
  ApplicationTarget,
  ArgoCdApplications,
  StartFailureReason,
} from './argocd';
