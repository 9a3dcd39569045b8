export {
  APPROVAL_NEEDED_NOTIFICATION_TOPIC,
  DefaultApprovalService,
} from './DefaultApprovalService';
export type {
  ApprovalNotificationResult,
  DefaultApprovalServiceOptions,
} from './DefaultApprovalService';
