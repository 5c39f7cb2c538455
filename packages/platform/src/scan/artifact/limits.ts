/**
 * Bounds for untrusted archives (images are untrusted input). Every bound has
 * a test in this folder. The defaults are generous enough for real images
 * (a layer of a large node_modules tree has a few hundred thousand entries)
 * and small enough that a hostile archive cannot exhaust memory or disk.
 */
import type { WalkLimits } from './types.js';

export const DEFAULT_WALK_LIMITS: Readonly<WalkLimits> = Object.freeze({
  maxEntries: 2_000_000,
  // Large enough for rpm databases, jars and Go binaries analyzers ask for.
  maxFileBytes: 512 * 1024 * 1024,
  maxLayerBytes: 32 * 1024 * 1024 * 1024,
  // gzip cannot exceed ~1032:1; real layers are 2-10:1. Layers that are mostly
  // zeros (a sparse /var/log/lastlog) can reach a few hundred.
  maxCompressionRatio: 1000,
});

/**
 * The compression ratio bound applies only once a layer has produced this many
 * uncompressed bytes, so a tiny layer holding an empty file is not a "bomb".
 */
export const RATIO_MIN_BYTES = 8 * 1024 * 1024;

/** Most layers one image may have (Docker itself stops at 127; OCI sets no bound). */
export const DEFAULT_MAX_LAYERS = 1_000;

/** Largest JSON document (manifest, index, config) read from an image. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Most entries indexed in an image archive (docker-archive, oci-archive). */
export const MAX_ARCHIVE_ENTRIES = 1_000_000;

/** Most symlink/hardlink hops followed inside an image archive when resolving a blob path. */
export const MAX_LINK_HOPS = 16;

/** Deepest nesting of OCI indexes followed. */
export const MAX_INDEX_DEPTH = 4;

/** Returns complete limits from partial ones. */
export function walkLimits(partial: Partial<WalkLimits> = {}): WalkLimits {
  return { ...DEFAULT_WALK_LIMITS, ...partial };
}
