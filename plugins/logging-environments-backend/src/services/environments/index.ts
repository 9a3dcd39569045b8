export {
  APPROVER_GROUPS_ANNOTATION,
  RecordEnvironmentCatalog,
  recordMismatches,
} from './RecordEnvironmentCatalog';
export { TIERS_CONFIG_KEY, readTierPolicies } from './tierPolicies';
