import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../core/errors.js';
import { loadConfigFile, resolveSettings } from './resolve.js';
import { settings } from './settings.js';

describe('settings resolution', () => {
  it('uses the default when nothing else is given', () => {
    const s = resolveSettings({ env: { HOME: '/home/u' }, flags: {} });
    expect(s.format).toBe('table');
    expect(s.cacheDir).toBe('/home/u/.cache/palisade');
  });

  it('prefers XDG_CACHE_HOME for the cache directory default', () => {
    expect(resolveSettings({ env: { XDG_CACHE_HOME: '/x' }, flags: {} }).cacheDir).toBe('/x/palisade');
  });

  it('takes flag over env over file over default', () => {
    const file = { format: 'json', cache: { dir: '/from-file' } };
    expect(resolveSettings({ env: {}, flags: {}, file }).format).toBe('json');
    expect(resolveSettings({ env: { PALISADE_FORMAT: 'cyclonedx' }, flags: {}, file }).format).toBe(
      'cyclonedx',
    );
    expect(
      resolveSettings({ env: { PALISADE_FORMAT: 'cyclonedx' }, flags: { format: 'spdx-json' }, file }).format,
    ).toBe('spdx-json');
    expect(resolveSettings({ env: {}, flags: {}, file }).cacheDir).toBe('/from-file');
  });

  it('parses booleans from env words', () => {
    expect(resolveSettings({ env: { PALISADE_NO_CACHE: 'yes' }, flags: {} }).noCache).toBe(true);
    expect(resolveSettings({ env: { PALISADE_NO_CACHE: '0' }, flags: {} }).noCache).toBe(false);
  });

  it('rejects a value outside the allowed choices, naming its source', () => {
    expect(() => resolveSettings({ env: { PALISADE_FORMAT: 'xml' }, flags: {} })).toThrow(
      /PALISADE_FORMAT: 'xml' is not one of/,
    );
  });

  it('rejects a wrongly typed file value with its key', () => {
    expect(() => resolveSettings({ env: {}, flags: {}, file: { cache: { disabled: 'maybe' } } })).toThrow(
      /cache.disabled/,
    );
  });

  it('declares every env variable with the PALISADE_ prefix and unique flags', () => {
    const decls = Object.values(settings);
    expect(decls.every((d) => d.env.startsWith('PALISADE_'))).toBe(true);
    expect(new Set(decls.map((d) => d.flag)).size).toBe(decls.length);
  });
});

describe('config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-config-'));

  it('is optional when not named explicitly', () => {
    expect(loadConfigFile(join(dir, 'absent.yaml'), false)).toBeUndefined();
  });

  it('is an error when named explicitly and missing', () => {
    expect(() => loadConfigFile(join(dir, 'absent.yaml'), true)).toThrow(PalisadeError);
  });

  it('reports invalid YAML with line and column', () => {
    const p = join(dir, 'bad.yaml');
    writeFileSync(p, 'format: json\ncache:\n  dir: [unclosed\n');
    try {
      loadConfigFile(p, true);
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(PalisadeError);
      expect((err as PalisadeError).location?.file).toBe(p);
      expect((err as PalisadeError).location?.line).toBeGreaterThan(0);
    }
  });

  it('bounds YAML alias expansion', () => {
    const p = join(dir, 'bomb.yaml');
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 12; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(',')}]`,
      );
    writeFileSync(p, `${lines.join('\n')}\n`);
    expect(() => loadConfigFile(p, true)).toThrow(PalisadeError);
  });
});

describe('docs/configuration.md', () => {
  it('documents every setting with its flag, environment variable and config key', async () => {
    const { readFileSync } = await import('node:fs');
    const { repoRoot } = await import('../testing/shared-data.js');
    const doc = readFileSync(join(repoRoot, 'docs/configuration.md'), 'utf8');
    const missing = Object.values(settings)
      .flatMap((d) => [`--${d.flag}`, d.env, ...(d.fileKey ? [d.fileKey] : [])])
      .filter((s) => !doc.includes(`\`${s}\``));
    expect(missing).toEqual([]);
  });
});
