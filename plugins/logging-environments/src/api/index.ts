export { loggingEnvironmentsApiRef } from './LoggingEnvironmentsApi';
export type {
  ClusterSummary,
  LoggingEnvironmentsApi,
} from './LoggingEnvironmentsApi';
export { LoggingEnvironmentsClient } from './LoggingEnvironmentsClient';
