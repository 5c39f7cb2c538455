import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { autoMemoryTarget, cgroupMemoryLimit } from '../k8s/operator/memory-target.js';
import { keyValues, parseDuration, resolveMemoryTarget } from './operator.js';
import { run } from './program.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, { stdout, stderr, env: { HOME: '/nonexistent' }, cwd: '/tmp' });
  return { code, out, err };
}

describe('palisade operator (CLI)', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['0', 0],
    ['90', 90_000],
  ])('parses the duration %s', (v, ms) => {
    expect(parseDuration('--x', v)).toBe(ms);
  });

  it('refuses a malformed duration with a usage error', () => {
    expect(() => parseDuration('--rescan-interval', '1 week')).toThrow(
      /--rescan-interval: expected a duration/,
    );
  });

  it('documents every option in --help', async () => {
    const r = await cli(['operator', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--kubeconfig',
      '--namespaces',
      '--exclude-namespaces',
      '--concurrency',
      '--rescan-interval',
      '--rescan-jitter',
      '--rescan-rate',
      '--metrics-listen',
      '--lease-namespace',
      '--no-leader-elect',
      '--scanners',
      '--no-sbom-generation',
      '--scan-mode',
      '--scan-jobs-concurrent-limit',
      '--scan-job-namespace',
      '--scan-job-image',
      '--scan-job-timeout',
      '--scan-job-ttl',
      '--scan-job-service-account',
      '--scan-job-server-url',
      '--scan-job-requests',
      '--scan-job-limits',
      '--scan-job-node-selector',
      '--memory-target',
    ])
      expect(r.out).toContain(flag);
  });

  it('exits 2 for a bad number before contacting anything', async () => {
    const r = await cli(['operator', '--concurrency', '0', '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--concurrency: expected a whole number/);
  });

  it.each([
    [['--scan-mode', 'pods'], /--scan-mode: in-process or jobs/],
    [['--scan-mode', 'jobs', '--scan-job-server-url', 'http://x:8082'], /needs --scan-job-image/],
    [['--scan-mode', 'jobs', '--scan-job-image', 'p/p:1'], /needs --scan-job-server-url/],
    [['--scan-jobs-concurrent-limit', '0'], /--scan-jobs-concurrent-limit: expected a whole number/],
    [['--scan-job-requests', 'cpu'], /--scan-job-requests: expected key=value/],
    [['--scan-job-node-selector', '=x'], /--scan-job-node-selector: expected key=value/],
  ])('exits 2 for jobs-mode usage errors: %j', async (args, message) => {
    const r = await cli(['operator', ...args, '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('scan-job refuses to run without its token', async () => {
    const r = await cli([
      'operator',
      'scan-job',
      '--image',
      'r/x@sha256:' + 'a'.repeat(64),
      '--digest',
      'sha256:' + 'a'.repeat(64),
      '--server',
      'http://127.0.0.1:1',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/PALISADE_SCAN_JOB_TOKEN is not set/);
  });

  it('reads key=value lists for scan Job resources and node selectors', () => {
    expect(keyValues('--x', 'cpu=100m, memory=256Mi')).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(keyValues('--x', 'kubernetes.io/arch=amd64')).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(keyValues('--x', '')).toEqual({});
  });

  it('--memory-target: auto is 256Mi without a cgroup limit and 3/4 of the limit with one', () => {
    const MiB = 1024 * 1024;
    expect(resolveMemoryTarget('auto', () => undefined).bytes).toBe(256 * MiB);
    expect(resolveMemoryTarget('auto', () => 1024 * MiB).bytes).toBe(768 * MiB);
    expect(resolveMemoryTarget('512Mi', () => 1024 * MiB)).toEqual({
      bytes: 512 * MiB,
      source: '--memory-target',
    });
    expect(resolveMemoryTarget('off').bytes).toBe(0);
    expect(resolveMemoryTarget('0').bytes).toBe(0);
  });

  it.each([
    ['256m', /--memory-target: expected auto, off or a size/],
    ['lots', /--memory-target: expected auto, off or a size/],
    ['1Mi', /--memory-target: at least 16Mi/],
  ])('exits 2 for --memory-target %s', async (v, message) => {
    const r = await cli(['operator', '--memory-target', v, '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('starts the memory target by default, and not with --memory-target off', async () => {
    // An apiserver that refuses connections: the operator keeps retrying its lists until stopped.
    const dir = mkdtempSync(join(tmpdir(), 'palisade-operator-cli-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]',
        'users: [{name: u, user: {}}]',
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    const start = async (extra: string[]): Promise<Record<string, unknown>[]> => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const lines: Record<string, unknown>[] = [];
      let buf = '';
      const ctl = new AbortController();
      let watching!: () => void;
      const started = new Promise<void>((r) => (watching = r));
      stderr.on('data', (c: Buffer) => {
        buf += c.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('palisade operator: watching')) watching();
          if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
        }
      });
      const code = run(
        [
          'operator',
          '--kubeconfig',
          kubeconfig,
          '--scanners',
          'secret',
          '--no-leader-elect',
          '--cache-dir',
          join(dir, 'cache'),
          ...extra,
        ],
        { stdout, stderr, env: { HOME: dir }, cwd: dir, signal: ctl.signal },
      );
      await started;
      ctl.abort();
      expect(await code).toBe(0);
      return lines;
    };
    try {
      const lines = await start([]);
      const first = lines.find((l) => l['msg'] === 'memory target');
      expect(first).toMatchObject({ targetBytes: autoMemoryTarget(cgroupMemoryLimit()).bytes });
      expect(first?.['v8HeapLimitBytes']).toBeTypeOf('number');
      expect(lines.find((l) => l['msg'] === 'memory target stopped')).toMatchObject({
        forcedGcs: expect.any(Number) as number,
      });
      const off = await start(['--memory-target', 'off']);
      expect(off.some((l) => String(l['msg']).startsWith('memory target'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
