// How the plugins show and compare Git revisions (commit SHAs, branches,
// tags). One home, so the backend's messages and the frontend's cards
// abbreviate alike and a comparison means one thing.

const FULL_SHA = /^[0-9a-f]{40}$/i;
const ABBREVIATED_SHA = /^[0-9a-f]{7,40}$/i;

/**
 * A revision as Git shows it: the first 7 characters of a full (40
 * hexadecimal characters) commit SHA; anything else (a branch, a tag, an
 * abbreviation) unchanged.
 *
 * @public
 */
export function shortRevision(revision: string): string {
  return FULL_SHA.test(revision) ? revision.slice(0, 7) : revision;
}

/**
 * Whether two revisions name the same commit: they are equal, or both are
 * commit SHAs of at least 7 characters and one abbreviates the other
 * (whatever their case). A missing or empty revision matches nothing.
 *
 * @remarks
 * Symmetric; use it to compare revisions the plugins recorded or read from
 * Argo CD. For a revision a person confirms, see {@link matchesRevision}.
 *
 * @public
 */
export function sameCommit(
  a: string | undefined,
  b: string | undefined,
): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  if (!ABBREVIATED_SHA.test(a) || !ABBREVIATED_SHA.test(b)) return false;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x.startsWith(y) || y.startsWith(x);
}

/**
 * Whether `given` names the revision `current`: the same revision whatever
 * the case and the surrounding white space, or (when it is hexadecimal and
 * at least 7 characters long) an abbreviation of it.
 *
 * @remarks
 * Not symmetric, and more forgiving than {@link sameCommit}: `given` is what
 * a person confirmed (typed, or read off a page) or what an earlier run
 * recorded, `current` the revision as it is now.
 *
 * @public
 */
export function matchesRevision(given: string, current: string): boolean {
  const g = given.trim().toLocaleLowerCase('en-US');
  const c = current.toLocaleLowerCase('en-US');
  return g === c || (g.length >= 7 && /^[0-9a-f]+$/.test(g) && c.startsWith(g));
}
