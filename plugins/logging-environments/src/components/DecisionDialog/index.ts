export { DecisionDialog } from './DecisionDialog';
