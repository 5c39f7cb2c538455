import { describe, expect, it } from 'vitest';
import {
  descriptorPlatform,
  formatPlatform,
  parsePlatform,
  platformMatches,
  type Platform,
} from '../platform.js';

describe('platforms', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['Linux/AArch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
  ])('parses %j', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/arm/v7/x', ''])('refuses %j with E_USAGE', (text) => {
    expect(() => parsePlatform(text)).toThrowError(expect.objectContaining({ code: 'E_USAGE' }));
  });

  const p = (os: string, architecture: string, variant?: string): Platform =>
    variant === undefined ? { os, architecture } : { os, architecture, variant };

  it.each([
    [p('linux', 'amd64'), p('linux', 'amd64'), true],
    [p('linux', 'amd64'), p('linux', 'arm64'), false],
    [p('linux', 'amd64'), p('windows', 'amd64'), false],
    [p('linux', 'arm64'), p('linux', 'arm64', 'v8'), true],
    [p('linux', 'arm64', 'v8'), p('linux', 'arm64'), true],
    [p('linux', 'arm', 'v7'), p('linux', 'arm'), true],
    [p('linux', 'arm', 'v6'), p('linux', 'arm', 'v7'), false],
    [p('linux', 'arm'), p('linux', 'arm', 'v6'), true],
  ])('%j accepts %j: %s', (want, have, expected) => {
    expect(platformMatches(want, have)).toBe(expected);
  });

  it('reads descriptor platforms and ignores malformed ones', () => {
    expect(descriptorPlatform({ os: 'linux', architecture: 'aarch64', variant: 'V8' })).toEqual(
      p('linux', 'arm64', 'v8'),
    );
    expect(descriptorPlatform({ os: 'linux' })).toBeUndefined();
    expect(descriptorPlatform('linux/amd64')).toBeUndefined();
    expect(formatPlatform(p('linux', 'arm', 'v7'))).toBe('linux/arm/v7');
  });
});
