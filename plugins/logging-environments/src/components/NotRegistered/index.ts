export { NotRegistered } from './NotRegistered';
