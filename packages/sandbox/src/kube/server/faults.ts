/**
 * Injected faults of the Kubernetes API (rules of target `kube`, matched
 * on `<verb>:<plural>`): latency, throttling (429), errors and dropped
 * connections.
 */
import { IncomingMessage } from 'node:http';
import type { FaultAction } from '../../faults';
import { HttpStatus, statusOf } from './errors';

/**
 * Applies a fault to a request: waits, throws the error answer, or drops
 * the connection. Returns true when the request must not be answered.
 */
export async function injectFault(
  action: FaultAction,
  req: IncomingMessage,
): Promise<boolean> {
  switch (action.type) {
    case 'latency':
      await new Promise(resolve => setTimeout(resolve, action.ms));
      return false;
    case 'throttle':
      throw new HttpStatus(
        statusOf(429, 'Too many requests, please try again later.', {
          causes: [
            {
              reason: 'TooManyRequests',
              message: 'Too many requests, please try again later.',
            },
          ],
          retryAfterSeconds: 1,
        }),
        { 'Retry-After': '1' },
      );
    case 'error': {
      const code = action.status ?? 500;
      throw new HttpStatus(
        statusOf(
          code,
          code === 503
            ? 'the server is currently unable to handle the request (injected fault)'
            : 'Internal error occurred: injected fault',
        ),
      );
    }
    case 'drop':
      req.socket.destroy();
      return true;
    default:
      return false;
  }
}
