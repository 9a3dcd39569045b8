export { Timestamp, relativeTime } from './Timestamp';
