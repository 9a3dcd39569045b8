/**
 * AppProject rules as Argo CD applies them (`app_project_types.go`,
 * `util/argo/argo.go`, `sync_windows` in `types.go`): source repositories,
 * destinations, resource allow and deny lists, sync windows.
 */
export { globMatch } from './glob';
export {
  destinationCluster,
  isDestinationPermitted,
  isGroupKindPermitted,
  isSourcePermitted,
  validatePermissions,
} from './permissions';
export type { DestinationCluster } from './permissions';
export {
  canSync,
  isWindowActive,
  matchingWindows,
  nextCronTime,
  parseCron,
  parseGoDuration,
} from './syncWindows';
