/**
 * What an ensure operation did (or, in a dry run, would do) to one resource.
 *
 * @public
 */
export interface EnsureResult {
  /** Human-readable identity of the resource, e.g. `S3 bucket "acme-loki"`. */
  resource: string;
  /**
   * `created`: it did not exist; `adopted`: it existed and carries this
   * environment's tags; `updated`: it existed and some settings were
   * changed; `unchanged`: nothing to do. Dry runs report `would-create` or
   * `would-update` instead and change nothing.
   */
  action:
    | 'created'
    | 'adopted'
    | 'updated'
    | 'unchanged'
    | 'would-create'
    | 'would-update';
  /** Each change made (or that would be made), in words; never secret values. */
  changes: string[];
}

/**
 * Options every ensure operation takes.
 *
 * @public
 */
export interface EnsureOptions {
  /** Report what would change without changing anything. */
  dryRun?: boolean;
  /**
   * Gets a line every 10 s while an operation waits (for an operator, a
   * store to become ready), naming what it waits for.
   */
  onWaiting?: (line: string) => void;
}

/** @internal */
export function summarize(
  resource: string,
  existed: boolean,
  changes: string[],
  dryRun: boolean | undefined,
  adopted = false,
): EnsureResult {
  let action: EnsureResult['action'];
  if (!existed) action = dryRun ? 'would-create' : 'created';
  else if (changes.length === 0) action = adopted ? 'adopted' : 'unchanged';
  else action = dryRun ? 'would-update' : 'updated';
  return { resource, action, changes };
}
