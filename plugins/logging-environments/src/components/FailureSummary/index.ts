export { FailureSummary, failuresOf } from './FailureSummary';
