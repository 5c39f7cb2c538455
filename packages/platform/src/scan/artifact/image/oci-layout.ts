/**
 * OCI image layouts (image-spec image-layout.md): a directory with
 * `oci-layout`, `index.json` and `blobs/<alg>/<hex>`, or the same as a tar
 * file (`oci-archive`, and the layout newer `docker save` writes). The image is
 * selected by its `org.opencontainers.image.ref.name` tag, and from a
 * multi-platform index by platform. Every JSON blob read is checked against
 * its digest; layer blobs are checked as they stream.
 */
import type { ArtifactInfo } from '@palisade/api';
import { throwIfAborted } from '../../../core/abort.js';
import { PalisadeError } from '../../../core/errors.js';
import { digestOf, requireDigest } from '../digest.js';
import { DEFAULT_MAX_LAYERS, MAX_INDEX_DEPTH, MAX_JSON_BYTES } from '../limits.js';
import type { ImageSource } from '../types.js';
import { parseImageConfig, parseJsonObject } from './config.js';
import type { LocalImageOptions } from './options.js';
import {
  descriptorPlatform,
  formatPlatform,
  hostPlatform,
  parsePlatform,
  selectPlatform,
  type Platform,
} from '../platform.js';
import { checkLayerBlobs, LocalImageSource, type StoredLayer } from './source.js';
import { openArchiveStore } from './archive.js';
import { DirectoryStore, type BlobStore } from './store.js';

export const MEDIA_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';

export interface OciImageOptions extends LocalImageOptions {
  /** Selects the manifest whose ref.name annotation is this tag (or full reference). */
  tag?: string;
}

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations: Record<string, string>;
  platform?: Platform;
}

/** Opens an OCI layout directory. */
export async function openOciLayout(dir: string, opts: OciImageOptions = {}): Promise<ImageSource> {
  const store = await DirectoryStore.open(dir);
  return openOciStore(store, opts);
}

/** Opens an OCI layout stored as a tar file. */
export async function openOciArchive(file: string, opts: OciImageOptions = {}): Promise<ImageSource> {
  const store = await openArchiveStore(file, opts);
  return openOciStore(store, opts);
}

/** Reads the image from an opened store; the store is closed on failure and by the source's close(). */
export async function openOciStore(store: BlobStore, opts: OciImageOptions = {}): Promise<ImageSource> {
  try {
    return await readOci(store, opts);
  } catch (err) {
    await store.close();
    throw err;
  }
}

