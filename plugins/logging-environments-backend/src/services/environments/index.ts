export {
  APPROVER_GROUPS_ANNOTATION,
  CatalogEnvironmentCatalog,
} from './CatalogEnvironmentCatalog';
export { TIERS_CONFIG_KEY, readTierPolicies } from './tierPolicies';
