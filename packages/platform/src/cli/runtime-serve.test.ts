/**
 * `palisade runtime serve` driven in-process through the real CLI: it listens
 * on a free loopback port until the test aborts its signal. Audit EventLists
 * built from the upstream Falco fixture traces are posted to the webhook
 * endpoint; the expected rules and counts come from the fixtures'
 * expectations.json, not from our engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/shared-data.js';
import { run } from './program.js';

const fixtures = sharedData('conformance', 'falco', 'k8saudit-fixtures');

interface Expectation {
  name: string;
  trace_file: string;
  rules_files: { path: string }[];
  detect_counts: Record<string, number>;
  detect_level: string | null;
}
const expectations = JSON.parse(readFileSync(join(fixtures, 'expectations.json'), 'utf8')) as Expectation[];
const expectation = (name: string): Expectation => {
  const e = expectations.find((x) => x.name === name);
  if (!e) throw new Error(`no expectation ${name}`);
  return e;
};

/** A fixture trace (JSON lines of audit Events) as the EventList the apiserver's webhook posts. */
function eventList(trace: string): string {
  const items = readFileSync(join(fixtures, trace), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}

interface Serving {
  url: string;
  out: () => string;
  err: () => string;
  /** Aborts the signal; resolves with the exit code. */
  stop: () => Promise<number>;
  done: Promise<number>;
}

async function serve(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Serving> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ac = new AbortController();
  const done = run(['runtime', 'serve', '--listen', '127.0.0.1:0', ...args], {
    stdout,
    stderr,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    signal: ac.signal,
  });
  let exited: number | undefined;
  void done.then((c) => (exited = c));
  for (;;) {
    const m = /"url":"(https?:\/\/[^"]+)".*"msg":"listening"/.exec(err);
    if (m?.[1]) {
      const url = m[1];
      return {
        url,
        out: () => out,
        err: () => err,
        done,
        stop: async () => {
          ac.abort();
          return await done;
        },
      };
    }
    if (exited !== undefined) throw new Error(`serve exited with ${exited} before listening:\n${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function post(url: string, body: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: r.status, body: await r.json() };
}

function countRules(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const rule = (JSON.parse(l) as { rule: string }).rule;
    out[rule] = (out[rule] ?? 0) + 1;
  }
  return out;
}

const jsonLines = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('{'));

/** The `stopped` log line's counters. */
function stoppedLog(err: string): {
  ingest: { auditRequests: number; auditEvents: number; alerts: number; rejected: Record<string, number> };
  engine: { events: number; alerts: number; forwarded: number; errors: number };
  outputs: Record<string, { received: number; sent: number; dropped: number }>;
} {
  const line = err.split('\n').find((l) => l.includes('"msg":"stopped"'));
  if (!line) throw new Error(`no stopped log line in:\n${err}`);
  return JSON.parse(line) as ReturnType<typeof stoppedLog>;
}

describe('palisade runtime serve', () => {
  it('evaluates posted audit EventLists against the rules and prints Falco JSON alert lines, the fixture counts', async () => {
    const exp = expectation('create_configmap_private_creds');
    const rules = exp.rules_files.flatMap((f) => ['-r', join(fixtures, f.path)]);
    const s = await serve([...rules, '--format', 'json', '--hostname', 'palisade-test']);
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    const r = await post(`${s.url}/k8s-audit`, eventList(exp.trace_file));
    expect(r).toEqual({ status: 200, body: { events: 6 } });
    expect(await s.stop()).toBe(0);
    const lines = jsonLines(s.out());
    expect(countRules(lines)).toEqual(exp.detect_counts);
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(first['priority']).toBe('Warning');
    expect(first['source']).toBe('k8s_audit');
    expect(first['hostname']).toBe('palisade-test');
    expect(Object.keys(first)).toEqual([
      'hostname',
      'output',
      'output_fields',
      'priority',
      'rule',
      'source',
      'tags',
      'time',
    ]);
    expect((first['output_fields'] as Record<string, unknown>)['ka.req.configmap.name']).toBe('my-config');
    const stopped = stoppedLog(s.err());
    expect(stopped.ingest.auditRequests).toBe(1);
    expect(stopped.ingest.auditEvents).toBe(6);
    expect(stopped.engine).toMatchObject({ events: 6, alerts: 6, errors: 0 });
  });

  it('prints Falco text lines by default, and none with --no-stdout', async () => {
    const exp = expectation('create_privileged_pod');
    const rules = exp.rules_files.flatMap((f) => ['-r', join(fixtures, f.path)]);
    const text = await serve(rules);
    await post(`${text.url}/k8s-audit`, eventList(exp.trace_file));
    expect(await text.stop()).toBe(0);
    // `HH:MM:SS.nnnnnnnnn: Warning <output>`, as Falco prints it (local time of the event).
    expect(text.out()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{9}: Warning Pod started with privileged container \(user=/,
    );
    expect(text.out().trim().split('\n')).toHaveLength(1);

    const quiet = await serve([...rules, '--no-stdout']);
    await post(`${quiet.url}/k8s-audit`, eventList(exp.trace_file));
    expect(await quiet.stop()).toBe(0);
    expect(quiet.out()).toBe('');
    expect(stoppedLog(quiet.err()).engine.alerts).toBe(1);
  });

  it('forwards engine alerts and received Falco alerts to the outputs of alert:, drained on shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-serve-'));
    const file = join(dir, 'alerts.jsonl');
    // A 10-minute flush interval: only the drain at shutdown can write the file before the test ends.
    writeFileSync(
      join(dir, 'palisade.yaml'),
      `alert:\n  outputs:\n    - type: file\n      path: \${ALERT_FILE}\n      flushInterval: 10m\n`,
    );
    const exp = expectation('create_privileged_pod');
    const rules = exp.rules_files.flatMap((f) => ['-r', join(fixtures, f.path)]);
    const s = await serve([...rules, '--format', 'json'], { cwd: dir, env: { ALERT_FILE: file } });
    await post(`${s.url}/k8s-audit`, eventList(exp.trace_file));
    const falcoAlert = {
      hostname: 'node-1',
      output: '10:00:00.000000000: Critical A shell was spawned (user=root)',
      output_fields: { 'user.name': 'root', 'evt.time': 1 },
      priority: 'Critical',
      rule: 'Terminal shell in container',
      source: 'syscall',
      tags: ['shell'],
      time: '2024-05-01T10:00:00.000000000Z',
    };
    expect(await post(`${s.url}/`, JSON.stringify(falcoAlert))).toEqual({
      status: 200,
      body: { accepted: 1 },
    });
    expect(await s.stop()).toBe(0);
    const written = jsonLines(readFileSync(file, 'utf8'));
    expect(written).toHaveLength(2);
    expect(countRules(written)).toEqual({ 'Create Privileged Pod': 1, 'Terminal shell in container': 1 });
    // The forwarded alert arrives unchanged.
    expect(JSON.parse(written[1] ?? '{}')).toEqual(falcoAlert);
    // stdout got the same lines.
    expect(jsonLines(s.out())).toEqual(written);
    const stopped = stoppedLog(s.err());
    expect(stopped.outputs['file']).toMatchObject({ received: 2, sent: 2, dropped: 0 });
    expect(stopped.engine.forwarded).toBe(1);
  });

  it('answers bad input with 4xx, counts it and keeps serving', async () => {
    const exp = expectation('create_privileged_pod');
    const rules = exp.rules_files.flatMap((f) => ['-r', join(fixtures, f.path)]);
    const s = await serve([...rules, '--max-body-bytes', '4096']);
    expect((await post(`${s.url}/k8s-audit`, '{"kind":')).status).toBe(400);
    expect((await post(`${s.url}/k8s-audit`, '{"kind":"Event"}')).status).toBe(400);
    expect((await post(`${s.url}/k8s-audit`, 'x'.repeat(5000))).status).toBe(413);
    expect((await post(`${s.url}/`, '{"rule":"x"}')).status).toBe(400);
    expect((await post(`${s.url}/k8s-audit`, '['.repeat(100_000))).status).toBe(413);
    expect((await post(`${s.url}/k8s-audit`, '['.repeat(200))).status).toBe(400);
    const ok = await post(`${s.url}/k8s-audit`, eventList(exp.trace_file));
    expect(ok.status).toBe(200);
    expect(await s.stop()).toBe(0);
    expect(stoppedLog(s.err()).ingest.rejected).toMatchObject({
      invalidJson: 1,
      badShape: 2,
      tooLarge: 2,
      tooDeep: 1,
    });
    expect(s.out()).toContain('Pod started with privileged container');
  });

  it('serves HTTPS with --tls-cert/--tls-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-serve-tls-'));
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1',
      ], // prettier-ignore
      { cwd: dir, stdio: 'ignore' },
    );
    const exp = expectation('create_privileged_pod');
    const rules = exp.rules_files.flatMap((f) => ['-r', join(fixtures, f.path)]);
    const s = await serve([...rules, '--tls-cert', 'tls.crt', '--tls-key', 'tls.key'], { cwd: dir });
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = eventList(exp.trace_file);
    const status = await new Promise<number>((ok, fail) => {
      const req = httpsRequest(
        `${s.url}/k8s-audit`,
        {
          method: 'POST',
          ca: readFileSync(join(dir, 'tls.crt')),
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => ok(res.statusCode ?? 0));
        },
      );
      req.on('error', fail);
      req.end(body);
    });
    expect(status).toBe(200);
    expect(await s.stop()).toBe(0);
    expect(s.out()).toContain('Pod started with privileged container');
  });

  it('refuses bad usage, invalid rules and a busy port with exit code 2 before serving', async () => {
    const k8sRules = join(fixtures, 'k8s_audit_rules.plugin-v0.6.0.yaml');
    const dir = mkdtempSync(join(tmpdir(), 'palisade-serve-bad-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- rule: r\n  desc: d\n  condition: ka.verb = \n  output: o\n  priority: WARNING\n');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    const cases: { args: string[]; message: RegExp }[] = [
      { args: ['-r', k8sRules, '--listen', 'nope'], message: /--listen 'nope' is not host:port/ },
      { args: ['-r', k8sRules, '--tls-cert', 'x.crt'], message: /--tls-cert and --tls-key go together/ },
      { args: ['-r', bad], message: /LOAD_ERR_COMPILE_CONDITION/ },
      { args: ['-r', k8sRules, '--listen', `127.0.0.1:${port}`], message: /cannot listen on .*EADDRINUSE/ },
      { args: ['-r', k8sRules, '--config', join(dir, 'missing.yaml')], message: /cannot read config file/ },
    ];
    try {
      for (const c of cases) {
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        let err = '';
        stderr.on('data', (d: Buffer) => (err += d.toString()));
        const ac = new AbortController();
        const code = await run(['runtime', 'serve', ...c.args], {
          stdout,
          stderr,
          env: {},
          cwd: dir,
          signal: ac.signal,
        });
        expect({ args: c.args, code }).toEqual({ args: c.args, code: 2 });
        expect(err).toMatch(c.message);
      }
    } finally {
      busy.close();
    }
  });
});
