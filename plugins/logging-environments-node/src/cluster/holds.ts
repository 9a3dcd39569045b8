/**
 * Whether `actual` (as the API server returns it, defaults added) holds
 * everything `wanted` sets: the same values at the same keys, and arrays of
 * the same length whose items hold the wanted items.
 *
 * @internal
 */
export function holds(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => holds(actual[i], w))
    );
  }
  if (wanted && typeof wanted === 'object') {
    return (
      !!actual &&
      typeof actual === 'object' &&
      Object.entries(wanted).every(([k, w]) =>
        holds((actual as Record<string, unknown>)[k], w),
      )
    );
  }
  return actual === wanted;
}
