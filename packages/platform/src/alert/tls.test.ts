/**
 * TLS options of the HTTP outputs against a real HTTPS server on 127.0.0.1
 * with a certificate made by openssl for `hook.internal`: a CA bundle, the
 * server name to check, skipping verification, and mutual TLS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsOptions } from './http.js';
import { OutputQueue } from './queue.js';
import type { FalcoAlert } from './types.js';
import { createWebhookOutput } from './webhook.js';

const ALERT: FalcoAlert = {
  hostname: 'h',
  output: 'o',
  output_fields: {},
  priority: 'Error',
  rule: 'r',
  source: 'syscall',
  tags: [],
  time: '2024-05-01T12:00:00Z',
};

let dir = '';
let server: https.Server;
let url = '';
let serverPem = '';
let clientCert = '';
let clientKey = '';
const seen: { authorized: boolean; peer: string }[] = [];

function selfSigned(name: string, san: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-tls-'));
  const s = selfSigned('hook.internal', 'DNS:hook.internal');
  const c = selfSigned('palisade-client', 'DNS:palisade-client');
  serverPem = s.cert;
  clientCert = c.cert;
  clientKey = c.key;
  server = https.createServer(
    { cert: s.cert, key: s.key, ca: c.cert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const sock = req.socket as TLSSocket;
      const cn = sock.getPeerCertificate().subject?.CN ?? '';
      seen.push({ authorized: sock.authorized, peer: Array.isArray(cn) ? cn.join(',') : cn });
      req.resume();
      req.on('end', () => res.end('ok'));
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function post(tls: TlsOptions | undefined): Promise<OutputQueue> {
  const q = new OutputQueue(
    createWebhookOutput(tls ? { url, tls } : { url }),
    { batchSize: 1 },
    { maxAttempts: 3, initialBackoffMs: 5 },
  );
  q.push(ALERT);
  await q.flush();
  return q;
}

describe('TLS options', () => {
  it('refuses an unknown self-signed certificate without retrying', async () => {
    const q = await post(undefined);
    expect(q.counters).toMatchObject({ sent: 0, failed: 1, retries: 0 });
  });

  it('accepts it with the CA bundle and the server name the certificate carries', async () => {
    expect((await post({ ca: serverPem, serverName: 'hook.internal' })).counters.sent).toBe(1);
  });

  it('checks the name: the right CA but the IP address as name fails', async () => {
    expect((await post({ ca: serverPem })).counters).toMatchObject({ sent: 0, failed: 1 });
  });

  it('skips verification when asked', async () => {
    expect((await post({ insecureSkipVerify: true })).counters.sent).toBe(1);
  });

  it('presents a client certificate for mutual TLS', async () => {
    seen.length = 0;
    expect(
      (await post({ ca: serverPem, serverName: 'hook.internal', cert: clientCert, key: clientKey })).counters
        .sent,
    ).toBe(1);
    expect(seen).toEqual([{ authorized: true, peer: 'palisade-client' }]);
  });
});
