export { ConfigClusterRegistry } from './ClusterRegistry';
export type { ClusterInfo, ClusterRegistry } from './ClusterRegistry';
