import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CertManager, createCertificate } from './certs.js';

const execFileP = promisify(execFile);
const DAY = 86_400_000;

describe('createCertificate', () => {
  it('makes a CA and a serving certificate that Node and openssl accept for 127.0.0.1', async () => {
    const now = new Date();
    const ca = createCertificate({ commonName: 'test-ca', notBefore: now, notAfter: new Date(+now + DAY) });
    const leaf = createCertificate({
      commonName: 'svc',
      notBefore: now,
      notAfter: new Date(+now + DAY),
      issuer: ca,
      hosts: ['127.0.0.1', 'localhost', 'palisade.palisade-system.svc', '::1'],
    });
    const c = new X509Certificate(ca.certPem);
    const l = new X509Certificate(leaf.certPem);
    expect(c.ca).toBe(true);
    expect(l.ca).toBe(false);
    expect(l.checkIssued(c)).toBe(true);
    expect(l.verify(c.publicKey)).toBe(true);
    expect(c.verify(c.publicKey)).toBe(true);
    expect(l.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(l.checkIP('::1')).toBe('::1');
    expect(l.checkHost('palisade.palisade-system.svc')).toBe('palisade.palisade-system.svc');
    expect(l.checkIP('10.0.0.1')).toBeUndefined();
    expect(l.subjectAltName).toContain('IP Address:127.0.0.1');
    const dir = mkdtempSync(join(tmpdir(), 'palisade-certs-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.certPem);
      writeFileSync(join(dir, 'leaf.pem'), leaf.certPem);
      const { stdout } = await execFileP('openssl', [
        'verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', '-verify_ip', '127.0.0.1', join(dir, 'leaf.pem'),
      ]); // prettier-ignore
      expect(stdout.trim()).toBe(`${join(dir, 'leaf.pem')}: OK`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CertManager', () => {
  it('renews the serving certificate in its last third and keeps the old CA in the bundle after a CA rotation', () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const m = new CertManager({
      hosts: ['127.0.0.1'],
      servingValidityMs: 30 * DAY,
      caValidityMs: 90 * DAY,
      now: () => now,
    });
    expect(m.ensure()).toBe(true);
    const first = m.current;
    expect(m.ensure()).toBe(false);
    now = new Date(+now + 19 * DAY); // 11 days left of 30: not yet due
    expect(m.ensure()).toBe(false);
    now = new Date(+now + 2 * DAY); // 9 days left: due
    expect(m.ensure()).toBe(true);
    expect(m.current.serving.certPem).not.toBe(first.serving.certPem);
    expect(m.current.ca.certPem).toBe(first.ca.certPem);
    now = new Date('2030-03-05T00:00:00Z'); // CA has 27 of 90 days left: new CA, old one still trusted
    expect(m.ensure()).toBe(true);
    const rotated = m.current;
    expect(rotated.ca.certPem).not.toBe(first.ca.certPem);
    expect(rotated.caBundlePem).toBe(rotated.ca.certPem + first.ca.certPem);
    expect(
      new X509Certificate(rotated.serving.certPem).checkIssued(new X509Certificate(rotated.ca.certPem)),
    ).toBe(true);
    now = new Date('2030-04-02T00:00:00Z'); // the old CA expired: dropped from the bundle
    expect(m.ensure()).toBe(true);
    expect(m.current.caBundlePem).toBe(m.current.ca.certPem);
  });
});

describe('CertManager.adopt (certificates shared through a Secret)', () => {
  const opts = { hosts: ['hook.ns.svc'], servingValidityMs: 30 * DAY, caValidityMs: 90 * DAY };

  it('a second manager adopts the first one’s certificates, including the previous CA during a roll-over', () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const a = new CertManager({ ...opts, now: () => now });
    a.ensure();
    now = new Date('2030-03-05T00:00:00Z'); // CA due: rolled, old one kept
    a.ensure();
    const snap = a.snapshot();
    expect(snap.previousCaPem).toBeDefined();
    const b = new CertManager({ ...opts, now: () => now });
    expect(b.adopt(snap)).toBe(true);
    expect(b.ensure()).toBe(false);
    expect(b.current.serving.certPem).toBe(a.current.serving.certPem);
    expect(b.current.caBundlePem).toBe(a.current.caBundlePem);
  });

  it.each([
    ['a serving certificate for other hosts', { hosts: ['other.ns.svc'] }, {}],
    ['expired certificates', {}, { later: 200 * DAY }],
  ])('refuses %s and keeps its own state', (_name, issuerOpts, o: { later?: number }) => {
    let now = new Date('2030-01-01T00:00:00Z');
    const a = new CertManager({ ...opts, ...issuerOpts, now: () => now });
    const snap = a.snapshot();
    now = new Date(+now + (o.later ?? 0));
    const b = new CertManager({ ...opts, now: () => now });
    const own = b.snapshot();
    expect(b.adopt(snap)).toBe(false);
    expect(b.snapshot()).toEqual(own);
  });

  it('refuses a serving certificate that another CA issued, or a key that is not the certificate’s', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const a = new CertManager({ ...opts, now: () => now }).snapshot();
    const c = new CertManager({ ...opts, now: () => now }).snapshot();
    const b = new CertManager({ ...opts, now: () => now });
    expect(b.adopt({ ca: c.ca, serving: a.serving })).toBe(false);
    expect(b.adopt({ ca: a.ca, serving: { certPem: a.serving.certPem, keyPem: c.serving.keyPem } })).toBe(
      false,
    );
    expect(b.adopt({ ca: a.ca, serving: { certPem: 'garbage', keyPem: a.serving.keyPem } })).toBe(false);
    expect(b.adopt(a)).toBe(true);
  });
});
