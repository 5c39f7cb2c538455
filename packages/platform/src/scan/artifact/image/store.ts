/**
 * Where an image's files live: a directory (OCI layout) or a tar file read in
 * place through its index (docker-archive, oci-archive). Paths are relative,
 * `/`-separated, and may not leave the store.
 */
import { createReadStream } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import { PalisadeError } from '../../../core/errors.js';
import { TarIndex } from '../tar-index.js';
import { normalizeArchivePath } from '../tar-walk.js';

/** Large reads: with the 64 KiB default a layer costs thousands of thread-pool round trips. */
export const READ_CHUNK = 1024 * 1024;

/** The first `n` bytes of an opened file (fewer when it is shorter); closes the file. */
export async function readHeadAndClose(fh: FileHandle, n: number): Promise<Buffer> {
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface BlobStore {
  /** The host path of the directory or tar file, for messages. */
  readonly where: string;
  /** Size of the regular file at `path`; undefined when there is none. */
  size(path: string): Promise<number | undefined>;
  /** Reads a small file whole; E_NOT_FOUND when missing, E_LIMIT when larger than `max`. */
  read(path: string, max: number): Promise<Buffer>;
  /** Streams a file. */
  open(path: string, signal?: AbortSignal): Promise<Readable>;
  /** Reads up to `n` bytes from the start of a file. */
  head(path: string, n: number): Promise<Buffer>;
  close(): Promise<void>;
}

function cleanPath(store: string, path: string): string {
  const p = normalizeArchivePath(path);
  if (p === undefined) {
    throw new PalisadeError('E_MANIFEST', `${store}: path ${JSON.stringify(path)} leaves the image`);
  }
  if (p === '') throw new PalisadeError('E_MANIFEST', `${store}: empty file path`);
  return p;
}

export class DirectoryStore implements BlobStore {
  private constructor(
    readonly where: string,
    private readonly root: string,
  ) {}

  static async open(dir: string): Promise<DirectoryStore> {
    let root: string;
    try {
      root = await realpath(dir);
    } catch (err) {
      throw new PalisadeError('E_NOT_FOUND', `cannot open ${dir}`, { cause: err });
    }
    return new DirectoryStore(dir, root);
  }

  /** Host path of `path`, refusing anything (a symlink too) that resolves outside the root. */
  private async resolve(path: string): Promise<string | undefined> {
    const full = join(this.root, ...cleanPath(this.where, path).split('/'));
    let real: string;
    try {
      real = await realpath(full);
    } catch {
      return undefined;
    }
    const rel = relative(this.root, real);
    if (rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) {
      throw new PalisadeError('E_MANIFEST', `${this.where}: ${path} resolves outside the layout`);
    }
    return real;
  }

  async size(path: string): Promise<number | undefined> {
    const real = await this.resolve(path);
    if (real === undefined) return undefined;
    const st = await stat(real);
    return st.isFile() ? st.size : undefined;
  }

  private async required(path: string): Promise<string> {
    const real = await this.resolve(path);
    if (real === undefined || !(await stat(real)).isFile()) {
      throw new PalisadeError('E_NOT_FOUND', `${this.where}: ${path} is missing`);
    }
    return real;
  }

  async read(path: string, max: number): Promise<Buffer> {
    const real = await this.required(path);
    const fh = await open(real, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > max) {
        throw new PalisadeError(
          'E_LIMIT',
          `${this.where}: ${path} is ${size} bytes, over the ${max} allowed`,
        );
      }
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async head(path: string, n: number): Promise<Buffer> {
    return readHeadAndClose(await open(await this.required(path), 'r'), n);
  }

  async open(path: string, signal?: AbortSignal): Promise<Readable> {
    const stream = createReadStream(await this.required(path), { highWaterMark: READ_CHUNK });
    return signal ? addAbortSignal(signal, stream) : stream;
  }

  async close(): Promise<void> {
    // Nothing held open.
  }
}

export interface TarStoreOptions {
  signal?: AbortSignal;
  /** Name for messages (default: the file path). */
  where?: string;
  /** Called after the file is closed (e.g. to remove a temp file). */
  onClose?: () => Promise<void>;
}

export class TarStore implements BlobStore {
  private constructor(
    readonly where: string,
    readonly index: TarIndex,
    private readonly onClose: (() => Promise<void>) | undefined,
  ) {}

  static async open(file: string, opts: TarStoreOptions = {}): Promise<TarStore> {
    let index: TarIndex;
    try {
      index = await TarIndex.open(file, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      await opts.onClose?.();
      throw err;
    }
    return new TarStore(opts.where ?? file, index, opts.onClose);
  }

  /** Whether a regular file is at `path`; E_MANIFEST when the path leaves the archive. */
  has(path: string): boolean {
    return this.index.lookup(cleanPath(this.where, path)) !== undefined;
  }

  private required(path: string): ReturnType<TarIndex['lookup']> & object {
    const e = this.index.lookup(cleanPath(this.where, path));
    if (!e) throw new PalisadeError('E_NOT_FOUND', `${this.where}: ${path} is missing from the archive`);
    return e;
  }

  size(path: string): Promise<number | undefined> {
    return Promise.resolve(this.index.lookup(cleanPath(this.where, path))?.size);
  }

  read(path: string, max: number): Promise<Buffer> {
    return this.index.read(this.required(path), max);
  }

  async head(path: string, n: number): Promise<Buffer> {
    const e = this.required(path);
    return this.index.read({ ...e, size: Math.min(n, e.size) }, n);
  }

  open(path: string, signal?: AbortSignal): Promise<Readable> {
    return Promise.resolve(this.index.stream(this.required(path), signal));
  }

  async close(): Promise<void> {
    try {
      await this.index.close();
    } finally {
      await this.onClose?.();
    }
  }
}
