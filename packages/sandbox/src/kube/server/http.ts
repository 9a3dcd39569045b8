/**
 * The wire side of the API server: content negotiation, JSON answers,
 * warning headers, and reading request bodies (JSON, YAML, protobuf).
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeProtobufObject, isProtobuf } from '../protobuf';
import { KubeObject } from '../types';
import { HttpStatus, badRequest, statusOf } from './errors';

/** What the client asked the response to be. */
export interface Negotiated {
  table?: string;
  partial?: boolean;
  discovery?: 'v2' | 'v2beta1';
}

/** The API server's `MaxRequestBodyBytes` (k8s.io/apiserver `pkg/server/config.go`). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the `Accept` header: Table, PartialObjectMetadata or aggregated discovery. */
export function negotiate(accept: string | undefined): Negotiated {
  if (!accept) return {};
  for (const entry of accept.split(',')) {
    const [mime, ...rawParams] = entry.split(';').map(s => s.trim());
    const params = Object.fromEntries(
      rawParams.map(p => p.split('=').map(s => s.trim()) as [string, string]),
    );
    if (mime !== 'application/json' && mime !== '*/*') continue;
    if (!params.as) return {};
    if (
      params.as === 'Table' &&
      params.g === 'meta.k8s.io' &&
      ['v1', 'v1beta1'].includes(params.v)
    ) {
      return { table: params.v };
    }
    if (
      params.as === 'APIGroupDiscoveryList' &&
      params.g === 'apidiscovery.k8s.io' &&
      (params.v === 'v2' || params.v === 'v2beta1')
    ) {
      return { discovery: params.v };
    }
    if (
      ['PartialObjectMetadata', 'PartialObjectMetadataList'].includes(
        params.as,
      ) &&
      params.g === 'meta.k8s.io'
    ) {
      return { partial: true };
    }
  }
  return {};
}

/** Answers with a JSON body. */
export function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

/** `Warning` headers (code 299) for admission warnings. */
export function warningHeaders(warnings: string[]): Record<string, string[]> {
  if (!warnings.length) return {};
  return {
    Warning: warnings.map(w => `299 - ${JSON.stringify(w)}`),
  };
}

/**
 * The request body; past {@link MAX_REQUEST_BODY_BYTES} a 413
 * RequestEntityTooLarge, as `limitedReadBody` answers. The rest of a body
 * that is too large is read and dropped, so the client gets the answer
 * rather than a reset connection.
 */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_REQUEST_BODY_BYTES) {
    throw new HttpStatus(
      statusOf(
        413,
        `Request entity too large: limit is ${MAX_REQUEST_BODY_BYTES}`,
      ),
    );
  }
  return Buffer.concat(chunks);
}

const unsupportedBody = () =>
  new HttpStatus(
    statusOf(
      415,
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    ),
  );

/** The object of a create or update body (JSON, YAML or protobuf). */
export function parseObject(
  contentType: string | undefined,
  raw: Buffer,
): KubeObject {
  const mime = (contentType ?? 'application/json').split(';')[0].trim();
  const text = isProtobuf(contentType) ? '' : raw.toString('utf8');
  if (!raw.length) throw badRequest("Object 'Kind' is missing in ''");
  let value: unknown;
  try {
    if (isProtobuf(contentType)) {
      value = decodeProtobufObject(raw);
      if (!value) throw unsupportedBody();
    } else if (mime === 'application/yaml' || mime === 'application/x-yaml') {
      value = parseYaml(text);
    } else if (mime === 'application/json' || mime === '*/*' || !mime) {
      value = JSON.parse(text);
    } else {
      throw unsupportedBody();
    }
  } catch (e) {
    if (e instanceof HttpStatus) throw e;
    throw badRequest(
      `couldn't get version/kind; json parse error: ${(e as Error).message}`,
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
  }
  const o = value as KubeObject;
  if (o.metadata === undefined || o.metadata === null) {
    o.metadata = {} as KubeObject['metadata'];
  }
  return o;
}

/** DeleteOptions of a DELETE body (JSON; a protobuf body is not read). */
export function deleteOptions(
  req: IncomingMessage,
  raw: Buffer,
): Record<string, any> {
  if (!raw.length || isProtobuf(req.headers['content-type'])) return {};
  const text = raw.toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`invalid DeleteOptions: ${(e as Error).message}`);
  }
}
