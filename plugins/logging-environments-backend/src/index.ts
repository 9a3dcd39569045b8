/**
 * Backend plugin of Logging Environments: the phase-2 checklist and
 * approvals, the phase-3 sync orchestration and the wave status.
 *
 * @packageDocumentation
 */

export { loggingEnvironmentsPlugin as default } from './plugin';
export {
  createLoggingEnvironmentConditionalDecision,
  isApproverForEnvironment,
  isEnvironmentOwner,
  loggingEnvironmentConditions,
  loggingEnvironmentPermissionResourceRef,
} from './permissions';
export type { LoggingEnvironmentQuery } from './permissions';
