import { isNetworkError, networkErrorCode } from './network';

const withCode = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('networkErrorCode', () => {
  it("reads Node's and the Kubernetes client's code", () => {
    expect(networkErrorCode(withCode('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(networkErrorCode(withCode('EAI_AGAIN'))).toBe('EAI_AGAIN');
  });

  it("reads the AWS SDK's Code and name", () => {
    expect(networkErrorCode({ Code: 'ETIMEDOUT', message: 'slow' })).toBe(
      'ETIMEDOUT',
    );
    const timeout = new Error('Connection timed out after 1000 ms');
    timeout.name = 'TimeoutError';
    expect(networkErrorCode(timeout)).toBe('TimeoutError');
  });

  it("reads the cause fetch puts undici's error in", () => {
    const error = new TypeError('fetch failed', {
      cause: { code: 'UND_ERR_CONNECT_TIMEOUT' },
    });
    expect(networkErrorCode(error)).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(
      networkErrorCode(
        new TypeError('fetch failed', {
          cause: { code: 'CERT_HAS_EXPIRED' },
        }),
      ),
    ).toBe('CERT_HAS_EXPIRED');
  });

  it('finds a socket error code in a message that wraps it', () => {
    expect(
      networkErrorCode(
        new Error('AWS SDK error wrapper for Error: connect EHOSTUNREACH'),
      ),
    ).toBe('EHOSTUNREACH');
  });

  it('is undefined for answers and other failures', () => {
    expect(networkErrorCode(withCode('ENOENT'))).toBeUndefined();
    expect(networkErrorCode({ name: 'AccessDenied', message: 'no' })).toBe(
      undefined,
    );
    expect(networkErrorCode(new Error('ECONNREFUSEDX'))).toBeUndefined();
    expect(networkErrorCode('ECONNREFUSED')).toBeUndefined();
    expect(networkErrorCode(undefined)).toBeUndefined();
  });
});

describe('isNetworkError', () => {
  it('says whether there is a network error code', () => {
    expect(isNetworkError(withCode('ECONNRESET'))).toBe(true);
    expect(isNetworkError(new Error('HTTP 503'))).toBe(false);
  });
});
