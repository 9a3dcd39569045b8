export { WaveTimeline } from './WaveTimeline';
