import { ConflictError } from '@backstage/errors';
import { EnvironmentRecord } from '@internal/plugin-logging-environments-common';

/**
 * The facts of a bootstrap step's input that its environment's record
 * decides, by input field name.
 *
 * @public
 */
export interface RecordedFacts {
  cluster?: string;
  region?: string;
  bucket?: string;
  secretName?: string;
}

/**
 * Checks a bootstrap step's input against the environment's record: a step
 * acts only on the record's cluster, region, bucket and secret. Throws a
 * ConflictError naming each field that differs and the recorded value.
 *
 * @public
 */
export function assertMatchesRecord(
  action: string,
  record: EnvironmentRecord,
  input: RecordedFacts,
): void {
  const recorded: Required<RecordedFacts> = {
    cluster: record.cluster,
    region: record.region,
    bucket: record.bucket,
    secretName: record.secret,
  };
  const problems = (Object.keys(input) as Array<keyof RecordedFacts>)
    .filter(k => input[k] !== undefined && input[k] !== recorded[k])
    .map(
      k =>
        `${k}: the record of ${record.name} says "${recorded[k]}", not "${input[k]}" (a bootstrap step acts only on what its environment's record holds)`,
    );
  if (problems.length > 0) {
    throw new ConflictError(
      `${action} refused for ${record.name}: ${problems.join('; ')}`,
    );
  }
}
