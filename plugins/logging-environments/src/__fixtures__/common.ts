/**
 * What every fixture shares: the revision approvals are bound to, the
 * clock, and the sample environment's entity ref.
 */

/** The revision approvals are bound to in every fixture. */
export const REVISION = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const SHORT_REVISION = 'a1b2c3d';
export const ARGOCD_URL = 'https://argocd.example.com';
export const NOW = '2026-01-15T10:00:00.000Z';
/** When the fixtures' checklist ran and decisions were made. */
export const EARLIER = '2026-01-15T09:30:00.000Z';

export const ENVIRONMENT_REF = 'resource:default/acme-prod';
