export {
  RecordEnvironmentCatalog,
  readEnvironmentSettings,
} from './RecordEnvironmentCatalog';
export { readTierPolicies } from './tierPolicies';
