export { DefaultSyncService } from './DefaultSyncService';
export type { SyncNotification } from './transitions';
