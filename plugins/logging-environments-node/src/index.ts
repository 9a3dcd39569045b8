/**
 * Backend library of the Logging Environments plugins: cluster and AWS
 * access from configuration, idempotent "ensure" operations and read-only
 * probes, shared by the backend plugin and the scaffolder module.
 *
 * @packageDocumentation
 */

export * from './aws';
export * from './cluster';
export * from './clusters';
export * from './records';
export * from './network';
