import { EnsureError, guardStep } from '../aws/errors';
import { kubeStatus } from './client';

/**
 * Runs one Kubernetes call of an ensure operation, turning its failure into
 * an EnsureError that names the resource, the call and the Status reason.
 *
 * @internal
 */
export function kubeStep<T>(
  resource: string,
  name: string,
  done: string[],
  fn: () => Promise<T>,
): Promise<T> {
  return guardStep(fn, e => {
    const status = kubeStatus(e);
    return new EnsureError(
      resource,
      name,
      status.reason ?? (status.code ? `HTTP ${status.code}` : undefined),
      done,
      undefined,
      status.message,
    );
  });
}

/**
 * The EnsureError of an ensure operation that cannot go on because what it
 * needs is not there: `detail` says what is missing and what to do.
 *
 * @internal
 */
export function kubeNotFound(
  resource: string,
  operation: string,
  done: string[],
  detail: string,
): EnsureError {
  return new EnsureError(
    resource,
    operation,
    'NotFound',
    done,
    undefined,
    detail,
  );
}
