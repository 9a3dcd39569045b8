/** The abbreviated commit, as Git and Argo CD show it. */
export function shortRevision(revision: string): string {
  return /^[0-9a-f]{8,}$/i.test(revision) ? revision.slice(0, 7) : revision;
}
