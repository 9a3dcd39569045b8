/**
 * Isomorphic domain model of the Logging Environments plugins: tiers and
 * their policies, the sync-wave plan, annotation keys, permissions and
 * input validation.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './entity';
export * from './permissions';
export * from './record';
export * from './signals';
export * from './tiers';
export * from './types';
export * from './validation';
export * from './wavePlan';
