export { EnvironmentOverviewService } from './EnvironmentOverviewService';
export type {
  EnvironmentListItem,
  PermissionGrants,
} from './EnvironmentOverviewService';
export { environmentPhase } from './phase';