export function blobPath(digest: string, where: string): string {
  const d = requireDigest(digest, where);
  return `blobs/${d.algorithm}/${d.hex}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseDescriptor(v: unknown, where: string): Descriptor {
  if (!isRecord(v)) throw new PalisadeError('E_MANIFEST', `${where}: descriptor is not an object`);
  const digest = v['digest'];
  requireDigest(digest, where);
  const d: Descriptor = { digest: digest as string, annotations: {} };
  if (typeof v['mediaType'] === 'string') d.mediaType = v['mediaType'];
  if (v['size'] !== undefined) {
    const size = v['size'];
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new PalisadeError('E_MANIFEST', `${where}: descriptor size ${JSON.stringify(size)} is invalid`);
    }
    d.size = size;
  }
  if (isRecord(v['annotations'])) {
    for (const [k, val] of Object.entries(v['annotations']))
      if (typeof val === 'string') d.annotations[k] = val;
  }
  const platform = descriptorPlatform(v['platform']);
  if (platform) d.platform = platform;
  return d;
}

/** Reads a JSON blob named by a descriptor and checks its digest and size. */
async function readJsonBlob(store: BlobStore, d: Descriptor, what: string): Promise<Record<string, unknown>> {
  const path = blobPath(d.digest, `${store.where}: ${what}`);
  if ((await store.size(path)) === undefined) {
    throw new PalisadeError('E_NOT_FOUND', `${store.where}: blob ${path} (${what}) is missing`);
  }
  const bytes = await store.read(path, MAX_JSON_BYTES);
  const actual = digestOf(bytes, requireDigest(d.digest, what).algorithm);
  if (actual !== d.digest) {
    throw new PalisadeError('E_DIGEST_MISMATCH', `${store.where}: ${path} (${what}) has digest ${actual}`);
  }
  if (d.size !== undefined && d.size !== bytes.length) {
    throw new PalisadeError(
      'E_MANIFEST',
      `${store.where}: ${path} (${what}) is ${bytes.length} bytes, its descriptor says ${d.size}`,
    );
  }
  return parseJsonObject(bytes, `${store.where}: ${path}`);
}

function isIndex(d: Descriptor): boolean {
  return d.mediaType === MEDIA_OCI_INDEX || d.mediaType === MEDIA_DOCKER_LIST;
}

function descriptorsOf(index: Record<string, unknown>, where: string): Descriptor[] {
  const list = index['manifests'];
  if (!Array.isArray(list)) throw new PalisadeError('E_MANIFEST', `${where}: no manifests list`);
  return list.map((m, i) => parseDescriptor(m, `${where}: manifests[${i}]`));
}

/** The tag or reference a descriptor is known by. */
function refNames(d: Descriptor): string[] {
  const out: string[] = [];
  const ref = d.annotations[ANNOTATION_REF_NAME];
  const full = d.annotations[ANNOTATION_CONTAINERD_NAME];
  if (ref) out.push(ref);
  if (full) out.push(full);
  return out;
}

function tagMatches(d: Descriptor, tag: string): boolean {
  return refNames(d).some((n) => n === tag || n.endsWith(`:${tag}`) || n.endsWith(`/${tag}`));
}

/** A reference worth reporting as a repo tag: a full name (`repo:tag`), not a bare tag. */
function repoTagOf(d: Descriptor): string | undefined {
  const full = d.annotations[ANNOTATION_CONTAINERD_NAME];
  if (full) return full;
  const ref = d.annotations[ANNOTATION_REF_NAME];
  // A bare tag (`latest`) names no repository; a full reference (`alpine:3.20`, `ghcr.io/x/y:1`) does.
  if (ref && (ref.includes(':') || ref.includes('/'))) return ref;
  return undefined;
}

interface Selected {
  descriptor: Descriptor;
  top: Descriptor;
}

async function selectManifest(
  store: BlobStore,
  index: Record<string, unknown>,
  opts: OciImageOptions,
): Promise<Selected> {
  const where = `${store.where}: index.json`;
  let candidates = descriptorsOf(index, where);
  if (opts.tag !== undefined) {
    const tag = opts.tag;
    const tagged = candidates.filter((d) => tagMatches(d, tag));
    if (tagged.length === 0) {
      const names = candidates.flatMap(refNames);
      throw new PalisadeError('E_NOT_FOUND', `${store.where}: no image tagged ${JSON.stringify(tag)}`, {
        hint:
          names.length > 0 ? `tags in this layout: ${names.join(', ')}` : 'this layout has no tagged images',
      });
    }
    candidates = tagged;
  }
  if (candidates.length === 0) throw new PalisadeError('E_MANIFEST', `${where}: lists no images`);
  const want = opts.platform !== undefined ? parsePlatform(opts.platform) : hostPlatform();

  let depth = 0;
  let top: Descriptor | undefined;
  for (;;) {
    throwIfAborted(opts.signal);
    let chosen: Descriptor;
    if (candidates.length === 1) {
      chosen = candidates[0] as Descriptor;
    } else if (candidates.every((d) => d.platform !== undefined)) {
      chosen = pickPlatform(candidates, want, store.where);
    } else {
      const names = candidates.flatMap(refNames);
      throw new PalisadeError('E_USAGE', `${store.where}: holds ${candidates.length} images; name one`, {
        hint:
          names.length > 0
            ? `append :TAG to the path, one of: ${names.join(', ')}`
            : 'the images carry no tags to select by',
      });
    }
    top ??= chosen;
    if (!isIndex(chosen)) {
      // A descriptor without a media type may still be an index: look inside.
      if (chosen.mediaType !== undefined) return { descriptor: chosen, top };
      const doc = await readJsonBlob(store, chosen, 'manifest');
      if (!Array.isArray(doc['manifests'])) return { descriptor: chosen, top };
      chosen.mediaType = MEDIA_OCI_INDEX;
    }
    depth++;
    if (depth > MAX_INDEX_DEPTH) {
      throw new PalisadeError('E_MANIFEST', `${store.where}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
    }
    const nested = await readJsonBlob(store, chosen, 'image index');
    candidates = descriptorsOf(nested, `${store.where}: ${blobPath(chosen.digest, store.where)}`);
    if (candidates.length === 0) {
      throw new PalisadeError(
        'E_MANIFEST',
        `${store.where}: image index ${chosen.digest} lists no manifests`,
      );
    }
  }
}

