import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIO } from './io.js';
import { progressFor } from './progress.js';

function io(tty: boolean, env: NodeJS.ProcessEnv = {}): { io: CliIO; text: () => string } {
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
  let text = '';
  stderr.on('data', (c: Buffer) => (text += c.toString()));
  return { io: { stdout: new PassThrough(), stderr, env, cwd: '/' }, text: () => text };
}

describe('progress bar', () => {
  it('is drawn on a terminal', async () => {
    const t = io(true);
    const bar = progressFor(t.io, false);
    expect(bar).toBeDefined();
    bar?.start('layer 1/2', 10 * 1024 * 1024);
    bar?.advance(5 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 150));
    bar?.done();
    expect(t.text()).toMatch(/layer 1\/2/);
    expect(t.text()).toMatch(/MB/);
  });

  it('is silent when piped, in CI, or with --quiet', () => {
    expect(progressFor(io(false).io, false)).toBeUndefined();
    expect(progressFor(io(true, { CI: 'true' }).io, false)).toBeUndefined();
    expect(progressFor(io(true).io, true)).toBeUndefined();
  });
});
