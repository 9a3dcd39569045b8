import { EnsureError } from '@internal/plugin-logging-environments-node';
import { OperationNotStartedError, classifyStartError } from './argocd';

const ensure = (code: string | undefined, detail: string) =>
  new EnsureError(
    'Application openshift-gitops/x',
    'sync',
    code,
    [],
    undefined,
    detail,
  );

describe('classifyStartError', () => {
  it.each([
    [
      ensure('SyncWindowBlocked', 'cannot sync: blocked by sync window'),
      'blocked',
    ],
    [ensure('HTTP 403', 'cannot sync: blocked by sync window'), 'blocked'],
    [
      ensure('Conflict', 'another operation is already in progress'),
      'in-progress',
    ],
    [
      ensure('HTTP 400', 'rpc error: another operation is already in progress'),
      'in-progress',
    ],
    [
      ensure('Unreachable', 'Argo CD API at https://argocd is unreachable'),
      'unavailable',
    ],
    [ensure('HTTP 503', 'Service Unavailable'), 'unavailable'],
    [ensure('InternalError', 'etcd leader changed'), 'unavailable'],
    [ensure('TooManyRequests', 'slow down'), 'unavailable'],
    [
      Object.assign(new Error('connect ECONNREFUSED'), {
        code: 'ECONNREFUSED',
      }),
      'unavailable',
    ],
    [ensure('HTTP 403', 'permission denied: applications, sync'), 'refused'],
    [ensure('NotFound', 'the Application is not registered'), 'refused'],
    [new Error('something else'), 'refused'],
  ])('%s -> %s', (error, reason) => {
    const classified = classifyStartError(error);
    expect(classified).toBeInstanceOf(OperationNotStartedError);
    expect(classified.reason).toBe(reason);
    expect(classified.message).toBe((error as Error).message);
  });

  it('keeps an OperationNotStartedError as it is', () => {
    const error = new OperationNotStartedError('blocked', 'window');
    expect(classifyStartError(error)).toBe(error);
  });
});
