export { ArgoRevisionSource } from './ArgoRevisionSource';
export { CachedRevisionSource } from './CachedRevisionSource';
export { registryClusterClients } from './clusterClients';
export type { ClusterClientProvider } from './clusterClients';
export { currentRevisionOf } from './binding';
