import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** A certificate and its key, PEM-encoded. */
export interface TlsCertificate {
  cert: string;
  key: string;
}

// Just enough DER to write one X.509 v3 certificate.

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...c: Buffer[]) => tlv(0x30, ...c);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${s}Z`, 'ascii'));
}

function name(commonName: string): Buffer {
  return sequence(
    tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(
    oid(id),
    ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []),
    tlv(0x04, value),
  );
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head, tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return Buffer.from(
      groups.flatMap(g => {
        const n = parseInt(g, 16);
        return [n >> 8, n & 0xff];
      }),
    );
  }
  return Buffer.from(ip.split('.').map(Number));
}

const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END ${label}-----\n`;

/**
 * A self-signed certificate (ECDSA P-256, valid for a year) for serving the
 * sandbox API over TLS on loopback. It is its own CA, so a client trusts it
 * by taking the certificate as `certificate-authority-data`.
 */
export function selfSignedCertificate(
  options: { ips?: string[]; dnsNames?: string[]; commonName?: string } = {},
): TlsCertificate {
  const ips = options.ips ?? ['127.0.0.1', '::1'];
  const dnsNames = options.dnsNames ?? ['localhost'];
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
  });
  const serial = randomBytes(16);
  // A positive DER INTEGER in minimal form: the top bit clear (positive)
  // and the next one set, so the first byte is never a redundant leading
  // zero (which made about 1 certificate in 250 unparseable).
  serial[0] = 0x40 | (serial[0] & 0x3f);
  const now = Date.now();
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const subject = name(options.commonName ?? 'sandbox-kube-apiserver');
  const san = sequence(
    ...dnsNames.map(d => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...ips.map(ip => tlv(0x87, ipBytes(ip))),
  );
  const extensions = sequence(
    // CA (so it can anchor itself), used for TLS server authentication.
    extension('2.5.29.19', true, sequence(tlv(0x01, Buffer.from([0xff])))),
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84]))),
    extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))),
    extension('2.5.29.17', false, san),
  );
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ecdsaWithSha256,
    subject,
    sequence(
      utcTime(new Date(now - 60_000)),
      utcTime(new Date(now + 365 * 864e5)),
    ),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = sequence(
    tbs,
    ecdsaWithSha256,
    tlv(0x03, Buffer.from([0]), signature),
  );
  return {
    cert: pem('CERTIFICATE', cert),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
