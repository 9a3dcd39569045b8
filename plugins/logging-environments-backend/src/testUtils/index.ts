/**
 * The plugin's parts for this repository's integration tests and
 * benchmarks (`packages/backend`, `packages/bench`): its stores, services
 * and the helpers that open them outside a backend. Not a stable API: an
 * adopter installs the plugin from the package's main entry.
 *
 * @packageDocumentation
 */

export { DatabaseEnvironmentRecordsStore } from '../database/DatabaseEnvironmentRecordsStore';
export { DatabaseLoggingEnvironmentsStore } from '../database/DatabaseLoggingEnvironmentsStore';
export type { EnvironmentRecordsStore } from '../database/EnvironmentRecordsStore';
export type { LoggingEnvironmentsStore } from '../database/LoggingEnvironmentsStore';
export { spec as openApiSpec } from '../schema/openapi.generated';
export {
  argoCdHealthChecksProbe,
  DEFAULT_PROBES,
  DefaultChecklistService,
  readChecklistOptions,
  secretScopeProbe,
  secretStoreProbe,
} from '../services/checklist';
export type { ChecklistProbe, ProbeContext } from '../services/checklist';
export {
  RecordEnvironmentCatalog,
  readEnvironmentSettings,
  readTierPolicies,
} from '../services/environments';
export {
  clusterLogForwarderHealth,
  lokiStackHealth,
} from '../services/health/argoHealth';
export {
  ArgoRevisionSource,
  CachedRevisionSource,
  currentRevisionOf,
  registryClusterClients,
} from '../services/revision';
export { DefaultSyncService } from '../services/sync';
export type { SyncNotification } from '../services/sync';
export type {
  ApprovalService,
  Environment,
  RevisionSource,
} from '../services/types';
export { FetchWaveStatusService } from '../services/waves/FetchWaveStatusService';
export { WatchWaveStatusService } from '../services/waves/WatchWaveStatusService';
export { localRecords, EXAMPLE_REQUESTER } from './localRecords';
export { openStores } from './openStores';
export { testEnvironment } from './testEnvironment';
export { testRecord } from './testRecord';
export { DefaultEnvironmentRecordService } from '../services/records';
export type { RecordCaller } from '../services/records';
