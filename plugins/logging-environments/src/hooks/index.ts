export { useActionAvailability } from './useActionAvailability';
export { useEnvironment } from './useEnvironment';
export {
  POLL_INTERVAL_MS,
  SIGNALS_SAFETY_POLL_INTERVAL_MS,
  useLiveUpdates,
} from './useLiveUpdates';
export { useLoader } from './useLoader';
export type { LoaderState } from './useLoader';
