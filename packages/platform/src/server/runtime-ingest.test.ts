/**
 * The ingestion endpoints: the pure handlers as a table of bodies, then the
 * node:http adapter on 127.0.0.1 (body bounds while reading, routes, methods),
 * and Falco alerts forwarded through the alert router to a real receiver.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertRouter } from '../alert/index.js';
import type { FalcoAlert } from '../alert/types.js';
import { startHttpRecorder } from '../testing/http-recorder.js';
import type { IngestCounters, RejectReason } from './runtime-ingest.js';
import {
  createRuntimeIngest,
  emptyIngestCounters,
  handleAuditWebhook,
  handleFalcoAlert,
  jsonDepthExceeds,
} from './runtime-ingest.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const EVENT = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'RequestResponse',
  auditID: '1f2a',
  stage: 'ResponseComplete',
  verb: 'create',
  requestURI: '/api/v1/namespaces/default/pods',
  user: { username: 'alice' },
  objectRef: { resource: 'pods', namespace: 'default', name: 'p' },
};
const EVENT_LIST = {
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items: [EVENT, { ...EVENT, auditID: '2b' }],
};

const FALCO_ALERT = {
  hostname: 'node-1',
  output:
    '16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file_updated=/bin/foo)',
  output_fields: { 'evt.num': 1548780716, 'fd.name': '/bin/foo', 'user.name': 'root' },
  priority: 'Error',
  rule: 'Write below binary dir',
  source: 'syscall',
  tags: ['filesystem', 'mitre_persistence'],
  time: '2019-01-29T16:31:56.746609046Z',
};

describe('handleAuditWebhook', () => {
  it('passes the items of an audit.k8s.io/v1 EventList to the sink, in order', () => {
    const got: Record<string, unknown>[] = [];
    const counters = emptyIngestCounters();
    const r = handleAuditWebhook(
      enc(JSON.stringify(EVENT_LIST)),
      { auditEvents: (e) => got.push(...e) },
      { counters },
    );
    expect(r).toEqual({ status: 200, body: { events: 2 } });
    expect(got.map((e) => e['auditID'])).toEqual(['1f2a', '2b']);
    expect(counters).toMatchObject({ auditRequests: 1, auditEvents: 2 });
  });

  const bad: [string, Uint8Array, number, RejectReason, RegExp][] = [
    ['invalid JSON', enc('{"kind": "EventList", items: ['), 400, 'invalidJson', /not valid JSON/],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, 'invalidUtf8', /UTF-8/],
    [
      'nesting 200 levels deep',
      enc(`${'['.repeat(200)}${']'.repeat(200)}`),
      400,
      'tooDeep',
      /deeper than 128/,
    ],
    ['a single Event instead of a list', enc(JSON.stringify(EVENT)), 400, 'badShape', /EventList/],
    [
      'audit.k8s.io/v1beta1',
      enc(JSON.stringify({ ...EVENT_LIST, apiVersion: 'audit.k8s.io/v1beta1' })),
      400,
      'badShape',
      /apiVersion/,
    ],
    ['items not an array', enc(JSON.stringify({ ...EVENT_LIST, items: {} })), 400, 'badShape', /array/],
    [
      'an item that is a string',
      enc(JSON.stringify({ ...EVENT_LIST, items: [EVENT, 'x'] })),
      400,
      'badShape',
      /item 1/,
    ],
  ];
  it.each(bad)('rejects %s with %i and counts it', (_name, body, status, reason, message) => {
    const counters = emptyIngestCounters();
    const r = handleAuditWebhook(body, { auditEvents: () => expect.fail('sink called') }, { counters });
    expect(r.status).toBe(status);
    expect(r.body['reason']).toBe(reason);
    expect(String(r.body['error'])).toMatch(message);
    expect(counters.rejected[reason]).toBe(1);
    expect(counters.auditEvents).toBe(0);
  });

  it('rejects a body over the size bound before decoding it', () => {
    const counters = emptyIngestCounters();
    const r = handleAuditWebhook(
      new Uint8Array(1025),
      { auditEvents: () => undefined },
      { counters, limits: { maxBodyBytes: 1024 } },
    );
    expect(r.status).toBe(413);
    expect(counters.rejected.tooLarge).toBe(1);
  });

  it('answers 500 (counted) when the sink throws, without throwing itself', () => {
    const counters = emptyIngestCounters();
    const r = handleAuditWebhook(
      enc(JSON.stringify(EVENT_LIST)),
      {
        auditEvents: () => {
          throw new Error('engine stopped');
        },
      },
      { counters },
    );
    expect(r).toEqual({
      status: 500,
      body: { error: 'events could not be processed: engine stopped', reason: 'sinkError' },
    });
    expect(counters.rejected.sinkError).toBe(1);
  });

  it('finds deep nesting only outside strings', () => {
    expect(jsonDepthExceeds(JSON.stringify({ s: '[[[[[[[[[[' }), 3)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ s: '\\"[[[[' }), 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds('[[[]]]', 3)).toBe(false);
  });
});

describe('handleFalcoAlert', () => {
  it("accepts Falco's JSON alert line and normalises the priority", () => {
    const got: FalcoAlert[] = [];
    const r = handleFalcoAlert(enc(JSON.stringify({ ...FALCO_ALERT, priority: 'error' })), {
      alert: (a) => got.push(a),
    });
    expect(r.status).toBe(200);
    expect(got).toEqual([FALCO_ALERT]);
  });

  it.each([
    ['no rule', { ...FALCO_ALERT, rule: undefined }, /'rule'/],
    ['an unknown priority', { ...FALCO_ALERT, priority: 'Severe' }, /unknown priority/],
    ['a time that is not RFC 3339', { ...FALCO_ALERT, time: 'yesterday' }, /RFC 3339/],
    ['tags that are not strings', { ...FALCO_ALERT, tags: [1] }, /tags/],
    ['output_fields as a list', { ...FALCO_ALERT, output_fields: [] }, /output_fields/],
    ['an array body', [FALCO_ALERT], /JSON object/],
  ])('rejects an alert with %s', (_name, body, message) => {
    const counters = emptyIngestCounters();
    const r = handleFalcoAlert(
      enc(JSON.stringify(body)),
      { alert: () => expect.fail('sink called') },
      { counters },
    );
    expect(r.status).toBe(400);
    expect(String(r.body['error'])).toMatch(message);
    expect(counters.rejected.badShape).toBe(1);
  });
});

describe('node:http adapter', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  });

  async function serve(
    opts: Parameters<typeof createRuntimeIngest>[0],
  ): Promise<{ url: string; counters: IngestCounters }> {
    const ingest = createRuntimeIngest(opts);
    const server = http.createServer(ingest.listener);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counters: ingest.counters };
  }

  function request(
    url: string,
    method: string,
    body: Buffer | ((req: http.ClientRequest) => void),
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method, headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      if (typeof body === 'function') body(req);
      else req.end(body);
    });
  }

  it('serves the audit webhook at /k8s-audit and Falco alerts at /', async () => {
    const events: unknown[] = [];
    const alerts: FalcoAlert[] = [];
    const { url, counters } = await serve({
      audit: { auditEvents: (e) => events.push(...e) },
      alerts: { alert: (a) => alerts.push(a) },
    });
    expect((await request(`${url}/k8s-audit`, 'POST', Buffer.from(JSON.stringify(EVENT_LIST)))).status).toBe(
      200,
    );
    expect((await request(`${url}/`, 'POST', Buffer.from(JSON.stringify(FALCO_ALERT)))).status).toBe(200);
    expect(events).toHaveLength(2);
    expect(alerts).toEqual([FALCO_ALERT]);
    expect((await request(`${url}/healthz`, 'GET', Buffer.alloc(0))).body).toBe('{"status":"ok"}');
    const wrong = await request(`${url}/k8s-audit`, 'GET', Buffer.alloc(0));
    expect(wrong.status).toBe(405);
    expect((await request(`${url}/elsewhere`, 'POST', Buffer.from('{}'))).status).toBe(404);
    expect(counters).toMatchObject({ auditRequests: 1, auditEvents: 2, alertRequests: 1, alerts: 1 });
    expect(counters.rejected).toMatchObject({ wrongMethod: 1, notFound: 1 });
  });

  it('answers invalid JSON with 400 and a message', async () => {
    const { url, counters } = await serve({ audit: { auditEvents: () => undefined } });
    const r = await request(`${url}/k8s-audit`, 'POST', Buffer.from('{"kind":'));
    expect(r.status).toBe(400);
    expect((JSON.parse(r.body) as { error: string }).error).toMatch(/^body is not valid JSON: /);
    expect(counters.rejected.invalidJson).toBe(1);
  });

  it('refuses a declared Content-Length over the bound without reading the body', async () => {
    let called = false;
    const { url, counters } = await serve({
      audit: { auditEvents: () => (called = true) },
      limits: { maxBodyBytes: 1024 },
    });
    const r = await request(`${url}/k8s-audit`, 'POST', Buffer.alloc(4096, 0x20));
    expect(r.status).toBe(413);
    expect(called).toBe(false);
    expect(counters.rejected.tooLarge).toBe(1);
  });

  it('stops reading a chunked body once it passes the bound (10 MiB default)', async () => {
    const { url, counters } = await serve({ audit: { auditEvents: () => expect.fail('sink called') } });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const r = await request(`${url}/k8s-audit`, 'POST', (req) => {
      // 12 MiB without a Content-Length: the server must cut it at 10 MiB.
      let sent = 0;
      const write = (): void => {
        while (sent < 12) {
          sent++;
          if (!req.write(chunk)) {
            req.once('drain', write);
            return;
          }
        }
        req.end();
      };
      req.on('error', () => undefined);
      write();
    });
    expect(r.status).toBe(413);
    expect(counters.rejected.tooLarge).toBe(1);
  });

  it('forwards Falco alerts to the configured outputs', async () => {
    const receiver = await startHttpRecorder();
    try {
      const router = createAlertRouter([
        {
          name: 'hook',
          kind: 'webhook',
          options: { url: `${receiver.url}/falco` },
          queue: {
            minimumPriority: 'Warning',
            batchSize: 1,
            flushIntervalMs: 10,
            queueSize: 100,
            dropPolicy: 'oldest',
            dedupWindowMs: 0,
          },
          retry: { maxAttempts: 1, initialBackoffMs: 1, maxBackoffMs: 1, maxRetryAfterMs: 1 },
        },
      ]);
      const { url } = await serve({ alerts: { alert: (a) => router.publish(a) } });
      await request(url, 'POST', Buffer.from(JSON.stringify(FALCO_ALERT)));
      await request(url, 'POST', Buffer.from(JSON.stringify({ ...FALCO_ALERT, priority: 'Debug' })));
      await router.close();
      expect(receiver.requests.map((r) => JSON.parse(r.body) as unknown)).toEqual([FALCO_ALERT]);
      expect(router.metrics.snapshot()['hook']).toMatchObject({ received: 2, filtered: 1, sent: 1 });
    } finally {
      await receiver.close();
    }
  });
});
