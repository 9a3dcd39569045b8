export {
  ARGOCD_REFRESH_ANNOTATION,
  ArgoRevisionSource,
  readApplicationRevision,
} from './ArgoRevisionSource';
export type {
  ArgoApplicationRevisionFields,
  RevisionReading,
} from './ArgoRevisionSource';
export { CachedRevisionSource } from './CachedRevisionSource';
export { registryClusterClients } from './clusterClients';
export type { ClusterClientProvider } from './clusterClients';
export {
  applicationProblemsOf,
  applicationsProblems,
  currentRevisionOf,
  expectedShape,
} from './binding';
export type { CurrentRevision } from './binding';
