export { DecisionDialog } from './DecisionDialog';
export type { DecisionDialogProps } from './DecisionDialog';
