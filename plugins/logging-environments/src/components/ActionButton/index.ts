export { ActionButton, sentence } from './ActionButton';
export type { ActionButtonProps } from './ActionButton';
