/** Tag keys the bootstrap puts on every AWS resource it owns. */
export const TAG_ENVIRONMENT = 'logging-environments.io/environment';
/** @internal */
const TAG_MANAGED_BY = 'logging-environments.io/managed-by';
/** Tag on the IAM user recording the one access key ever issued. */
export const TAG_ACCESS_KEY_ISSUED =
  'logging-environments.io/access-key-issued';
/** Tag on the secret naming the access key id it holds (not secret). */
export const TAG_ACCESS_KEY_ID = 'logging-environments.io/access-key-id';

/**
 * Names the bootstrap derives for an environment's AWS resources.
 *
 * @public
 */
export function awsNamesFor(environment: string) {
  return {
    iamUser: `loki-${environment}`,
    iamPath: '/logging-environments/',
    inlinePolicy: 'loki-object-storage',
    secret: `logging/${environment}/loki-s3`,
  };
}

/** The tags that mark a resource as this environment's. */
export function ownershipTags(environment: string): Record<string, string> {
  return {
    [TAG_ENVIRONMENT]: environment,
    [TAG_MANAGED_BY]: 'backstage-logging-environments',
  };
}
