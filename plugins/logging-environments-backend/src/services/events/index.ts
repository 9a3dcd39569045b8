export { ApproverNotifier } from './approverNotifications';
export { revisionReaction } from './revisionReaction';
