import { CustomErrorBase } from '@backstage/errors';

/** The error code of an AWS SDK v3 error, e.g. `NoSuchBucket`. */
export function awsErrorCode(error: unknown): string | undefined {
  if (error && typeof error === 'object') {
    const e = error as { name?: string; Code?: string; code?: string };
    return e.Code ?? e.code ?? e.name;
  }
  return undefined;
}

/**
 * The AWS call an SDK v3 error came from, e.g. `iam:CreateAccessKey`, when
 * the client was made by `AwsClientFactory` (which names it).
 *
 * @internal
 */
export function awsOperation(error: unknown): string | undefined {
  return (error as { $operation?: string } | undefined)?.$operation;
}

/** The HTTP status of an AWS SDK v3 error, when it has one. */
export function awsStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata
    ?.httpStatusCode;
}

/**
 * An ensure operation failed. The message names the resource, the call and
 * the cause (the AWS error code or the Kubernetes Status reason), and lists
 * what the operation had already done, so a person knows where it stopped.
 *
 * @public
 */
export class EnsureError extends CustomErrorBase {
  name = 'EnsureError' as const;

  constructor(
    readonly resource: string,
    readonly operation: string,
    readonly code: string | undefined,
    readonly done: string[],
    cause?: unknown,
    detail?: string,
  ) {
    let reason = detail ?? '';
    if (!detail && cause instanceof Error) reason = cause.message;
    else if (!detail && cause) reason = String(cause);
    // Steps are named in words ("issue the access key"); say which AWS call
    // failed too, unless the step is named after it.
    const call = awsOperation(cause);
    const from =
      call && call.split(':')[1] !== operation ? `from ${call}` : undefined;
    const why = [code, from].filter(Boolean).join(' ');
    super(
      `${resource}: ${operation} failed${why ? ` (${why})` : ''}${
        reason ? `: ${reason.replace(/[.\s]+$/, '')}` : ''
      }${
        done.length
          ? `. Already done: ${done.join('; ')}`
          : '. Nothing was changed'
      }`,
    );
  }
}

/**
 * Runs one call of an ensure operation: an EnsureError it throws passes
 * through, any other failure becomes the EnsureError `describe` makes of it.
 *
 * @internal
 */
export async function guardStep<T>(
  fn: () => Promise<T>,
  describe: (error: unknown) => EnsureError,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EnsureError) throw e;
    throw describe(e);
  }
}

/**
 * Runs one AWS call of an ensure operation, turning its failure into an
 * EnsureError that names the resource, the step and the AWS error code.
 *
 * @internal
 */
export function step<T>(
  resource: string,
  name: string,
  done: string[],
  fn: () => Promise<T>,
): Promise<T> {
  return guardStep(
    fn,
    e => new EnsureError(resource, name, awsErrorCode(e), done, e),
  );
}
