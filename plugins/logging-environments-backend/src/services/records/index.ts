export { DefaultEnvironmentRecordService } from './DefaultEnvironmentRecordService';
export type { RecordCaller } from './DefaultEnvironmentRecordService';
