// Whether a failed call got no answer at all (the network, DNS or TLS), as
// opposed to an answer that says no. One list, so that the checklist, the
// revision reader and the retries agree on what "unreachable" means.

/**
 * Error codes of a call that got no answer: Node's socket and DNS errors,
 * undici's (`fetch`) socket errors, TLS certificate verification failures,
 * and the AWS SDK's `TimeoutError`.
 *
 * @public
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'TimeoutError',
]);

/**
 * The network error codes of a dropped connection, which a retry soon after
 * may get past (a name that does not resolve or a bad certificate will not).
 *
 * @public
 */
export const TRANSIENT_NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
]);

// Node's system error codes, as they appear in a message that re-wraps the
// original error (e.g. the AWS SDK's "AWS SDK error wrapper for ...").
const CODE_IN_MESSAGE = new RegExp(
  `\\b(${[...NETWORK_ERROR_CODES]
    .filter(c => /^E[A-Z_]+$/.test(c))
    .join('|')})\\b`,
);

/**
 * The network error code of an error (one of {@link NETWORK_ERROR_CODES}),
 * or `undefined` when the error is something else (e.g. an HTTP answer).
 *
 * @remarks
 * Looks where each client puts it: `code` (Node's system errors, the
 * Kubernetes client), `Code` and `name` (the AWS SDK), `cause.code` (`fetch`
 * wraps undici's errors), and lastly the message.
 *
 * @public
 */
export function networkErrorCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as {
    code?: unknown;
    Code?: unknown;
    name?: unknown;
    cause?: { code?: unknown };
    message?: unknown;
  };
  for (const code of [e.code, e.Code, e.name, e.cause?.code]) {
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
  }
  return typeof e.message === 'string'
    ? e.message.match(CODE_IN_MESSAGE)?.[1]
    : undefined;
}

/**
 * Whether a call failed without an answer: see {@link networkErrorCode}.
 *
 * @public
 */
export function isNetworkError(error: unknown): boolean {
  return networkErrorCode(error) !== undefined;
}
