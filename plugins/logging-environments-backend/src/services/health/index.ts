export type { ServiceHealthService } from './ServiceHealthService';
export {
  DefaultServiceHealthService,
  STACK_OBJECTS,
  consoleLogsUrl,
  environmentPagePath,
} from './DefaultServiceHealthService';
export { clusterLogForwarderHealth, lokiStackHealth } from './argoHealth';
export type { ArgoHealth } from './argoHealth';
export { hasLiveHealth, liveHealth, staleGeneration } from './liveHealth';
export { isInfrastructureNamespace, namespaceCollected } from './collection';
