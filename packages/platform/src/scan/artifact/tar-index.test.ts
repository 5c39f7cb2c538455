import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { TarIndex } from './tar-index.js';
import { END_OF_ARCHIVE, gnuLongName, rawHeader, tarOf, tempDir } from './testdata/build.js';

const open: TarIndex[] = [];
afterEach(async () => {
  for (const i of open.splice(0)) await i.close();
});

async function indexOf(tar: Buffer, opts: { maxEntries?: number } = {}): Promise<TarIndex> {
  const file = join(tempDir(), 'a.tar');
  writeFileSync(file, tar);
  const index = await TarIndex.open(file, opts);
  open.push(index);
  return index;
}

async function rejection(p: Promise<unknown>): Promise<PalisadeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    return err as PalisadeError;
  }
  throw new Error('expected a rejection');
}

async function text(index: TarIndex, path: string): Promise<string | undefined> {
  const e = index.lookup(path);
  if (!e) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of index.stream(e)) chunks.push(c as Buffer);
  const streamed = Buffer.concat(chunks);
  // Both ways of reading agree.
  expect(streamed.equals(await index.read(e, 1 << 20))).toBe(true);
  return streamed.toString();
}

describe('TarIndex', () => {
  it('indexes entries by offset and reads bodies in place', async () => {
    const long = `blobs/sha256/${'d'.repeat(64)}/${'x'.repeat(120)}`;
    const index = await indexOf(
      await tarOf([
        { name: 'manifest.json', body: '[{"Config":"c.json"}]' },
        { name: 'dir/', type: 'directory' },
        { name: 'dir/empty', body: '' },
        { name: 'dir/big', body: Buffer.alloc(5000, 0x61) },
        { name: long, body: 'long name via pax' },
      ]),
    );
    expect([...index.entries.keys()]).toEqual(['manifest.json', 'dir', 'dir/empty', 'dir/big', long]);
    expect(await text(index, 'manifest.json')).toBe('[{"Config":"c.json"}]');
    expect(await text(index, './dir/empty')).toBe('');
    expect(await text(index, 'dir/big')).toBe('a'.repeat(5000));
    expect(await text(index, long)).toBe('long name via pax');
    expect(index.lookup('dir')).toBeUndefined(); // not a regular file
    expect(index.lookup('missing')).toBeUndefined();
  });

  it('reads GNU long names', async () => {
    const long = `${'n'.repeat(150)}/layer.tar`;
    const index = await indexOf(Buffer.concat([gnuLongName(long, Buffer.from('gnu body')), END_OF_ARCHIVE]));
    expect(await text(index, long)).toBe('gnu body');
  });

  it('follows symlinks and hard links inside the archive (Docker 25 points <id>/layer.tar at blobs/)', async () => {
    const index = await indexOf(
      await tarOf([
        { name: 'blobs/sha256/abc', body: 'layer bytes' },
        { name: 'id1/layer.tar', type: 'symlink', linkname: '../blobs/sha256/abc' },
        { name: 'id2/layer.tar', type: 'link', linkname: 'blobs/sha256/abc' },
        { name: 'abs', type: 'symlink', linkname: '/blobs/sha256/abc' },
      ]),
    );
    expect(await text(index, 'id1/layer.tar')).toBe('layer bytes');
    expect(await text(index, 'id2/layer.tar')).toBe('layer bytes');
    expect(await text(index, 'abs')).toBe('layer bytes');
  });

  it('gives up on link loops and links leaving the archive', async () => {
    const index = await indexOf(
      await tarOf([
        { name: 'a', type: 'symlink', linkname: 'b' },
        { name: 'b', type: 'symlink', linkname: 'a' },
        { name: 'h', type: 'link', linkname: 'h' },
        { name: 'out', type: 'symlink', linkname: '../../etc/passwd' },
      ]),
    );
    expect(index.lookup('a')).toBeUndefined();
    expect(index.lookup('h')).toBeUndefined();
    expect(index.lookup('out')).toBeUndefined();
  });

  it('does not index entries that climb above the root', async () => {
    const index = await indexOf(await tarOf([{ name: '../escape', body: 'x' }]));
    expect(index.entries.size).toBe(0);
  });

  it('fails with E_ARCHIVE_TRUNCATED naming the file when a body runs past the end', async () => {
    const tar = Buffer.concat([rawHeader({ name: 'blob', size: 10_000 }), Buffer.alloc(512)]);
    const err = await rejection(indexOf(tar));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(err.message).toMatch(/a\.tar: blob extends past the end/);
  });

  it('fails with E_ARCHIVE_TRUNCATED when the file stops inside a header', async () => {
    const tar = await tarOf([{ name: 'a', body: 'x' }]);
    const err = await rejection(indexOf(Buffer.concat([tar.subarray(0, 1024), Buffer.alloc(100, 1)])));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
  });

  it('fails with E_PARSE on a header with a bad checksum', async () => {
    const h = rawHeader({ name: 'a', size: 0 });
    h[0] = 0x62; // changes the name, not the checksum
    const err = await rejection(indexOf(Buffer.concat([h, END_OF_ARCHIVE])));
    expect(err.code).toBe('E_PARSE');
  });

  it('fails with E_LIMIT past maxEntries', async () => {
    const tar = await tarOf(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, body: 'x' })));
    const err = await rejection(indexOf(tar, { maxEntries: 4 }));
    expect(err.code).toBe('E_LIMIT');
  });

  it('fails with E_NOT_FOUND for a missing file', async () => {
    const err = await rejection(TarIndex.open(join(tempDir(), 'nope.tar')));
    expect(err.code).toBe('E_NOT_FOUND');
  });
});
