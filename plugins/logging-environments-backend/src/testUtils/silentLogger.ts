import { LoggerService } from '@backstage/backend-plugin-api';

/** A logger that drops everything, for helpers used outside a backend. */
export const silentLogger: LoggerService = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
