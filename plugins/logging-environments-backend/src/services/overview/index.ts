export { EnvironmentOverviewService } from './EnvironmentOverviewService';
