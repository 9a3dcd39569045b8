export { FailureSummary, failuresOf } from './FailureSummary';
export type { Failure } from './FailureSummary';
