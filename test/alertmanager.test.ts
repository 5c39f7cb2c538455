/**
 * The Alertmanager output against a real Alertmanager (Debian's
 * prometheus-alertmanager, installed by .ci/install.sh): started on a free
 * loopback port with a minimal config and a temporary storage path; alerts
 * are posted by our output and read back with GET /api/v2/alerts.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerOutput } from '../packages/platform/src/alert/alertmanager.js';
import { OutputQueue } from '../packages/platform/src/alert/queue.js';
import type { FalcoAlert } from '../packages/platform/src/alert/types.js';

function findBinary(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).concat('/usr/bin', '/usr/sbin')) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

let am: ChildProcess | undefined;
let dir = '';
let base = '';
let amLog = '';

beforeAll(async () => {
  const bin = findBinary('prometheus-alertmanager') ?? findBinary('alertmanager');
  if (!bin)
    throw new Error(
      'prometheus-alertmanager is not installed: run .ci/install.sh (it installs the Debian package prometheus-alertmanager)',
    );
  dir = mkdtempSync(join(tmpdir(), 'palisade-am-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    ['route:', '  receiver: blackhole', 'receivers:', '  - name: blackhole', ''].join('\n'),
  );
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  am = spawn(
    bin,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  am.stdout?.on('data', (c: Buffer) => (amLog += c.toString()));
  am.stderr?.on('data', (c: Buffer) => (amLog += c.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (am.exitCode !== null) throw new Error(`alertmanager exited with ${am.exitCode}:\n${amLog}`);
    try {
      const r = await fetch(`${base}/-/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`alertmanager not ready after 30 s:\n${amLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (am && am.exitCode === null) {
    const exited = new Promise((r) => am?.once('exit', r));
    am.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Alertmanager output against a real Alertmanager', () => {
  it('posts alerts that Alertmanager stores with the labels, annotations and endsAt falcosidekick would give them', async () => {
    // Alerts from now (Alertmanager does not list alerts that already ended).
    const nowIso = new Date().toISOString(); // ….123Z
    const time = nowIso.replace('Z', '456789Z');
    const shell: FalcoAlert = {
      hostname: 'worker-1',
      output: 'Shell spawned in a container (user=root container=abc shell=bash)',
      output_fields: {
        'container.id': 'abc',
        'proc.name': 'bash',
        'user.name': 'root',
        'evt.num': 7,
        'fd.name': null,
      },
      priority: 'Critical',
      rule: 'Terminal shell in container',
      source: 'syscall',
      tags: ['shell', 'container'],
      time,
    };
    const secret: FalcoAlert = {
      hostname: '',
      output: 'ConfigMap with AWS keys created (user=alice configmap=creds)',
      output_fields: { 'ka.user.name': 'alice', 'ka.target.name': 'creds' },
      priority: 'Warning',
      rule: 'Create/Modify Configmap With Private Credentials',
      source: 'k8s_audit',
      tags: ['k8s'],
      time,
    };
    const q = new OutputQueue(
      createAlertmanagerOutput({ url: base, expiresAfter: 3600, extraLabels: { cluster: 'test' } }),
      { batchSize: 2, flushIntervalMs: 50 },
      { maxAttempts: 3, initialBackoffMs: 100 },
    );
    q.push(shell);
    q.push(secret);
    await q.flush();
    expect(q.counters).toMatchObject({ sent: 2, failed: 0 });

    const res = await fetch(`${base}/api/v2/alerts`);
    expect(res.status).toBe(200);
    const stored = ((await res.json()) as AmAlert[]).sort((a, b) =>
      (a.labels['rule'] ?? '').localeCompare(b.labels['rule'] ?? ''),
    );
    expect(stored.map((a) => a.labels)).toEqual([
      {
        cluster: 'test',
        eventsource: 'k8s_audit',
        ka_target_name: 'creds',
        ka_user_name: 'alice',
        priority: 'Warning',
        rule: 'Create/Modify Configmap With Private Credentials',
        severity: 'warning',
        source: 'falco',
        tags: 'k8s',
      },
      {
        cluster: 'test',
        container_id: 'abc',
        eventsource: 'syscall',
        evt_num: '7',
        hostname: 'worker-1',
        priority: 'Critical',
        proc_name: 'bash',
        rule: 'Terminal shell in container',
        severity: 'critical',
        source: 'falco',
        tags: 'container,shell',
        user_name: 'root',
      },
    ]);
    expect(stored.map((a) => a.annotations)).toEqual([
      { description: secret.output, info: secret.output, summary: secret.rule },
      { description: shell.output, info: shell.output, summary: shell.rule },
    ]);
    for (const a of stored) {
      expect(a.status.state).toBe('active');
      // endsAt = alert time + 1 h (Alertmanager keeps millisecond precision).
      expect(Date.parse(a.endsAt)).toBe(Date.parse(nowIso) + 3600_000);
    }
  });

  it('leaves endsAt to Alertmanager (resolve_timeout) when expiresAfter is not set', async () => {
    const before = Date.now();
    const q = new OutputQueue(createAlertmanagerOutput({ url: base }), { batchSize: 1 }, { maxAttempts: 1 });
    q.push({
      hostname: 'worker-2',
      output: 'Write below binary dir (file=/bin/x)',
      output_fields: { 'fd.name': '/bin/x' },
      priority: 'Error',
      rule: 'Write below binary dir',
      source: 'syscall',
      tags: [],
      time: new Date().toISOString(),
    });
    await q.flush();
    expect(q.counters.sent).toBe(1);
    const all = (await (
      await fetch(`${base}/api/v2/alerts?filter=rule%3D%22Write%20below%20binary%20dir%22`)
    ).json()) as AmAlert[];
    expect(all).toHaveLength(1);
    const a = all[0] as AmAlert;
    expect(a.labels).toMatchObject({
      fd_name: '/bin/x',
      severity: 'warning',
      priority: 'Error',
      hostname: 'worker-2',
    });
    // resolve_timeout defaults to 5 minutes.
    const ends = Date.parse(a.endsAt);
    expect(ends).toBeGreaterThanOrEqual(before + 5 * 60_000 - 1000);
    expect(ends).toBeLessThanOrEqual(Date.now() + 5 * 60_000 + 1000);
  });

  it('gets a non-retryable 400 for an alert Alertmanager rejects, and counts it failed', async () => {
    // An empty label name is invalid for Alertmanager: a field named only of
    // unsafe characters maps to the empty label name, as in falcosidekick.
    const q = new OutputQueue(
      createAlertmanagerOutput({ url: base }),
      { batchSize: 1 },
      { maxAttempts: 3, initialBackoffMs: 10 },
    );
    q.push({
      hostname: '',
      output: 'x',
      output_fields: { '...': 'v' },
      priority: 'Error',
      rule: 'Bad label',
      source: 'syscall',
      tags: [],
      time: new Date().toISOString(),
    });
    await q.flush();
    expect(q.counters).toMatchObject({ sent: 0, failed: 1, retries: 0 });
  });
});
