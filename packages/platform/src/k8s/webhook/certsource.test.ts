import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificate } from './certs.js';
import { FileCerts, MAX_PEM_BYTES } from './certsource.js';

const HOUR = 3_600_000;
let dir = '';
let paths: { certFile: string; keyFile: string; caBundleFile: string };

function issue(cn: string): { ca: string; cert: string; key: string } {
  const now = Date.now();
  const ca = createCertificate({ commonName: cn, notBefore: new Date(now), notAfter: new Date(now + HOUR) });
  const leaf = createCertificate({
    commonName: 'hook',
    notBefore: new Date(now),
    notAfter: new Date(now + HOUR),
    issuer: ca,
    hosts: ['127.0.0.1'],
  });
  return { ca: ca.certPem, cert: leaf.certPem, key: leaf.keyPem };
}

function write(p: { ca: string; cert: string; key: string }): void {
  writeFileSync(paths.certFile, p.cert);
  writeFileSync(paths.keyFile, p.key);
  writeFileSync(paths.caBundleFile, p.ca);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-filecerts-'));
  paths = {
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    caBundleFile: join(dir, 'ca.crt'),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileCerts', () => {
  it('loads the pair and bundle, reports no change on an unchanged re-read, and picks up new files', async () => {
    const a = issue('ca-a');
    write(a);
    const f = new FileCerts(paths);
    await f.load();
    expect([f.serving().certPem, f.caBundlePem()]).toEqual([a.cert, a.ca]);
    expect(await f.refresh()).toBe(false);
    const b = issue('ca-b');
    write(b);
    expect(await f.refresh()).toBe(true);
    expect([f.serving().certPem, f.serving().keyPem, f.caBundlePem()]).toEqual([b.cert, b.key, b.ca]);
  });

  it('uses the certificate file as the caBundle when no --ca-bundle is given', async () => {
    const a = issue('ca-a');
    write(a);
    const f = new FileCerts({ certFile: paths.certFile, keyFile: paths.keyFile });
    await f.load();
    expect(f.caBundlePem()).toBe(a.cert);
  });

  it.each([
    [
      'a key that is not the certificate’s',
      () => writeFileSync(paths.keyFile, issue('x').key),
      /not the key of/,
    ],
    [
      'an unparsable certificate',
      () => writeFileSync(paths.certFile, 'garbage'),
      /E_PARSE|webhook certificate/,
    ],
    ['a missing key file', () => rmSync(paths.keyFile), /cannot read/],
    [
      'an oversized bundle',
      () => writeFileSync(paths.caBundleFile, 'x'.repeat(MAX_PEM_BYTES + 1)),
      /at most/,
    ],
  ])('refuses %s on refresh and keeps the last good pair', async (_name, breakIt, msg) => {
    const a = issue('ca-a');
    write(a);
    const f = new FileCerts(paths);
    await f.load();
    breakIt();
    await expect(f.refresh()).rejects.toThrow(msg);
    expect([f.serving().certPem, f.caBundlePem()]).toEqual([a.cert, a.ca]);
  });
});
