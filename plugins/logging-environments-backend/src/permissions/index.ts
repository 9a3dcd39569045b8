export {
  createLoggingEnvironmentConditionalDecision,
  loggingEnvironmentConditions,
} from './conditions';
export {
  createRecordEnvironmentLoader,
  registerLoggingEnvironmentPermissions,
} from './register';
export type { LoggingEnvironmentLoader } from './register';
export { loggingEnvironmentPermissionResourceRef } from './resource';
export type { LoggingEnvironmentQuery } from './resource';
export {
  isApproverForEnvironment,
  isEnvironmentOwner,
  loggingEnvironmentPermissionRules,
  matchesLoggingEnvironmentQuery,
} from './rules';
