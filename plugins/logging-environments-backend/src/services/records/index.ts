export { DefaultEnvironmentRecordService } from './DefaultEnvironmentRecordService';
export type {
  EnvironmentRecordServiceOptions,
  RecordCaller,
  RecordChange,
} from './DefaultEnvironmentRecordService';
