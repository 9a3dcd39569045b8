export type { ServiceHealthService } from './ServiceHealthService';
export {
  DefaultServiceHealthService,
  STACK_OBJECTS,
  consoleLogsUrl,
} from './DefaultServiceHealthService';
export { clusterLogForwarderHealth, lokiStackHealth } from './argoHealth';
export type { ArgoHealth } from './argoHealth';
export { isInfrastructureNamespace, namespaceCollected } from './collection';