function pickPlatform(candidates: Descriptor[], want: Platform, where: string): Descriptor {
  const match = selectPlatform(candidates, (d) => d.platform, want);
  if (match) return match;
  const available = [
    ...new Set(
      candidates
        .map((d) => d.platform)
        .filter((p): p is Platform => p !== undefined && p.os !== 'unknown')
        .map(formatPlatform),
    ),
  ];
  throw new PalisadeError('E_NOT_FOUND', `${where}: no image for platform ${formatPlatform(want)}`, {
    hint: `available platforms: ${available.join(', ') || 'none'}; choose one with --platform`,
  });
}

const LAYER_MEDIA =
  /^application\/vnd\.(oci\.image\.layer\.(nondistributable\.)?v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)(\.gzip|\+gzip|\+zstd)?$/;

async function readOci(store: BlobStore, opts: OciImageOptions): Promise<ImageSource> {
  const layoutSize = await store.size('oci-layout');
  if (layoutSize === undefined) {
    throw new PalisadeError('E_MANIFEST', `${store.where}: not an OCI image layout (no oci-layout file)`);
  }
  const layout = parseJsonObject(await store.read('oci-layout', 64 * 1024), `${store.where}: oci-layout`);
  if (typeof layout['imageLayoutVersion'] !== 'string') {
    throw new PalisadeError('E_MANIFEST', `${store.where}: oci-layout has no imageLayoutVersion`);
  }
  const index = parseJsonObject(await store.read('index.json', MAX_JSON_BYTES), `${store.where}: index.json`);
  const { descriptor, top } = await selectManifest(store, index, opts);
  const manifestPath = blobPath(descriptor.digest, store.where);
  const manifest = await readJsonBlob(store, descriptor, 'image manifest');
  const where = `${store.where}: ${manifestPath}`;

  const layersRaw = manifest['layers'];
  if (!Array.isArray(layersRaw))
    throw new PalisadeError('E_MANIFEST', `${where}: manifest has no layers list`);
  const maxLayers = opts.maxLayers ?? DEFAULT_MAX_LAYERS;
  if (layersRaw.length > maxLayers) {
    throw new PalisadeError(
      'E_MANIFEST',
      `${where}: ${layersRaw.length} layers, more than the ${maxLayers} allowed`,
    );
  }
  const configDesc = parseDescriptor(manifest['config'], `${where}: config`);
  if (configDesc.mediaType !== undefined && !CONFIG_MEDIA_TYPES.has(configDesc.mediaType)) {
    throw new PalisadeError(
      'E_UNSUPPORTED',
      `${where}: not a container image (config media type ${configDesc.mediaType})`,
    );
  }
  const config = await readJsonBlob(store, configDesc, 'image config');
  const configWhere = `${store.where}: ${blobPath(configDesc.digest, store.where)}`;
  const summary = parseImageConfig(config, configWhere);
  if (summary.diffIds.length !== layersRaw.length) {
    throw new PalisadeError(
      'E_MANIFEST',
      `${where}: ${layersRaw.length} layers but the config (${configWhere}) lists ${summary.diffIds.length} diff_ids`,
    );
  }

  const stored: StoredLayer[] = layersRaw.map((raw, i) => {
    const d = parseDescriptor(raw, `${where}: layers[${i}]`);
    if (d.mediaType !== undefined && !LAYER_MEDIA.test(d.mediaType)) {
      throw new PalisadeError('E_UNSUPPORTED', `${where}: layer ${i + 1} has media type ${d.mediaType}`);
    }
    const layer: StoredLayer = {
      digest: d.digest,
      diffId: summary.diffIds[i] as string,
      path: blobPath(d.digest, where),
      verifiable: true,
    };
    if (d.size !== undefined) layer.size = d.size;
    if (d.mediaType !== undefined) layer.mediaType = d.mediaType;
    return layer;
  });
  await checkLayerBlobs(store, stored);

  const info: ArtifactInfo = {
    name: opts.name ?? store.where,
    type: 'container_image',
    imageId: configDesc.digest,
    digest: descriptor.digest,
    repoTags: [],
    repoDigests: [],
    diffIds: summary.diffIds,
  };
  const repoTag = repoTagOf(top);
  if (repoTag) info.repoTags = [repoTag];
  if (summary.os !== undefined) info.os = summary.os;
  if (summary.architecture !== undefined) info.architecture = summary.architecture;
  if (summary.created !== undefined) info.created = summary.created;
  return new LocalImageSource(info, stored, config, store);
}
