/**
 * Test support: builds tar layers, docker-archives and OCI layouts in a temp
 * dir, so each test makes exactly the fixture it describes. Not product code.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { Diagnostics } from '../../../core/diagnostics.js';
import { openLayerTar } from '../layer.js';
import { DEFAULT_WALK_LIMITS } from '../limits.js';
import { walkTar } from '../tar-walk.js';
import type { ImageSource, LayerEntry, WalkLimits } from '../types.js';

export interface TarItem {
  name: string;
  body?: Buffer | string;
  type?: Header['type'];
  linkname?: string;
  mode?: number;
}

export function tempDir(prefix = 'palisade-artifact-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Packs entries into a tar (ustar; pax headers for long names, as tar-stream writes them). */
export async function tarOf(items: readonly TarItem[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const it of items) {
    const type = it.type ?? 'file';
    const header: Header = {
      name: it.name,
      type,
      mode: it.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      uname: 'root',
      gname: 'root',
      devmajor: 0,
      devminor: 0,
      linkname: it.linkname ?? '',
      size: 0,
    };
    if (type === 'file') {
      const body = Buffer.from(it.body ?? '');
      p.entry({ ...header, size: body.length }, body);
    } else {
      p.entry(header);
    }
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** One raw 512-byte ustar header with a correct checksum; `size` may lie. */
export function rawHeader(opts: { name: string; size: number; typeflag?: string; linkname?: string }): Buffer {
  const b = Buffer.alloc(512);
  b.write(opts.name, 0, 100, 'utf8');
  b.write('0000644\0', 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  b.write(opts.size.toString(8).padStart(11, '0') + '\0', 124);
  b.write('00000000000\0', 136);
  b.write(opts.typeflag ?? '0', 156);
  if (opts.linkname) b.write(opts.linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'latin1');
  b.write('00', 263, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

/** A body padded to 512 bytes. */
export function padded(body: Buffer): Buffer {
  const pad = (512 - (body.length % 512)) % 512;
  return Buffer.concat([body, Buffer.alloc(pad)]);
}

/** A GNU long-name (`L`) record followed by the entry itself. */
export function gnuLongName(name: string, body: Buffer): Buffer {
  const nameBytes = Buffer.from(name + '\0');
  return Buffer.concat([
    rawHeader({ name: '././@LongLink', size: nameBytes.length, typeflag: 'L' }),
    padded(nameBytes),
    rawHeader({ name: name.slice(0, 99), size: body.length }),
    padded(body),
  ]);
}

export const END_OF_ARCHIVE = Buffer.alloc(1024);

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function gzip(data: Uint8Array): Buffer {
  return gzipSync(data);
}

/** zstd via the CLI (fzstd only decompresses); undefined when the CLI is missing. */
export function zstdCompress(data: Uint8Array, args: string[] = []): Buffer | undefined {
  const r = spawnSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout;
}

export const HAVE_ZSTD = zstdCompress(Buffer.from('probe')) !== undefined;

export interface LayerSpec {
  /** The uncompressed tar. */
  tar: Buffer;
  compression?: 'none' | 'gzip' | 'zstd';
  /** The stored bytes when already compressed elsewhere (e.g. a real .tar.gz); `compression` names their format. */
  stored?: Buffer;
}

export interface StoredBlob {
  stored: Buffer;
  digest: string;
  diffId: string;
  mediaType: string;
}

export function storeLayer(spec: LayerSpec): StoredBlob {
  const compression = spec.compression ?? 'none';
  let stored = spec.tar;
  let mediaType = 'application/vnd.oci.image.layer.v1.tar';
  if (spec.stored) {
    stored = spec.stored;
    if (compression !== 'none') mediaType += `+${compression}`;
  } else if (compression === 'gzip') {
    stored = gzip(spec.tar);
    mediaType += '+gzip';
  } else if (compression === 'zstd') {
    const z = zstdCompress(spec.tar);
    if (!z) throw new Error('zstd CLI not available');
    stored = z;
    mediaType += '+zstd';
  }
  return { stored, digest: sha256(stored), diffId: sha256(spec.tar), mediaType };
}

export function imageConfig(diffIds: readonly string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-02T03:04:05Z',
      config: { Env: ['PATH=/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      ...extra,
    }),
  );
}

export interface DockerArchiveSpec {
  layers: readonly LayerSpec[];
  repoTags?: string[];
  /** `legacy`: `<id>/layer.tar` and `<hex>.json`; `blobs`: the Docker 25+ layout with an OCI layout inside. */
  style?: 'legacy' | 'blobs';
  /** Overrides the manifest.json entry (e.g. to break it). */
  manifest?: (m: Record<string, unknown>) => unknown;
  configExtra?: Record<string, unknown>;
  /** Extra images in manifest.json. */
  more?: readonly { layers: readonly LayerSpec[]; repoTags: string[] }[];
  /** Extra files in the archive. */
  extra?: readonly TarItem[];
}

/** Writes a docker-archive tar and returns its path. */
export async function writeDockerArchive(dir: string, spec: DockerArchiveSpec, name = 'image.tar'): Promise<string> {
  const items: TarItem[] = [];
  const seen = new Set<string>();
  const add = (item: TarItem): void => {
    if (seen.has(item.name)) return;
    seen.add(item.name);
    items.push(item);
  };
  const style = spec.style ?? 'legacy';
  const manifest: unknown[] = [];
  const ociIndex: unknown[] = [];
  const images = [{ layers: spec.layers, repoTags: spec.repoTags ?? ['example/app:1.0'] }, ...(spec.more ?? [])];
  for (const [n, image] of images.entries()) {
    const blobs = image.layers.map(storeLayer);
    const config = imageConfig(
      blobs.map((b) => b.diffId),
      n === 0 ? spec.configExtra : {},
    );
    const configHex = sha256(config).slice(7);
    const layerPaths: string[] = [];
    if (style === 'blobs') {
      add({ name: 'blobs/', type: 'directory' });
      add({ name: 'blobs/sha256/', type: 'directory' });
      for (const b of blobs) {
        const path = `blobs/sha256/${b.digest.slice(7)}`;
        add({ name: path, body: b.stored });
        layerPaths.push(path);
      }
      add({ name: `blobs/sha256/${configHex}`, body: config });
    } else {
      for (const [i, b] of blobs.entries()) {
        const id = sha256(Buffer.from(`${n}-${i}-${b.diffId}`)).slice(7);
        add({ name: `${id}/`, type: 'directory' });
        add({ name: `${id}/VERSION`, body: '1.0' });
        add({ name: `${id}/layer.tar`, body: b.stored });
        layerPaths.push(`${id}/layer.tar`);
      }
      add({ name: `${configHex}.json`, body: config });
    }
    const entry: Record<string, unknown> = {
      Config: style === 'blobs' ? `blobs/sha256/${configHex}` : `${configHex}.json`,
      RepoTags: image.repoTags,
      Layers: layerPaths,
    };
    manifest.push(n === 0 && spec.manifest ? spec.manifest(entry) : entry);
    if (style === 'blobs') {
      // Docker 25+ also writes an OCI manifest and index.json for the same blobs.
      const oci = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
          layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.stored.length })),
        }),
      );
      add({ name: `blobs/sha256/${sha256(oci).slice(7)}`, body: oci });
      const tag = image.repoTags[0];
      ociIndex.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(oci),
        size: oci.length,
        ...(tag
          ? {
              annotations: {
                'io.containerd.image.name': `docker.io/${tag.includes('/') ? '' : 'library/'}${tag}`,
                'org.opencontainers.image.ref.name': tag.slice(tag.lastIndexOf(':') + 1),
              },
            }
          : {}),
      });
    }
  }
  if (style === 'blobs') add({ name: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: ociIndex }) });
  if (style === 'blobs') add({ name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' });
  for (const item of spec.extra ?? []) add(item);
  add({ name: 'manifest.json', body: JSON.stringify(manifest) });
  const path = join(dir, name);
  writeFileSync(path, await tarOf(items));
  return path;
}

export interface OciImageSpec {
  layers: readonly LayerSpec[];
  platform?: { os: string; architecture: string; variant?: string };
  configExtra?: Record<string, unknown>;
  /** Overrides the manifest (e.g. to break it). */
  manifest?: (m: Record<string, unknown>) => unknown;
}

export interface OciLayoutSpec {
  /** One entry per top-level manifest, with its ref.name annotation. */
  images: readonly { tag?: string; image: OciImageSpec | readonly OciImageSpec[] }[];
}

function writeBlob(dir: string, data: Buffer): string {
  const digest = sha256(data);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  return digest;
}

function writeOciImage(dir: string, spec: OciImageSpec): { digest: string; size: number; blobs: StoredBlob[] } {
  const blobs = spec.layers.map(storeLayer);
  for (const b of blobs) writeBlob(dir, b.stored);
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = imageConfig(
    blobs.map((b) => b.diffId),
    { ...platform, ...spec.configExtra },
  );
  const configDigest = writeBlob(dir, config);
  const m: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.stored.length })),
  };
  const manifest = Buffer.from(JSON.stringify(spec.manifest ? spec.manifest(m) : m));
  return { digest: writeBlob(dir, manifest), size: manifest.length, blobs };
}

