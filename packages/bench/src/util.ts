import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { ConfigClusterRegistry } from '@internal/plugin-logging-environments-node';
import { resolve } from 'node:path';
import { Fleet } from './fleet';

/** The repository root (the benchmark runs from source). */
// eslint-disable-next-line no-restricted-syntax
export const REPO_ROOT = resolve(__dirname, '../../..');

/** A logger that keeps warnings and errors (to report them) and drops the rest. */
export function quietLogger(sink: string[] = []): LoggerService {
  const logger: LoggerService = {
    error: (message: string) => {
      sink.push(`error: ${message}`);
    },
    warn: (message: string) => {
      sink.push(`warn: ${message}`);
    },
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  return logger;
}

/** The plugin's cluster registry over the fleet's clusters (or some of them). */
export function fleetRegistry(
  fleet: Fleet,
  only?: string[],
): ConfigClusterRegistry {
  const clusters = fleet
    .clusterConfig()
    .filter(c => !only || only.includes(c.name));
  return ConfigClusterRegistry.fromConfig(
    new ConfigReader({ loggingEnvironments: { clusters } }),
  );
}

/** A deterministic pseudo-random generator (mulberry32), so runs pick alike. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rounds to one decimal. */
export const round1 = (n: number) => Math.round(n * 10) / 10;

/** Rounds to two decimals. */
export const round2 = (n: number) => Math.round(n * 100) / 100;
