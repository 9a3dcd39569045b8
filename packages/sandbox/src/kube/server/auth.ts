/**
 * Authentication: one bearer token, compared in constant time; the health
 * endpoints are open, as on a real API server.
 */
import { timingSafeEqual } from 'node:crypto';
import { IncomingMessage } from 'node:http';

/** Whether a path is a health check (`/healthz`, `/readyz`, `/livez`, ...), served without a token. */
export const isHealthPath = (path: string) =>
  /^\/(healthz|readyz|livez)(\/.*)?$/.test(path);

/** A check that a request carries `Authorization: Bearer <token>`. */
export function bearerTokenCheck(
  token: string,
): (req: IncomingMessage) => boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  return req => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}
