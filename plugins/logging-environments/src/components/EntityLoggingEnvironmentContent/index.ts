export { EntityLoggingEnvironmentContent } from './EntityLoggingEnvironmentContent';
