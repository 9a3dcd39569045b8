export { HistoryTable } from './HistoryTable';
export type { HistoryTableProps } from './HistoryTable';
