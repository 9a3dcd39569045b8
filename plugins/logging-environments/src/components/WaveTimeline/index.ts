export { ApplicationWaves, WaveTimeline } from './WaveTimeline';
