/**
 * `docker save` archives: a tar with manifest.json (a list of
 * {Config, RepoTags, Layers}), the config JSON and the layer tars (plain or
 * compressed). Newer Docker writes an OCI layout inside the same tar and
 * points manifest.json at its `blobs/sha256/…` files; both read the same way.
 * The tar is indexed once and blobs are read in place by offset.
 */
import { createHash } from 'node:crypto';
import type { ArtifactInfo } from '@palisade/api';
import { throwIfAborted } from '../../../core/abort.js';
import { PalisadeError } from '../../../core/errors.js';
import { sha256Hex } from '../digest.js';
import { sniffCompression } from '../layer.js';
import { DEFAULT_MAX_LAYERS, MAX_JSON_BYTES } from '../limits.js';
import type { ImageSource } from '../types.js';
import { parseImageConfig, parseJsonObject } from './config.js';
import type { LocalImageOptions } from './options.js';
import { checkLayerBlobs, LocalImageSource, type StoredLayer } from './source.js';
import { openArchiveStore } from './archive.js';
import type { TarStore } from './store.js';

export interface DockerArchiveOptions extends LocalImageOptions {
  /** Selects an image of a multi-image archive: a repo tag (`alpine:3.20`) or `@N` (0-based position). */
  ref?: string;
}

interface ManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export async function openDockerArchive(file: string, opts: DockerArchiveOptions = {}): Promise<ImageSource> {
  const store = await openArchiveStore(file, opts);
  return openDockerArchiveStore(store, opts);
}

/** Reads the image from an indexed tar; the store is closed on failure and by the source's close(). */
export async function openDockerArchiveStore(
  store: TarStore,
  opts: DockerArchiveOptions = {},
): Promise<ImageSource> {
  try {
    return await readDockerArchive(store, opts);
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** `docker.io/library/alpine:latest` and `alpine` both become `alpine:latest`. */
export function familiarTag(ref: string): string {
  let r = ref;
  if (r.startsWith('docker.io/')) r = r.slice('docker.io/'.length);
  if (r.startsWith('library/')) r = r.slice('library/'.length);
  const slash = r.lastIndexOf('/');
  if (!r.slice(slash + 1).includes(':') && !r.includes('@')) r += ':latest';
  return r;
}

function parseManifestList(bytes: Buffer, where: string): ManifestItem[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new PalisadeError('E_MANIFEST', `${where}: not valid JSON`, { cause: err });
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new PalisadeError('E_MANIFEST', `${where}: expected a non-empty list of images`);
  }
  return value.map((v: unknown, i) => {
    const item = v as Record<string, unknown> | null;
    if (typeof item !== 'object' || item === null) {
      throw new PalisadeError('E_MANIFEST', `${where}: entry ${i} is not an object`);
    }
    const config = item['Config'];
    const layers = item['Layers'];
    const tags = item['RepoTags'] ?? [];
    if (typeof config !== 'string')
      throw new PalisadeError('E_MANIFEST', `${where}: entry ${i} has no Config`);
    if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string')) {
      throw new PalisadeError('E_MANIFEST', `${where}: entry ${i} has no Layers list`);
    }
    const repoTags = Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
    return { Config: config, Layers: layers, RepoTags: repoTags };
  });
}

function selectItem(items: ManifestItem[], ref: string | undefined, where: string): ManifestItem {
  const tags = items.flatMap((m) => m.RepoTags);
  if (ref === undefined) {
    if (items.length === 1) return items[0] as ManifestItem;
    throw new PalisadeError('E_USAGE', `${where}: holds ${items.length} images; name one`, {
      hint: `use docker-archive:PATH:TAG or docker-archive:PATH:@N; tags: ${tags.join(', ') || 'none'}`,
    });
  }
  const at = /^@(\d+)$/.exec(ref);
  if (at) {
    const item = items[Number(at[1])];
    if (!item)
      throw new PalisadeError(
        'E_NOT_FOUND',
        `${where}: no image at position ${at[1]} (${items.length} images)`,
      );
    return item;
  }
  const want = familiarTag(ref);
  const item = items.find((m) => m.RepoTags.some((t) => familiarTag(t) === want));
  if (!item) {
    throw new PalisadeError('E_NOT_FOUND', `${where}: no image tagged ${ref}`, {
      hint: `tags in this archive: ${tags.join(', ') || 'none'}`,
    });
  }
  return item;
}

