import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../core/errors.js';
import { nullLogger } from '../core/logger.js';
import { openOciLayout } from './artifact/image/oci-layout.js';
import { tarOf, tempDir, writeOciLayout } from './artifact/testdata/build.js';
import type { ImageSource } from './artifact/types.js';
import { analyzers } from './analyzers/index.js';
import type { Analyzer } from './analyzers/types.js';
import { SqliteLayerCache } from './cache/layer-cache.js';
import { inventoryImage } from './inventory.js';

const APK_DB = `C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
o:musl
L:MIT

C:Q1def=
P:busybox
V:1.36.1-r29
A:x86_64
o:busybox
L:GPL-2.0-only

`;

/** Base layer: Alpine release file, apk database, an npm package; top layer: whites out the npm package. */
async function twoLayerImage(): Promise<string> {
  const base = await tarOf([
    { name: 'etc/alpine-release', body: '3.20.3\n' },
    { name: 'lib/apk/db/installed', body: APK_DB },
    {
      name: 'usr/lib/node_modules/left-pad/package.json',
      body: '{"name":"left-pad","version":"1.3.0","license":"WTFPL"}',
    },
    { name: 'usr/lib/node_modules/kept/package.json', body: '{"name":"kept","version":"2.0.0"}' },
  ]);
  const top = await tarOf([
    { name: 'usr/lib/node_modules/.wh.left-pad', body: '' },
    { name: 'etc/motd', body: 'hi\n' },
  ]);
  const dir = tempDir('palisade-inv-');
  writeOciLayout(join(dir, 'layout'), {
    images: [{ tag: 'latest', image: { layers: [{ tar: base, compression: 'gzip' }, { tar: top }] } }],
  });
  return join(dir, 'layout');
}

/** Wraps a source to count (or forbid) layer reads. */
function counting(source: ImageSource, onOpen: (i: number) => void): ImageSource {
  return {
    info: source.info,
    layers: source.layers,
    config: source.config,
    openLayer: (i: number, signal?: AbortSignal): Promise<Readable> => {
      onOpen(i);
      return source.openLayer(i, signal);
    },
    close: () => source.close(),
  };
}

