export { DefaultApprovalService } from './DefaultApprovalService';
