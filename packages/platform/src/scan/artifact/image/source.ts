/**
 * An ImageSource over a BlobStore: the layer blobs are files of a directory
 * or entries of a tar read in place.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type { ArtifactInfo } from '@palisade/api';
import { PalisadeError } from '../../../core/errors.js';
import { digestVerifier } from '../digest.js';
import type { ImageLayer, ImageSource } from '../types.js';
import type { BlobStore } from './store.js';

export interface StoredLayer extends ImageLayer {
  /** Path of the blob in the store. */
  path: string;
  /** False when `digest` is not a digest of the stored bytes and so cannot be checked by openLayer. */
  verifiable: boolean;
}

export class LocalImageSource implements ImageSource {
  readonly layers: readonly ImageLayer[];

  constructor(
    readonly info: ArtifactInfo,
    private readonly stored: readonly StoredLayer[],
    readonly config: Record<string, unknown>,
    private readonly store: BlobStore,
  ) {
    this.layers = stored.map((l) => {
      const layer: ImageLayer = { digest: l.digest, diffId: l.diffId };
      if (l.size !== undefined) layer.size = l.size;
      if (l.mediaType !== undefined) layer.mediaType = l.mediaType;
      return layer;
    });
  }

  async openLayer(index: number, signal?: AbortSignal): Promise<Readable> {
    const layer = this.stored[index];
    if (!layer)
      throw new PalisadeError('E_INTERNAL', `layer ${index} out of range (${this.stored.length} layers)`);
    const blob = await this.store.open(layer.path, signal);
    if (!layer.verifiable) return blob;
    const verifier = digestVerifier(layer.digest, `${this.store.where}: ${layer.path}`);
    return pipeline(blob, verifier, () => undefined);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * Checks that every layer blob is present with the size the manifest gives,
 * so a broken image fails when opened, naming the file.
 */
export async function checkLayerBlobs(store: BlobStore, layers: readonly StoredLayer[]): Promise<void> {
  for (const [i, layer] of layers.entries()) {
    const size = await store.size(layer.path);
    if (size === undefined) {
      throw new PalisadeError(
        'E_NOT_FOUND',
        `${store.where}: blob ${layer.path} of layer ${i + 1} (${layer.digest}) is missing`,
      );
    }
    if (layer.size !== undefined && size !== layer.size) {
      if (size < layer.size) {
        throw new PalisadeError(
          'E_ARCHIVE_TRUNCATED',
          `${store.where}: blob ${layer.path} is ${size} bytes, the manifest says ${layer.size} (truncated blob)`,
        );
      }
      throw new PalisadeError(
        'E_MANIFEST',
        `${store.where}: blob ${layer.path} is ${size} bytes, the manifest says ${layer.size}`,
      );
    }
  }
}
