export { EntityLoggingHealthCard } from './EntityLoggingHealthCard';
