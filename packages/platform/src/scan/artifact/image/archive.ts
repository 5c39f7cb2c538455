/**
 * Opens an image archive file as a TarStore. An archive compressed as a whole
 * (`docker save | gzip`, as Trivy's --input accepts) cannot be read by offset:
 * it is decompressed once into a private temp file, under the layer bounds,
 * and the temp file is removed when the store closes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PalisadeError, wrapError } from '../../../core/errors.js';
import { openDecompressed, sniffCompression } from '../layer.js';
import { walkLimits } from '../limits.js';
import type { LocalImageOptions } from './options.js';
import { readHeadAndClose, TarStore } from './store.js';

async function readHead(path: string, n: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new PalisadeError('E_NOT_FOUND', `cannot open ${path}`, { cause: err });
  }
  return readHeadAndClose(fh, n);
}

export async function openArchiveStore(file: string, opts: LocalImageOptions = {}): Promise<TarStore> {
  const where = opts.name ?? file;
  const signalOpt = opts.signal ? { signal: opts.signal } : {};
  const compression = sniffCompression(await readHead(file, 4));
  if (compression === 'none') return TarStore.open(file, { ...signalOpt, where });

  const dir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'palisade-archive-'));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const tar = join(dir, 'image.tar');
  try {
    const decoded = openDecompressed(createReadStream(file), where, walkLimits(opts.limits), opts.signal);
    await pipeline(decoded, createWriteStream(tar, { mode: 0o600 }), signalOpt);
    return await TarStore.open(tar, { ...signalOpt, where, onClose: cleanup });
  } catch (err) {
    await cleanup();
    throw wrapError(err, 'E_IO', `${where}: cannot decompress the ${compression} image archive`);
  }
}
