export { StateChip, describeState } from './StateChip';
export type { StateChipProps, Tone } from './StateChip';