describe('image inventory pipeline', () => {
  it('detects the OS, lists apk packages from the base layer and drops a whited-out npm package', async () => {
    const source = await openOciLayout(await twoLayerImage());
    const report = await inventoryImage(source, { logger: nullLogger });
    await source.close();
    expect(report.os).toEqual({ family: 'alpine', name: '3.20.3' });
    const os = report.results.find((r) => r.class === 'os-pkgs');
    expect(os?.packages.map((p) => [p.name, p.version, p.layer?.diffId])).toEqual([
      ['busybox', '1.36.1-r29', source.layers[0]?.diffId],
      ['musl', '1.2.5-r0', source.layers[0]?.diffId],
    ]);
    const node = report.results.find((r) => r.type === 'node-pkg');
    expect(node?.target).toBe('Node.js');
    expect(node?.packages.map((p) => p.name)).toEqual(['kept']);
  });

  it('reads no layer on a warm cache and gives the same inventory', async () => {
    const layout = await twoLayerImage();
    const cache = SqliteLayerCache.open(join(tempDir(), 'layers.sqlite'), nullLogger);
    const opened: number[] = [];
    const first = await inventoryImage(
      counting(await openOciLayout(layout), (i) => opened.push(i)),
      { logger: nullLogger, cache },
    );
    expect(opened).toEqual([0, 1]);
    const second = await inventoryImage(
      counting(await openOciLayout(layout), () => {
        throw new Error('a warm scan must not open a layer');
      }),
      { logger: nullLogger, cache },
    );
    expect(second.results).toEqual(first.results);
    cache.close();
  });

  it('re-reads a layer only for an analyzer whose version changed', async () => {
    const layout = await twoLayerImage();
    const cache = SqliteLayerCache.open(join(tempDir(), 'layers.sqlite'), nullLogger);
    await inventoryImage(await openOciLayout(layout), { logger: nullLogger, cache });
    const apk = analyzers.find((a) => a.name === 'os/apk') as Analyzer;
    let calls = 0;
    const bumped: Analyzer = {
      name: apk.name,
      version: apk.version + 1,
      targets: apk.targets,
      mode: apk.mode,
      required: (p, i) => apk.required(p, i),
      analyze: (files, ctx) => {
        calls++;
        return apk.analyze(files, ctx);
      },
    };
    const list = analyzers.map((a) => (a.name === apk.name ? bumped : a));
    const opened: number[] = [];
    const report = await inventoryImage(
      counting(await openOciLayout(layout), (i) => opened.push(i)),
      {
        logger: nullLogger,
        cache,
        analyzers: list,
      },
    );
    expect(opened).toEqual([0, 1]);
    expect(calls).toBe(1);
    expect(report.results.find((r) => r.class === 'os-pkgs')?.packages.length).toBe(2);
    cache.close();
  });

  it('fails with E_DIGEST_MISMATCH on a tampered layer and caches nothing for it', async () => {
    const layout = await twoLayerImage();
    const source = await openOciLayout(layout);
    const blobDir = join(layout, 'blobs/sha256');
    const target = (source.layers[1]?.digest ?? '').slice(7);
    // Change a file's content but keep the tar well-formed: only the digest can tell.
    const blob = readFileSync(join(blobDir, target));
    const at = blob.indexOf('hi\n');
    expect(at).toBeGreaterThan(0);
    blob[at + 1] = 'o'.charCodeAt(0);
    writeFileSync(join(blobDir, target), blob);
    expect(readdirSync(blobDir)).toContain(target);
    const cache = SqliteLayerCache.open(join(tempDir(), 'layers.sqlite'), nullLogger);
    const err = await inventoryImage(source, { logger: nullLogger, cache }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('E_DIGEST_MISMATCH');
    const diffId = source.layers[1]?.diffId ?? '';
    expect(cache.get(diffId, analyzers).meta).toBeUndefined();
    await source.close();
    cache.close();
  });

  it('fails with a coded error on a structurally corrupt layer and caches nothing for it', async () => {
    const layout = await twoLayerImage();
    const source = await openOciLayout(layout);
    const target = join(layout, 'blobs/sha256', (source.layers[0]?.digest ?? '').slice(7));
    const blob = readFileSync(target);
    writeFileSync(target, Buffer.concat([blob.subarray(0, 40), Buffer.alloc(blob.length - 40, 0x41)]));
    const cache = SqliteLayerCache.open(join(tempDir(), 'layers.sqlite'), nullLogger);
    const err = await inventoryImage(source, { logger: nullLogger, cache }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect(cache.get(source.layers[0]?.diffId ?? '', analyzers).meta).toBeUndefined();
    await source.close();
    cache.close();
  });

  it('stops when aborted', async () => {
    const source = await openOciLayout(await twoLayerImage());
    const ac = new AbortController();
    ac.abort();
    await expect(inventoryImage(source, { logger: nullLogger, signal: ac.signal })).rejects.toThrow(
      /cancelled/,
    );
    await source.close();
  });
});

describe('development dependencies', () => {
  it('are dropped with the references to them, as Trivy does by default', async () => {
    const { buildReport, withoutDevDependencies } = await import('./inventory.js');
    const report = buildReport(
      { name: 'x', type: 'filesystem' },
      undefined,
      [
        {
          class: 'lang-pkgs',
          type: 'npm',
          filePath: 'package-lock.json',
          packages: [
            { id: 'app@1.0.0', name: 'app', version: '1.0.0', dependsOn: ['jest@29.0.0', 'lodash@4.17.21'] },
            { id: 'jest@29.0.0', name: 'jest', version: '29.0.0', dev: true },
            { id: 'lodash@4.17.21', name: 'lodash', version: '4.17.21' },
          ],
        },
      ],
      [],
    );
    const out = withoutDevDependencies(report);
    expect(out.results[0]?.packages.map((p) => p.name)).toEqual(['app', 'lodash']);
    expect(out.results[0]?.packages[0]?.dependsOn).toEqual(['lodash@4.17.21']);
    expect(report.results[0]?.packages.length).toBe(3);
  });
});
