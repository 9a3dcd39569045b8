export { RecordEnvironmentCatalog } from './RecordEnvironmentCatalog';
export { readTierPolicies } from './tierPolicies';
