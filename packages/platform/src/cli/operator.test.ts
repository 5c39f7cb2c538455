import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './operator.js';
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
    ])
      expect(r.out).toContain(flag);
  });

  it('exits 2 for a bad number before contacting anything', async () => {
    const r = await cli(['operator', '--concurrency', '0', '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--concurrency: expected a whole number/);
  });
});
