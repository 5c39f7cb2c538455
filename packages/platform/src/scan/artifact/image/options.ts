import type { WalkLimits } from '../types.js';

/** Options shared by the local image readers (docker-archive, OCI layout, oci-archive). */
export interface LocalImageOptions {
  /** `os/arch[/variant]` to pick from a multi-platform index; default `linux/<host arch>`. */
  platform?: string;
  /** Most layers accepted in one manifest (default DEFAULT_MAX_LAYERS). */
  maxLayers?: number;
  signal?: AbortSignal;
  /** ArtifactInfo.name; default: the path as given. */
  name?: string;
  /** Bounds for decompressing an archive that was compressed as a whole. */
  limits?: Partial<WalkLimits>;
  /** Where a compressed archive is decompressed to (default: the OS temp dir). */
  tempDir?: string;
}
