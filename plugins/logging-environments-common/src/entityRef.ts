import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';

/**
 * An entity ref in the one form the plugins compare and store: full
 * `kind:namespace/name`, lower case (Backstage compares entity refs
 * case-insensitively). A ref without a kind or namespace gets the defaults
 * (namespace `default` unless told otherwise); one that is not an entity
 * ref at all gives `undefined`.
 *
 * @public
 */
export function normalizeEntityRef(
  ref: string,
  defaults: { defaultKind?: string; defaultNamespace?: string } = {},
): string | undefined {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, {
        defaultKind: defaults.defaultKind,
        defaultNamespace: defaults.defaultNamespace ?? 'default',
      }),
    ).toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}
