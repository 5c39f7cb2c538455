/**
 * Images pulled from an OCI distribution registry, as an ImageSource.
 * Opening resolves the reference to one image manifest (choosing the
 * requested platform from an index), fetches and verifies the config, and
 * downloads nothing else: layers are streamed when the runner asks for them.
 */
import type { Readable } from 'node:stream';
import type { ArtifactInfo } from '@palisade/api';
import { throwIfAborted } from '../../../core/abort.js';
import { PalisadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { nullLogger } from '../../../core/logger.js';
import type { ImageLayer, ImageSource } from '../types.js';
import { RegistryClient } from './client.js';
import type { RegistryCredentials } from './docker-config.js';
import { credentialsFromDockerConfig, defaultDockerConfigPath } from './docker-config.js';
import type { FetchFn } from './http.js';
import type { Descriptor, Manifest } from './manifest.js';
import { parseDigest, parseManifest } from './manifest.js';
import type { Platform } from '../platform.js';
import {
  DEFAULT_PLATFORM,
  descriptorPlatform,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  selectPlatform,
} from '../platform.js';
import type { ImageReference } from './reference.js';
import { formatReference, parseReference } from './reference.js';

export { parseReference, formatReference } from './reference.js';
export type { ImageReference } from './reference.js';
export { parsePlatform } from '../platform.js';
export type { Platform } from '../platform.js';
export type { RegistryCredentials } from './docker-config.js';

export interface OpenRegistryImageOptions {
  /** `os/arch[/variant]`; default linux/amd64. */
  platform?: string | undefined;
  /** Speak plain HTTP to this registry (always done for loopback hosts). */
  insecure?: boolean | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** Docker client config with credentials; default ~/.docker/config.json. */
  dockerConfigPath?: string | undefined;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  fetch?: FetchFn | undefined;
  /** Retries for 5xx/429 and reset connections (default 3). */
  retries?: number | undefined;
  retryBaseMs?: number | undefined;
}

/** Largest image config we read. */
export const MAX_CONFIG_BYTES = 4 << 20;
const MAX_INDEX_DEPTH = 4;
/** Index entries that are not runnable images (BuildKit attestations). */
const ATTESTATION_REF_TYPE = 'vnd.docker.reference.type';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function resolveCredentials(
  ref: ImageReference,
  opts: OpenRegistryImageOptions,
  log: Logger,
): Promise<RegistryCredentials | undefined> {
  if (opts.username !== undefined || opts.password !== undefined) {
    if (!opts.username || opts.password === undefined) {
      throw new PalisadeError(
        'E_USAGE',
        'a registry username needs a password and a password needs a username',
      );
    }
    return { username: opts.username, password: opts.password, source: 'options' };
  }
  const creds = await credentialsFromDockerConfig(
    opts.dockerConfigPath ?? defaultDockerConfigPath(),
    ref.domain,
    {
      logger: log,
      signal: opts.signal,
    },
  );
  throwIfAborted(opts.signal);
  if (creds) log.debug({ source: creds.source }, 'using registry credentials');
  return creds;
}

function platformList(manifests: readonly Descriptor[]): string {
  const seen = new Set<string>();
  for (const m of manifests) {
    if (m.annotations?.[ATTESTATION_REF_TYPE]) continue;
    const p = descriptorPlatform(m.platform);
    if (p && !(p.os === 'unknown' && p.architecture === 'unknown')) seen.add(formatPlatform(p));
  }
  return seen.size > 0 ? [...seen].join(', ') : 'none declared';
}

/** Opens `ref` in its registry. Nothing but the manifest(s) and config is downloaded here. */
export async function openRegistryImage(
  ref: string,
  opts: OpenRegistryImageOptions = {},
): Promise<ImageSource> {
  const reference = parseReference(ref);
  const want: Platform = opts.platform ? parsePlatform(opts.platform) : DEFAULT_PLATFORM;
  const log = (opts.logger ?? nullLogger).child({ component: 'registry' });
  const credentials = await resolveCredentials(reference, opts, log);
  const client = new RegistryClient(reference, {
    insecure: opts.insecure,
    credentials,
    fetch: opts.fetch,
    logger: opts.logger,
    signal: opts.signal,
    retries: opts.retries,
    retryBaseMs: opts.retryBaseMs,
  });
  const display = formatReference(reference);

  // The top-level manifest: by digest when pinned (and then verified), else by tag.
  const top = await client.getManifest(reference.digest ?? (reference.tag as string), reference.digest);
  let manifest: Manifest = parseManifest(top.bytes, top.contentType, display);
  let manifestDigest = top.digest;
  for (let depth = 0; manifest.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) {
      throw new PalisadeError(
        'E_MANIFEST',
        `${display}: image indexes nested more than ${MAX_INDEX_DEPTH} deep`,
      );
    }
    const candidates = manifest.manifests.filter((m) => !m.annotations?.[ATTESTATION_REF_TYPE]);
    const chosen = selectPlatform(candidates, (m) => descriptorPlatform(m.platform), want);
    if (!chosen) {
      throw new PalisadeError(
        'E_NOT_FOUND',
        `${display} has no image for platform ${formatPlatform(normalizePlatform(want))}; available: ${platformList(manifest.manifests)}`,
        { hint: 'choose one of the available platforms with --platform' },
      );
    }
    log.debug({ platform: formatPlatform(want), digest: chosen.digest }, 'selected platform manifest');
    const child = await client.getManifest(chosen.digest, chosen.digest, chosen.size);
    manifest = parseManifest(child.bytes, child.contentType, `${display} (${chosen.digest})`);
    manifestDigest = child.digest;
  }

  const configBytes = await client.getBlob(manifest.config.digest, manifest.config.size, MAX_CONFIG_BYTES);
  let config: unknown;
  try {
    config = JSON.parse(configBytes.toString('utf8'));
  } catch {
    throw new PalisadeError('E_MANIFEST', `${display}: image config is not valid JSON`);
  }
  if (!isRecord(config))
    throw new PalisadeError('E_MANIFEST', `${display}: image config is not a JSON object`);
  const rootfs = config['rootfs'];
  const rawDiffIds = isRecord(rootfs) ? rootfs['diff_ids'] : undefined;
  if (!Array.isArray(rawDiffIds) || !rawDiffIds.every((d): d is string => typeof d === 'string')) {
    throw new PalisadeError('E_MANIFEST', `${display}: image config has no rootfs.diff_ids`);
  }
  const diffIds: string[] = rawDiffIds;
  if (diffIds.length !== manifest.layers.length) {
    throw new PalisadeError(
      'E_MANIFEST',
      `${display}: the manifest lists ${manifest.layers.length} layers but the config ${diffIds.length} diff_ids`,
    );
  }
  for (const d of diffIds) parseDigest(d, 'diff_id');

  const layers: ImageLayer[] = manifest.layers.map((l, i) => {
    const layer: ImageLayer = { digest: l.digest, diffId: diffIds[i] as string };
    if (l.size !== undefined) layer.size = l.size;
    if (l.mediaType !== undefined) layer.mediaType = l.mediaType;
    return layer;
  });

  const os = typeof config['os'] === 'string' ? config['os'] : undefined;
  const architecture = typeof config['architecture'] === 'string' ? config['architecture'] : undefined;
  if (opts.platform && os && architecture && top.digest === manifestDigest) {
    const got = normalizePlatform({
      os,
      architecture,
      ...(typeof config['variant'] === 'string' ? { variant: config['variant'] } : {}),
    });
    const w = normalizePlatform(want);
    if (got.os !== w.os || got.architecture !== w.architecture) {
      log.warn(
        { requested: formatPlatform(w), image: formatPlatform(got) },
        `${display} is a single-platform image for ${formatPlatform(got)}; scanning it although ${formatPlatform(w)} was requested`,
      );
    }
  }

  // As Trivy: RepoTags only for references by tag (including the implied latest),
  // RepoDigests with the digest of the manifest the reference resolves to (the index for multi-platform images).
  const info: ArtifactInfo = {
    name: ref,
    type: 'container_image',
    imageId: manifest.config.digest,
    digest: manifestDigest,
    repoTags:
      reference.tag !== undefined && reference.digest === undefined
        ? [`${reference.familiarName}:${reference.tag}`]
        : [],
    repoDigests: [`${reference.familiarName}@${top.digest}`],
    diffIds: [...diffIds],
  };
  if (os) info.os = os;
  if (architecture) info.architecture = architecture;
  if (typeof config['created'] === 'string') info.created = config['created'];

  let closed = false;
  return {
    info,
    layers,
    config,
    async openLayer(index: number, signal?: AbortSignal): Promise<Readable> {
      if (closed) throw new PalisadeError('E_USAGE', `${display}: image source is closed`);
      const layer = layers[index];
      if (!layer)
        throw new PalisadeError('E_USAGE', `${display}: no layer ${index} (the image has ${layers.length})`);
      throwIfAborted(signal);
      return client.openBlob(layer.digest, layer.size, signal);
    },
    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}
