export type {
  ControlServer,
  ControlServerOptions,
  SandboxHandles,
} from './server';
export { parseFaultRule, startControlServer } from './server';
