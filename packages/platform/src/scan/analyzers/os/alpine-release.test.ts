import { describe, expect, it } from 'vitest';
import { testContext } from '../../../testing/shared-data.js';
import { analyzer } from './alpine-release.js';

const file = (text: string) => ({
  path: 'etc/alpine-release',
  content: Buffer.from(text),
  size: text.length,
  mode: 0o644,
});

describe('os/alpine-release', () => {
  it('takes the first line as the release', async () => {
    expect((await analyzer.analyze([file('3.20.3\n')], testContext())).os).toEqual({
      family: 'alpine',
      name: '3.20.3',
    });
    expect((await analyzer.analyze([file('3.21.0_alpha20240807\nextra\n')], testContext())).os).toEqual({
      family: 'alpine',
      name: '3.21.0_alpha20240807',
    });
  });

  it('warns about an empty file and names no OS', async () => {
    const ctx = testContext();
    expect((await analyzer.analyze([file('')], ctx)).os).toBeUndefined();
    expect(ctx.diagnostics.items.map((d) => d.code)).toEqual(['OS_RELEASE_EMPTY']);
  });

  it('wants only etc/alpine-release', () => {
    expect(analyzer.required('etc/alpine-release', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('usr/etc/alpine-release', { size: 1, mode: 0o644 })).toBe(false);
  });
});
