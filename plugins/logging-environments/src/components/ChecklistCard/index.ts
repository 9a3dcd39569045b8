export { ChecklistCard } from './ChecklistCard';
