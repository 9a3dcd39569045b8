export { RecordEnvironmentCatalog } from './RecordEnvironmentCatalog';
export {
  APPROVER_GROUPS_ANNOTATION,
  recordMismatches,
} from './recordMismatches';
export { TIERS_CONFIG_KEY, readTierPolicies } from './tierPolicies';
