/**
 * Isomorphic domain model of the Logging Environments plugins: tiers and
 * their policies, the sync-wave plan, annotation keys, permissions, input
 * validation, and the small helpers every side shares (revisions, entity
 * refs, page links).
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './entity';
export * from './entityRef';
export * from './links';
export * from './messages';
export * from './permissions';
export * from './record';
export * from './revision';
export * from './signals';
export * from './tiers';
export * from './types';
export * from './validation';
export * from './wavePlan';
