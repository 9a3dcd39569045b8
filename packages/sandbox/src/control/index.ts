export type { SandboxHandles } from './server';
export { startControlServer } from './server';
