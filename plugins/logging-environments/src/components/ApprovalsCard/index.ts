export { ApprovalsCard } from './ApprovalsCard';
export type { ApprovalsCardProps } from './ApprovalsCard';
