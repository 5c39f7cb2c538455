/**
 * Manifests as registries serve them: OCI image index / manifest and Docker
 * v2 manifest list / schema 2 manifest. Parsing validates what the client
 * relies on (digests, sizes, counts) and fails with E_MANIFEST otherwise.
 */
import { PalisadeError } from '../../../core/errors.js';
import { isDigestAlgorithm, parseDigest as parseVerifiableDigest, type ParsedDigest } from '../digest.js';

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** Accept header for manifest requests, most specific first. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest].join(', ');

const INDEX_TYPES = new Set<string>([MT.ociIndex, MT.dockerList]);
const IMAGE_TYPES = new Set<string>([MT.ociManifest, MT.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MT.ociConfig, MT.dockerConfig]);

export const MAX_LAYERS = 1000;
export const MAX_INDEX_ENTRIES = 1000;

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: unknown;
  annotations?: Record<string, string>;
}

export type Manifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/** Any well-formed digest (OCI image-spec descriptor.md), verifiable or not. */
const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** Splits and checks a digest; E_MANIFEST when malformed, E_UNSUPPORTED for unknown algorithms. */
export function parseDigest(digest: string, what = 'digest'): ParsedDigest {
  const m = DIGEST_RE.exec(digest);
  const parsed = m ? parseVerifiableDigest(digest) : undefined;
  if (parsed) return parsed;
  if (m && !isDigestAlgorithm(m[1] as string)) {
    throw new PalisadeError('E_UNSUPPORTED', `unsupported digest algorithm ${m[1]} in ${what}`);
  }
  throw new PalisadeError('E_MANIFEST', `invalid ${what} ${JSON.stringify(digest.slice(0, 200))}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseDescriptor(v: unknown, where: string): Descriptor {
  if (!isRecord(v)) throw new PalisadeError('E_MANIFEST', `${where}: descriptor is not an object`);
  const digest = v['digest'];
  if (typeof digest !== 'string') throw new PalisadeError('E_MANIFEST', `${where}: descriptor has no digest`);
  parseDigest(digest, `${where} digest`);
  const d: Descriptor = { digest };
  const size = v['size'];
  if (size !== undefined) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new PalisadeError('E_MANIFEST', `${where}: invalid size ${JSON.stringify(size)}`);
    }
    d.size = size;
  }
  if (typeof v['mediaType'] === 'string') d.mediaType = v['mediaType'];
  if (v['platform'] !== undefined) d.platform = v['platform'];
  const ann = v['annotations'];
  if (isRecord(ann)) {
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(ann)) if (typeof val === 'string') out[k] = val;
    d.annotations = out;
  }
  return d;
}

/**
 * Parses manifest bytes. The media type comes from the Content-Type header,
 * else the document's `mediaType`, else its shape (`manifests` → index).
 */
export function parseManifest(bytes: Buffer, contentType: string | null, where: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new PalisadeError('E_MANIFEST', `${where}: manifest is not valid JSON`);
  }
  if (!isRecord(doc)) throw new PalisadeError('E_MANIFEST', `${where}: manifest is not a JSON object`);
  const header = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : '';
  let mediaType = [header, declared].find((t) => INDEX_TYPES.has(t) || IMAGE_TYPES.has(t)) ?? '';
  if (
    header === MT.dockerSchema1 ||
    header === MT.dockerSchema1Signed ||
    declared === MT.dockerSchema1 ||
    declared === MT.dockerSchema1Signed ||
    doc['schemaVersion'] === 1
  ) {
    throw new PalisadeError('E_UNSUPPORTED', `${where}: Docker schema 1 manifests are not supported`, {
      hint: 'push the image again with a current Docker or buildah to get a schema 2 / OCI manifest',
    });
  }
  if (!mediaType) {
    if (Array.isArray(doc['manifests'])) mediaType = MT.ociIndex;
    else if (Array.isArray(doc['layers'])) mediaType = MT.ociManifest;
    else {
      throw new PalisadeError(
        'E_UNSUPPORTED',
        `${where}: unsupported manifest media type ${JSON.stringify((header || declared).slice(0, 100))}`,
      );
    }
  }
  if (INDEX_TYPES.has(mediaType)) {
    const list = doc['manifests'];
    if (!Array.isArray(list)) throw new PalisadeError('E_MANIFEST', `${where}: index has no manifests array`);
    if (list.length > MAX_INDEX_ENTRIES) {
      throw new PalisadeError(
        'E_LIMIT',
        `${where}: index lists ${list.length} manifests (limit ${MAX_INDEX_ENTRIES})`,
      );
    }
    return {
      kind: 'index',
      mediaType,
      manifests: list.map((m, i) => parseDescriptor(m, `${where} manifests[${i}]`)),
    };
  }
  const layers = doc['layers'];
  if (!Array.isArray(layers)) throw new PalisadeError('E_MANIFEST', `${where}: manifest has no layers array`);
  if (layers.length > MAX_LAYERS) {
    throw new PalisadeError(
      'E_LIMIT',
      `${where}: manifest has ${layers.length} layers (limit ${MAX_LAYERS})`,
    );
  }
  const config = parseDescriptor(doc['config'], `${where} config`);
  if (config.mediaType !== undefined && !CONFIG_TYPES.has(config.mediaType)) {
    throw new PalisadeError(
      'E_UNSUPPORTED',
      `${where}: not a container image (config media type ${config.mediaType})`,
      { hint: 'only container images can be scanned; this is another kind of OCI artifact' },
    );
  }
  return {
    kind: 'image',
    mediaType,
    config,
    layers: layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`)),
  };
}
