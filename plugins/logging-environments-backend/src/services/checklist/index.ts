export {
  DEFAULT_PROBES,
  DefaultChecklistService,
} from './DefaultChecklistService';
export { argoCdHealthChecksProbe } from './argoCdHealthChecksProbe';
export { secretStoreProbe } from './secretStoreProbe';
export { readChecklistOptions } from './readChecklistOptions';
export { secretScopeProbe } from './secretScopeProbe';
export type { ChecklistProbe, ProbeContext } from './types';
