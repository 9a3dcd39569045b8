import { X509Certificate, createPrivateKey } from 'node:crypto';
import { selfSignedCertificate } from './tls';

describe('selfSignedCertificate', () => {
  it('is a valid self-signed CA certificate for loopback', () => {
    const { cert, key } = selfSignedCertificate();
    const x509 = new X509Certificate(cert);
    expect(x509.ca).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(Date.parse(x509.validTo)).toBeGreaterThan(Date.now() + 300 * 864e5);
  });

  it('is parseable whatever the random serial number starts with', () => {
    // A first serial byte of 0 followed by one below 0x80 used to give a
    // non-minimal DER INTEGER that TLS libraries reject.
    const crypto = require('node:crypto');
    const real = crypto.randomBytes;
    const spy = jest
      .spyOn(crypto, 'randomBytes')
      .mockImplementation((size: any) =>
        size === 16 ? Buffer.from([0x00, 0x10, ...real(14)]) : real(size),
      );
    try {
      const { cert } = selfSignedCertificate();
      expect(() => new X509Certificate(cert)).not.toThrow();
      expect(spy).toHaveBeenCalledWith(16);
    } finally {
      spy.mockRestore();
    }
  });
});