/** Writes an OCI layout directory. */
export function writeOciLayout(dir: string, spec: OciLayoutSpec): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifests: unknown[] = [];
  for (const entry of spec.images) {
    const annotations = entry.tag ? { 'org.opencontainers.image.ref.name': entry.tag } : undefined;
    if (Array.isArray(entry.image)) {
      const list = (entry.image as readonly OciImageSpec[]).map((img) => {
        const w = writeOciImage(dir, img);
        return {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: w.digest,
          size: w.size,
          platform: img.platform ?? { os: 'linux', architecture: 'amd64' },
        };
      });
      const index = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: list }),
      );
      const digest = writeBlob(dir, index);
      manifests.push({
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest,
        size: index.length,
        ...(annotations ? { annotations } : {}),
      });
    } else {
      const w = writeOciImage(dir, entry.image as OciImageSpec);
      manifests.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: w.digest,
        size: w.size,
        ...(annotations ? { annotations } : {}),
      });
    }
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return dir;
}

/** Packs a directory into a tar file (for oci-archive). */
export async function tarDirectory(dir: string, file: string): Promise<string> {
  const items: TarItem[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const rel = relative(dir, full);
      if (statSync(full).isDirectory()) {
        items.push({ name: `${rel}/`, type: 'directory' });
        walk(full);
      } else {
        items.push({ name: rel, body: readFileSync(full) });
      }
    }
  };
  walk(dir);
  writeFileSync(file, await tarOf(items));
  return file;
}

export interface WalkedEntry extends LayerEntry {
  content?: string;
}

/** Streams every layer of an image through openLayerTar + walkTar, reading the named files. */
export async function walkImage(
  source: ImageSource,
  opts: { read?: (path: string) => boolean; limits?: WalkLimits; diagnostics?: Diagnostics } = {},
): Promise<WalkedEntry[][]> {
  const limits = opts.limits ?? DEFAULT_WALK_LIMITS;
  const diagnostics = opts.diagnostics ?? new Diagnostics();
  const out: WalkedEntry[][] = [];
  for (const [i, layer] of source.layers.entries()) {
    const blob = await source.openLayer(i);
    const tar = openLayerTar(blob, { digest: layer.digest, diffId: layer.diffId }, limits);
    const entries: WalkedEntry[] = [];
    await walkTar(
      tar,
      async (entry, read) => {
        const e: WalkedEntry = { ...entry };
        if (entry.type === 'file' && opts.read?.(entry.path)) e.content = (await read()).toString('utf8');
        entries.push(e);
      },
      { limits, diagnostics, layer: layer.diffId },
    );
    out.push(entries);
  }
  return out;
}
