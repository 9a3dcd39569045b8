export type { ServiceHealthService } from './ServiceHealthService';
export { DefaultServiceHealthService } from './DefaultServiceHealthService';
export { hasLiveHealth, liveHealth, staleGeneration } from './liveHealth';
