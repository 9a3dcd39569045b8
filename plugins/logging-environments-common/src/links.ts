import { parseEntityRef } from '@backstage/catalog-model';

/**
 * The path, below an environment's catalog entity page, of its Logging tab
 * (the `EntityLoggingEnvironmentContent`).
 *
 * @public
 */
export const ENVIRONMENT_PAGE_TAB = 'logging';

/**
 * The path of an environment's Logging tab in the portal, as links in
 * notifications and service health point at it:
 * `/catalog/<namespace>/<kind>/<name>/logging`.
 *
 * @param entityRef - the environment's full entity ref
 * @public
 */
export function environmentPagePath(entityRef: string): string {
  const ref = parseEntityRef(entityRef);
  return `/catalog/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(
    ref.kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(ref.name)}/${ENVIRONMENT_PAGE_TAB}`;
}
