import { randomUUID } from 'node:crypto';

/** Escapes text for an XML element or attribute. */
export const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    c =>
      ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' }[
        c
      ]!),
  );

/** An answer in a protocol's wire format. */
export interface AwsWireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An error of a query-protocol service (IAM, STS):
 * `<ErrorResponse><Error><Type>..</Type><Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`
 * (AWS SDK v3's `loadQueryErrorCode` reads `Error.Code`).
 */
export function queryErrorResponse(
  service: string,
  status: number,
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
): AwsWireResponse {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="https://${service}.amazonaws.com/doc/">` +
      `<Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(
        message,
      )}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/**
 * A successful query-protocol answer:
 * `<OpResponse xmlns=..><OpResult>..</OpResult><ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></OpResponse>`
 * (the SDK reads the `<Op>Result` element).
 */
export function queryResultResponse(
  operation: string,
  namespace: string,
  resultXml: string,
): AwsWireResponse {
  const requestId = randomUUID();
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<${operation}Response xmlns="${namespace}">` +
      `<${operation}Result>${resultXml}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
      `</${operation}Response>`,
  };
}

/**
 * The parameters of a query-protocol call: the URL's query and, for a
 * form-encoded body, the body's.
 */
export function queryParameters(
  rawUrl: string,
  contentType: string,
  body: Buffer,
): URLSearchParams {
  const params = new URL(rawUrl, 'http://proxy').searchParams;
  if (contentType.includes('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
      params.append(k, v);
    }
  }
  return params;
}
