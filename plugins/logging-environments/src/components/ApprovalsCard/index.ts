export { ApprovalsCard } from './ApprovalsCard';
