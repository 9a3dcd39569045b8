/**
 * Scaffolder actions that run phase 1 (bootstrap) of a logging environment.
 *
 * @packageDocumentation
 */

export { scaffolderModuleLoggingEnvironments as default } from './module';
export {
  createValidateEnvironmentAction,
  defaultBucketName,
} from './actions/validateEnvironment';
