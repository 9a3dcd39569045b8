export { ChecklistCard } from './ChecklistCard';
export type { ChecklistCardProps } from './ChecklistCard';
