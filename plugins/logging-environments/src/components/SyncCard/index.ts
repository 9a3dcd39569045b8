export { SyncCard } from './SyncCard';
