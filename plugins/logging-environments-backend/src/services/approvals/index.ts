export { DefaultApprovalService } from './DefaultApprovalService';
export type { DefaultApprovalServiceOptions } from './DefaultApprovalService';
export type { AuditStarter } from './audit';
