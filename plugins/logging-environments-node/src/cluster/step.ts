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
