export { EnvironmentEvents } from './EnvironmentEvents';
export type {
  EnvironmentChanges,
  EnvironmentEventsOptions,
  OwnerNotice,
} from './EnvironmentEvents';
export {
  APPROVAL_NEEDED_NOTIFICATION_TOPIC,
  ApproverNotifier,
} from './approverNotifications';
export type {
  ApprovalNotificationResult,
  ApproverNotifierOptions,
} from './approverNotifications';
export { revisionReaction } from './revisionReaction';
export type { RevisionReactionOptions } from './revisionReaction';
