export type { ServiceHealthService } from './ServiceHealthService';
export { DefaultServiceHealthService } from './DefaultServiceHealthService';
