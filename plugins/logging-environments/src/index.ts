/**
 * Frontend plugin of Logging Environments: the environment page and the
 * service logging-health card.
 *
 * @packageDocumentation
 */

export {
  loggingEnvironmentsPlugin,
  EntityLoggingEnvironmentContent,
  EntityLoggingHealthCard,
} from './plugin';
export {
  isLoggingEnvironmentAvailable,
  isLoggingHealthAvailable,
} from './conditions';
export * from './api';
