/**
 * Whether two revisions name the same commit (a full SHA and its
 * abbreviation match).
 *
 * @public
 */
export function sameRevision(
  a: string | undefined,
  b: string | undefined,
): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  const sha = /^[0-9a-f]{7,40}$/i;
  return (
    sha.test(a) &&
    sha.test(b) &&
    (a.toLowerCase().startsWith(b.toLowerCase()) ||
      b.toLowerCase().startsWith(a.toLowerCase()))
  );
}

/** A revision as messages show it: a full SHA abbreviated to seven characters. */
export function short(revision: string | undefined): string {
  if (!revision) return 'unknown';
  return /^[0-9a-f]{40}$/i.test(revision) ? revision.slice(0, 7) : revision;
}