/** `blobs/<alg>/<hex>` paths carry the digest of their bytes. */
function digestFromPath(path: string): string | undefined {
  const m = /(?:^|\/)blobs\/(sha256|sha384|sha512)\/([a-f0-9]+)$/.exec(path);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

async function readDockerArchive(store: TarStore, opts: DockerArchiveOptions): Promise<ImageSource> {
  if (!store.has('manifest.json')) {
    throw new PalisadeError('E_MANIFEST', `${store.where}: not a docker-archive (no manifest.json)`);
  }
  const where = `${store.where}: manifest.json`;
  const items = parseManifestList(await store.read('manifest.json', MAX_JSON_BYTES), where);
  const item = selectItem(items, opts.ref, store.where);
  const maxLayers = opts.maxLayers ?? DEFAULT_MAX_LAYERS;
  if (item.Layers.length > maxLayers) {
    throw new PalisadeError(
      'E_MANIFEST',
      `${where}: ${item.Layers.length} layers, more than the ${maxLayers} allowed`,
    );
  }

  const configWhere = `${store.where}: ${item.Config}`;
  if (!store.has(item.Config))
    throw new PalisadeError('E_NOT_FOUND', `${configWhere} is missing from the archive`);
  const configBytes = await store.read(item.Config, MAX_JSON_BYTES);
  const imageId = `sha256:${sha256Hex(configBytes)}`;
  // The config is named by its digest (`<hex>.json` or `blobs/sha256/<hex>`): check it.
  const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(item.Config);
  if (named && `sha256:${named[1]}` !== imageId) {
    throw new PalisadeError('E_DIGEST_MISMATCH', `${configWhere}: content digest is ${imageId}`);
  }
  const config = parseJsonObject(configBytes, configWhere);
  const summary = parseImageConfig(config, configWhere);
  if (summary.diffIds.length !== item.Layers.length) {
    throw new PalisadeError(
      'E_MANIFEST',
      `${where}: ${item.Layers.length} layers but the config (${item.Config}) lists ${summary.diffIds.length} diff_ids`,
    );
  }

  const stored: StoredLayer[] = [];
  for (const [i, path] of item.Layers.entries()) {
    throwIfAborted(opts.signal);
    const diffId = summary.diffIds[i] as string;
    if (!store.has(path)) {
      throw new PalisadeError(
        'E_NOT_FOUND',
        `${store.where}: layer ${i + 1} (${path}) is missing from the archive`,
      );
    }
    let digest = digestFromPath(path);
    if (digest === undefined) {
      // Legacy `<id>/layer.tar`: uncompressed, its digest is the diff_id. Some tools
      // compress it; then the stored digest is computed here, once.
      const head = await store.head(path, 4);
      digest = sniffCompression(head) === 'none' ? diffId : await hashBlob(store, path, opts.signal);
    }
    stored.push({ digest, diffId, path, verifiable: true, size: (await store.size(path)) ?? 0 });
  }
  await checkLayerBlobs(store, stored);

  const info: ArtifactInfo = {
    name: opts.name ?? store.where,
    type: 'container_image',
    imageId,
    repoTags: item.RepoTags,
    repoDigests: [],
    diffIds: summary.diffIds,
  };
  if (summary.os !== undefined) info.os = summary.os;
  if (summary.architecture !== undefined) info.architecture = summary.architecture;
  if (summary.created !== undefined) info.created = summary.created;
  return new LocalImageSource(info, stored, config, store);
}

async function hashBlob(store: TarStore, path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.open(path, signal)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
