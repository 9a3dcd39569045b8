/**
 * The API server's failure answers: `Status` bodies for HTTP-level failures
 * (bad paths, methods, media types, faults) and the `ApiError`s of the
 * resource handlers.
 */
import { ApiError, ResourceType } from '../types';

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A `Status` body for codes and reasons outside ApiError's list. */
export function statusOf(
  code: number,
  message: string,
  details?: Record<string, unknown>,
) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest'),
    ...(details ? { details } : {}),
    code,
  };
}

/** A failure answered with a `Status` body (and optional headers) as is. */
export class HttpStatus extends Error {
  constructor(
    readonly body: ReturnType<typeof statusOf>,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

/** The 404 of a path the server does not serve. */
export const notFoundPath = () =>
  new HttpStatus(
    statusOf(404, 'the server could not find the requested resource', {}),
  );

/** The 405 of a method a path does not take. */
export const methodNotAllowed = () =>
  new HttpStatus(
    statusOf(
      405,
      'the server does not allow this method on the requested resource',
    ),
  );

/** `<plural>.<group>` (or `<plural>` for the core group). */
export const resourceName = (type: ResourceType) =>
  `${type.plural}${type.group ? `.${type.group}` : ''}`;

/** The 404 of a missing object. */
export function notFound(type: ResourceType, name: string) {
  return new ApiError(
    404,
    'NotFound',
    `${resourceName(type)} "${name}" not found`,
    {
      name,
      group: type.group,
      kind: type.plural,
    },
  );
}

/** A 400 BadRequest. */
export function badRequest(message: string) {
  return new ApiError(400, 'BadRequest', message);
}
