export { useActionAvailability } from './useActionAvailability';
export { useEnvironment } from './useEnvironment';
export { useLiveUpdates } from './useLiveUpdates';
export { useLoader } from './useLoader';
