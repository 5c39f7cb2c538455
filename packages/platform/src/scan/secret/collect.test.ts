import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../../core/logger.js';
import { openOciLayout } from '../artifact/image/oci-layout.js';
import { tarOf, tempDir, writeOciLayout } from '../artifact/testdata/build.js';
import { SqliteLayerCache } from '../cache/layer-cache.js';
import { collectSecrets } from './collect.js';
import { compileScanner } from './scanner.js';
import { builtinAllowRules } from './builtin-allow-rules.js';
import { builtinRules } from './builtin-rules.js';
import { cycle } from './testdata/examples.js';

const AWS1 = 'AKIA' + cycle('ABCDEFGHIJ0123456789', 16);
const AWS2 = 'AKIA' + cycle('QRSTUVWXYZ9876543210', 16);
const GHP = 'ghp_' + cycle('aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z', 36);

/** Base layer: two files with secrets; top layer deletes one and rewrites the other. */
async function layeredImage(): Promise<string> {
  const base = await tarOf([
    { name: 'app/.env', body: `AWS=${AWS1}\nGH=${GHP}\n` },
    { name: 'app/deleted.env', body: `AWS=${AWS2}\n` },
    { name: 'app/logo.png', body: `AWS=${AWS2}\n` },
    { name: 'usr/share/doc/x.txt', body: `AWS=${AWS2}\n` },
    { name: 'bin/tool', body: Buffer.concat([Buffer.from([0x7f, 0x45, 0, 1]), Buffer.from(` ${AWS2}\n`)]) },
  ]);
  const top = await tarOf([
    { name: 'app/.wh.deleted.env', body: '' },
    { name: 'app/.env', body: `# rotated\nAWS=${AWS2}\n` },
  ]);
  const dir = tempDir('palisade-secret-img-');
  writeOciLayout(join(dir, 'layout'), {
    images: [{ tag: 'latest', image: { layers: [{ tar: base, compression: 'gzip' }, { tar: top }] } }],
  });
  return join(dir, 'layout');
}

describe('collectSecrets on an image', () => {
  const caches: SqliteLayerCache[] = [];
  afterAll(() => caches.forEach((c) => c.close()));

  it('follows Trivy: secrets of deleted files are kept, a rewrite replaces findings of the same rule', async () => {
    const source = await openOciLayout(await layeredImage());
    const { results } = await collectSecrets({ kind: 'image', source }, { logger: nullLogger });
    await source.close();
    const diffIds = source.layers.map((l) => l.diffId);
    expect(results.map((r) => r.target)).toEqual(['/app/.env', '/app/deleted.env']);
    const env = results[0]!.secrets!;
    expect(env.map((s) => [s.ruleId, s.startLine, s.layer?.diffId])).toEqual([
      ['aws-access-key-id', 2, diffIds[1]],
      ['github-pat', 2, diffIds[0]],
    ]);
    expect(results[1]!.secrets!.map((s) => s.layer?.diffId)).toEqual([diffIds[0]]);
    expect(JSON.stringify(results)).not.toMatch(/AKIA[A-Z0-9]{16}|ghp_[A-Za-z0-9]{36}/);
  });

  it('caches per layer under the scanner version and rescans when the rules change', async () => {
    const layout = await layeredImage();
    const cache = SqliteLayerCache.open(join(tempDir('palisade-secret-cache-'), 'layers.sqlite'), nullLogger);
    caches.push(cache as SqliteLayerCache);
    let opened = 0;
    const run = async (scanner = compileScanner({ rules: builtinRules, allowRules: builtinAllowRules })) => {
      const src = await openOciLayout(layout);
      const counted = {
        ...src,
        layers: src.layers,
        info: src.info,
        config: src.config,
        close: () => src.close(),
      };
      counted.openLayer = (i: number, signal?: AbortSignal) => {
        opened++;
        return src.openLayer(i, signal);
      };
      const out = await collectSecrets(
        { kind: 'image', source: counted },
        { logger: nullLogger, cache, scanner },
      );
      await src.close();
      return out.results;
    };
    const first = await run();
    expect(opened).toBe(2);
    const second = await run();
    expect(opened).toBe(2);
    expect(second).toEqual(first);
    const fewer = compileScanner({
      rules: builtinRules.filter((r) => r.id !== 'github-pat'),
      allowRules: builtinAllowRules,
    });
    const third = await run(fewer);
    expect(opened).toBe(4);
    expect(third.flatMap((r) => r.secrets!.map((s) => s.ruleId))).not.toContain('github-pat');
  });
});
