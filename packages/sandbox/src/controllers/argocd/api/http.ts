/**
 * grpc-gateway's side of the Argo CD API: gRPC status codes and their HTTP
 * statuses, JSON errors and bodies, and objects as the typed client returns
 * them.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { KubeObject } from '../../../kube/types';

/** gRPC status codes used by Argo CD's API. */
export const GrpcCode = {
  Unknown: 2,
  InvalidArgument: 3,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  FailedPrecondition: 9,
  Unimplemented: 12,
  Internal: 13,
  Unauthenticated: 16,
} as const;

/** grpc-gateway's `HTTPStatusFromCode`. */
const HTTP_STATUS: Record<number, number> = {
  0: 200,
  1: 408,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** An error carrying a gRPC status, as the API server returns them. */
export class GrpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'GrpcError';
  }
}

/** Answers with a JSON body. */
export function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers with a gRPC error as grpc-gateway does. */
export function sendError(res: ServerResponse, e: GrpcError) {
  send(res, HTTP_STATUS[e.code] ?? 500, {
    error: e.message,
    code: e.code,
    message: e.message,
  });
}

/** A JSON object body (none: empty); InvalidArgument otherwise. */
export async function readBody(
  req: IncomingMessage,
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const body = JSON.parse(text);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new Error('not an object');
    }
    return body as Record<string, unknown>;
  } catch (e) {
    throw new GrpcError(
      GrpcCode.InvalidArgument,
      `invalid character in request body: ${(e as Error).message}`,
    );
  }
}

/** An object as the API returns it: typed-client objects carry no TypeMeta. */
export function present<T extends KubeObject>(
  o: T,
): Omit<T, 'apiVersion' | 'kind'> {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}
