export { loggingEnvironmentsApiRef } from './LoggingEnvironmentsApi';
export type {
  ApprovalDecisionRequest,
  ClusterSummary,
  EntityRefInput,
  EnvironmentListItem,
  LoggingEnvironmentsApi,
} from './LoggingEnvironmentsApi';
export { LoggingEnvironmentsClient } from './LoggingEnvironmentsClient';
