/**
 * The artifact stage (Trivy: fanal artifact). It turns a user's target into
 * a sequence of layers, each a tar stream of a root file system change set.
 * Nothing is extracted to disk: the runner streams each layer once through
 * walkTar() and keeps only the files analyzers asked for.
 */
import type { Readable } from 'node:stream';
import type { ArtifactInfo } from '@palisade/api';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque' | 'other';

export interface LayerEntry {
  /**
   * Normalized path relative to the root, `/`-separated, no leading slash, no `.`/`..` segments.
   * For `whiteout` it is the path the whiteout removes; for `opaque`, the directory whose lower contents are hidden.
   */
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  /**
   * For symlink: the link target as stored (never resolved or followed).
   * For hardlink: the archive path it links to, normalized like `path`.
   */
  linkTarget?: string;
}

/**
 * Called for every entry. For `file` entries `read()` returns the body, bounded by
 * the walker's maxFileBytes; it must be awaited before the visitor returns,
 * or not called at all (the body is then skipped without buffering).
 */
export type EntryVisitor = (entry: LayerEntry, read: () => Promise<Buffer>) => void | Promise<void>;

export interface WalkLimits {
  /** Maximum number of entries in one layer. */
  maxEntries: number;
  /** Largest body read() will buffer. */
  maxFileBytes: number;
  /** Maximum total uncompressed bytes of one layer. */
  maxLayerBytes: number;
  /** Maximum ratio of uncompressed to compressed bytes (gzip/zstd bombs). */
  maxCompressionRatio: number;
}

export interface ImageLayer {
  /** Digest of the blob as stored (compressed for registries and OCI layouts). */
  digest: string;
  /** Digest of the uncompressed tar (config rootfs.diff_ids). */
  diffId: string;
  /** Size of the stored blob, when the manifest says. */
  size?: number;
  mediaType?: string;
}

export interface ImageSource {
  readonly info: ArtifactInfo;
  readonly layers: readonly ImageLayer[];
  /** The image configuration (OCI image config JSON). */
  readonly config: Record<string, unknown>;
  /**
   * Opens a layer blob as stored (possibly compressed). The stream fails with
   * E_DIGEST_MISMATCH at its end when the bytes do not match `digest`.
   */
  openLayer(index: number, signal?: AbortSignal): Promise<Readable>;
  close(): Promise<void>;
}
