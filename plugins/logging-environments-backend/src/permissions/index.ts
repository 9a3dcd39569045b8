export {
  createLoggingEnvironmentConditionalDecision,
  loggingEnvironmentConditions,
} from './conditions';
export {
  createRecordEnvironmentLoader,
  registerLoggingEnvironmentPermissions,
} from './register';
export { loggingEnvironmentPermissionResourceRef } from './resource';
export type { LoggingEnvironmentQuery } from './resource';
export {
  isApproverForEnvironment,
  isEnvironmentOwner,
  matchesLoggingEnvironmentQuery,
} from './rules';
