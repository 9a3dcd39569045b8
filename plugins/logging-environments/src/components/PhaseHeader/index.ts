export { PhaseHeader } from './PhaseHeader';
