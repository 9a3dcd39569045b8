import { EnsureError } from '../aws/errors';
import { kubeStatus } from './client';

/**
 * Runs one Kubernetes call of an ensure operation, turning its failure into
 * an EnsureError that names the resource, the call and the Status reason.
 *
 * @internal
 */
export async function kubeStep<T>(
  resource: string,
  name: string,
  done: string[],
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EnsureError) throw e;
    const status = kubeStatus(e);
    throw new EnsureError(
      resource,
      name,
      status.reason ?? (status.code ? `HTTP ${status.code}` : undefined),
      done,
      undefined,
      status.message,
    );
  }
}
