// The approval rules, each written once (a pure module: nothing here reads
// or writes anything), and the questions the service asks of them.

export { computeGate } from './count';
export {
  availabilityOf,
  evaluateDecision,
  lostRaceRefusal,
  pendingReviewOf,
  requestRefusal,
} from './questions';
export type { DecisionInput, GateContext } from './questions';
export { refusalError } from './refusal';
export { staleReason, voidReason } from './revision';
