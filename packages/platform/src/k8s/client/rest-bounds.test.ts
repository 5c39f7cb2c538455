/**
 * Hostile or broken answers, which a real apiserver does not send: a local HTTP server plays the
 * apiserver so each bound and parse error can be checked.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { Informer } from './informer.js';
import { ConfigMaps } from './resources.js';
import { KubeApiError, KubeClient } from './rest.js';
import type { KubeClientOptions } from './rest.js';

let server: Server | undefined;

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function fake(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  opts: KubeClientOptions = {},
): Promise<KubeClient> {
  server = createServer(handler);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return KubeClient.fromString(
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: {} }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
    opts,
  );
}

async function firstError(it: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const _ of it) {
      // drain
    }
  } catch (err) {
    return err;
  }
  return undefined;
}

const added = (name: string): string =>
  JSON.stringify({ type: 'ADDED', object: { metadata: { name, namespace: 'n', resourceVersion: '5' } } });

describe('REST client bounds and malformed answers', () => {
  it('reports a kubeconfig that client-node refuses (plain http without insecure-skip-tls-verify) as E_CONFIG', async () => {
    const client = KubeClient.fromString(`apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:1" } }]
users: [{ name: u, user: {} }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`);
    const err = await client.get(ConfigMaps, 'x', 'n').catch((e: unknown) => e);
    expect((err as PalisadeError).code).toBe('E_CONFIG');
  });

  it('reports an unparsable kubeconfig as E_CONFIG', () => {
    expect(() => KubeClient.fromString('clusters: [')).toThrow(/cannot parse kubeconfig/);
  });

  it('rejects a watch event longer than the bound, even when it arrives in small pieces', async () => {
    const client = await fake(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`${added('ok')}\n`);
        const piece = 'x'.repeat(1000);
        let sent = 0;
        const t = setInterval(() => {
          if (sent++ > 200 || res.destroyed) {
            clearInterval(t);
            res.end();
          } else res.write(piece);
        }, 1);
      },
      { maxWatchEventChars: 50_000 },
    );
    const seen: string[] = [];
    const err = await firstError(
      (async function* () {
        for await (const ev of client.watch(ConfigMaps, 'n')) {
          seen.push(ev.type);
          yield ev;
        }
      })(),
    );
    expect(seen).toEqual(['ADDED']);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('E_LIMIT');
  });

  it.each([
    ['a line that is not JSON', '{"type":"ADDED","object":', 'E_PARSE'],
    ['an unknown event type', JSON.stringify({ type: 'EXPLODED', object: {} }), 'E_PARSE'],
    ['an event without an object', JSON.stringify({ type: 'ADDED' }), 'E_PARSE'],
    ['an object that is a string', JSON.stringify({ type: 'ADDED', object: 'x' }), 'E_PARSE'],
  ])('rejects %s in a watch stream', async (_name, line, code) => {
    const client = await fake((_req, res) => {
      res.writeHead(200);
      res.end(`${line}\n`);
    });
    const err = await firstError(client.watch(ConfigMaps, 'n'));
    expect((err as PalisadeError).code).toBe(code);
  });

  it('stops reading a list response larger than the bound', async () => {
    const client = await fake(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ metadata: {}, items: [{ data: { big: 'y'.repeat(200_000) } }] }));
      },
      { maxResponseBytes: 100_000 },
    );
    const err = await client.list(ConfigMaps, 'n').catch((e: unknown) => e);
    expect((err as PalisadeError).code).toBe('E_LIMIT');
  });

  it('turns a non-JSON error page into a KubeApiError with the status and a clipped message', async () => {
    const client = await fake((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html>${'bad gateway '.repeat(200)}</html>`);
    });
    const err = await client.get(ConfigMaps, 'x', 'n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(502);
    expect((err as KubeApiError).message.length).toBeLessThan(700);
  });

  it('rejects a 2xx answer that is not JSON with E_PARSE', async () => {
    const client = await fake((_req, res) => {
      res.writeHead(200);
      res.end('not json');
    });
    const err = await client.get(ConfigMaps, 'x', 'n').catch((e: unknown) => e);
    expect((err as PalisadeError).code).toBe('E_PARSE');
  });

  it('keeps an informer running across a malformed watch stream: error counted, backoff, watch again', async () => {
    let watches = 0;
    const client = await fake((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.searchParams.get('watch') !== '1') {
        res.end(JSON.stringify({ metadata: { resourceVersion: '5' }, items: [] }));
        return;
      }
      watches++;
      if (watches === 1) res.end('garbage\n');
      else res.write(`${added('later')}\n`); // kept open
    });
    const stop = new AbortController();
    const inf = new Informer(client, ConfigMaps, { namespace: 'n', backoff: { initialMs: 10, maxMs: 20 } });
    const run = inf.run(stop.signal);
    const end = Date.now() + 10_000;
    while (!inf.get('later', 'n') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    await run;
    expect(inf.get('later', 'n')).toBeDefined();
    expect(inf.stats.errors).toBe(1);
    expect(inf.stats.lastError).toMatch(/watch event is not JSON/);
    expect(inf.stats.lists).toBe(1);
  });
});
