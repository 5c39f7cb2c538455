/**
 * Shapes of hostile version strings, shared by bounded.test.ts (never throw) and
 * bench/version.mjs (cost grows linearly with length).
 */
import { MAX_VERSION_LENGTH, compareVersions, type VersionScheme } from '../scheme.js';

export { MAX_VERSION_LENGTH };

function half(n: number): number {
  return Math.floor(n / 2);
}

/** Shapes of hostile input at about n characters. */
export function hostile(n: number): string[] {
  return [
    '1'.repeat(n),
    `${'1.'.repeat(half(n))}1`,
    `${'0.'.repeat(half(n))}0`,
    '.'.repeat(n),
    '-'.repeat(n),
    '~'.repeat(n),
    '_'.repeat(n),
    '+'.repeat(n),
    'a1'.repeat(half(n)),
    '1a.'.repeat(Math.floor(n / 3)),
    `${' '.repeat(n)}x`,
    `1${' '.repeat(n)}x`,
    `1${'.1'.repeat(half(n))}${' '.repeat(10)}x`,
    `1.2.${'3'.repeat(n)}!`,
    `1.2.3-${'a.'.repeat(half(n))}`,
    `1.2.3-${'a'.repeat(n)}+`,
    `1.0-beta${'1'.repeat(n)}x`,
    `1.0-beta${'.1'.repeat(half(n))}x`,
    `${'1-'.repeat(half(n))}1`,
    `${'1-a'.repeat(Math.floor(n / 3))}`,
    `1:${'1'.repeat(n)}-${'1'.repeat(10)}`,
    `${'1_alpha'.repeat(Math.floor(n / 7))}`,
    `1.0${'post'.repeat(Math.floor(n / 4))}`,
    `v${'0'.repeat(n)}.1.2`,
    `1.0.0-${'-'.repeat(n)}`,
    `${'1.x'.repeat(Math.floor(n / 3))}-dev`,
    `2010${'-01'.repeat(Math.floor(n / 3))}`,
    `1\u00e9\u0000${'\u2028'.repeat(n)}`,
  ];
}

/** A different string of the same shape: the last character changed, forcing full scans. */
export function twin(s: string): string {
  return s.slice(0, -1) + (s.endsWith('1') ? '2' : '1');
}

export function work(scheme: VersionScheme, inputs: string[]): void {
  for (const s of inputs) {
    compareVersions(scheme, s, twin(s));
    compareVersions(scheme, s, s);
  }
}

