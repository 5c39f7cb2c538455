import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../core/diagnostics.js';
import { PalisadeError } from '../../core/errors.js';
import { walkLimits } from './limits.js';
import { normalizeArchivePath, walkTar, type WalkOptions } from './tar-walk.js';
import { END_OF_ARCHIVE, gnuLongName, padded, rawHeader, tarOf, type TarItem } from './testdata/build.js';
import type { EntryVisitor, LayerEntry } from './types.js';

interface Seen extends LayerEntry {
  content?: string;
}

async function walk(
  tar: Buffer | Readable,
  opts: Partial<WalkOptions> & { readAll?: boolean; visit?: EntryVisitor } = {},
): Promise<{ seen: Seen[]; diagnostics: Diagnostics; stats: Awaited<ReturnType<typeof walkTar>> }> {
  const diagnostics = opts.diagnostics ?? new Diagnostics();
  const seen: Seen[] = [];
  const visit: EntryVisitor =
    opts.visit ??
    (async (entry, read) => {
      const s: Seen = { ...entry };
      if (opts.readAll && entry.type === 'file') s.content = (await read()).toString('utf8');
      seen.push(s);
    });
  const stream = Buffer.isBuffer(tar) ? Readable.from([tar]) : tar;
  const stats = await walkTar(stream, visit, {
    limits: opts.limits ?? walkLimits(),
    diagnostics,
    layer: opts.layer ?? 'sha256:test-layer',
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { seen, diagnostics, stats };
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

describe('normalizeArchivePath', () => {
  it.each([
    ['etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['./etc/passwd', 'etc/passwd'],
    ['././etc//./passwd', 'etc/passwd'],
    ['usr/lib/../bin/sh', 'usr/bin/sh'],
    ['a/b/../../c', 'c'],
    ['etc/', 'etc'],
    ['./', ''],
    ['/', ''],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeArchivePath(input)).toBe(expected);
  });

  it.each(['..', '../etc/passwd', 'a/../../etc/passwd', '/../x', './a/b/../../../x'])(
    'refuses %j, which climbs above the root',
    (input) => {
      expect(normalizeArchivePath(input)).toBeUndefined();
    },
  );
});

describe('walkTar', () => {
  it('reports files, directories and links with their normalized paths and reads bodies on demand', async () => {
    const tar = await tarOf([
      { name: './etc/', type: 'directory' },
      { name: './etc/os-release', body: 'ID=alpine\n' },
      { name: 'usr/bin/tool', body: 'binary', mode: 0o755 },
      { name: 'usr/bin/link', type: 'symlink', linkname: 'tool' },
      { name: 'usr/bin/hard', type: 'link', linkname: './usr/bin/tool' },
    ]);
    const { seen, stats } = await walk(tar, { readAll: true });
    expect(seen).toEqual([
      { path: 'etc', type: 'dir', size: 0, mode: 0o755 },
      { path: 'etc/os-release', type: 'file', size: 10, mode: 0o644, content: 'ID=alpine\n' },
      { path: 'usr/bin/tool', type: 'file', size: 6, mode: 0o755, content: 'binary' },
      { path: 'usr/bin/link', type: 'symlink', size: 0, mode: 0o644, linkTarget: 'tool' },
      { path: 'usr/bin/hard', type: 'hardlink', size: 0, mode: 0o644, linkTarget: 'usr/bin/tool' },
    ]);
    expect(stats).toMatchObject({ entries: 5, visited: 5, filesRead: 2, bytesRead: 16, skipped: 0 });
  });

  it('turns .wh. files into whiteouts and .wh..wh..opq into opaque directories', async () => {
    const tar = await tarOf([
      { name: 'etc/.wh.motd', body: '' },
      { name: 'var/cache/.wh..wh..opq', body: '' },
      { name: '.wh.tmp', body: '' },
      { name: '.wh..wh..opq', body: '' },
      { name: 'x/.wh..wh.plnk', body: '' },
    ]);
    const { seen, stats } = await walk(tar);
    expect(seen.map((e) => [e.type, e.path])).toEqual([
      ['whiteout', 'etc/motd'],
      ['opaque', 'var/cache'],
      ['whiteout', 'tmp'],
      ['opaque', ''],
    ]);
    // AUFS bookkeeping (.wh..wh.plnk) is not a whiteout: skipped, as Docker does.
    expect(stats.skipped).toBe(1);
  });

  it('reads pax long names (tar-stream) and GNU long names (L records)', async () => {
    const long = `usr/lib/${'very-long-directory-name/'.repeat(8)}package.json`;
    const pax = await tarOf([{ name: long, body: '{"name":"pax"}' }]);
    const gnu = Buffer.concat([gnuLongName(long, Buffer.from('{"name":"gnu"}')), END_OF_ARCHIVE]);
    const a = await walk(pax, { readAll: true });
    const b = await walk(gnu, { readAll: true });
    expect(a.seen.map((e) => [e.path, e.content])).toEqual([[long, '{"name":"pax"}']]);
    expect(b.seen.map((e) => [e.path, e.content])).toEqual([[long, '{"name":"gnu"}']]);
  });

  it('skips an entry whose path climbs above the root, with a counted ARCHIVE_PATH_ESCAPE warning', async () => {
    const tar = await tarOf([
      { name: '../../etc/passwd', body: 'root:x:0:0' },
      { name: 'usr/../../etc/shadow', body: 'secret' },
      { name: 'etc/passwd', body: 'real' },
    ]);
    const { seen, diagnostics, stats } = await walk(tar, { readAll: true });
    // The hostile entries do not alias etc/passwd: only the real one is reported.
    expect(seen.map((e) => [e.path, e.content])).toEqual([['etc/passwd', 'real']]);
    expect(diagnostics.countsByCode()).toEqual({ ARCHIVE_PATH_ESCAPE: 2 });
    expect(diagnostics.items[0]?.location).toEqual({ file: '../../etc/passwd', layer: 'sha256:test-layer' });
    expect(stats.skipped).toBe(2);
  });

  it('clips a huge hostile entry name in its diagnostic', async () => {
    const tar = await tarOf([{ name: `../${'a'.repeat(100_000)}`, body: 'x' }]);
    const { diagnostics } = await walk(tar);
    expect(diagnostics.countsByCode()).toEqual({ ARCHIVE_PATH_ESCAPE: 1 });
    expect(diagnostics.items[0]?.message.length).toBeLessThan(400);
    expect(diagnostics.items[0]?.location?.file.length).toBeLessThan(300);
  });

  it('maps an absolute entry path into the root', async () => {
    const tar = await tarOf([{ name: '/etc/passwd', body: 'root:x:0:0' }]);
    const { seen, diagnostics } = await walk(tar, { readAll: true });
    expect(seen.map((e) => [e.path, e.content])).toEqual([['etc/passwd', 'root:x:0:0']]);
    expect(diagnostics.items).toEqual([]);
  });

  it('reports a symlink pointing outside the root without following it', async () => {
    const tar = await tarOf([
      { name: 'etc/evil', type: 'symlink', linkname: '../../../../etc/shadow' },
      { name: 'etc/abs', type: 'symlink', linkname: '/etc/shadow' },
    ]);
    const seen: LayerEntry[] = [];
    const bodies: number[] = [];
    await walk(tar, {
      visit: async (entry, read) => {
        seen.push(entry);
        bodies.push((await read()).length);
      },
    });
    expect(seen).toEqual([
      { path: 'etc/evil', type: 'symlink', size: 0, mode: 0o644, linkTarget: '../../../../etc/shadow' },
      { path: 'etc/abs', type: 'symlink', size: 0, mode: 0o644, linkTarget: '/etc/shadow' },
    ]);
    // read() of a link yields no bytes: the target is never opened.
    expect(bodies).toEqual([0, 0]);
  });

  it('finishes on symlink and hard-link loops (links are never followed)', async () => {
    const tar = await tarOf([
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'a' },
      { name: 'self', type: 'symlink', linkname: 'self' },
      { name: 'h1', type: 'link', linkname: 'h2' },
      { name: 'h2', type: 'link', linkname: 'h1' },
    ]);
    const { seen } = await walk(tar, { readAll: true });
    expect(seen.map((e) => `${e.path}->${e.linkTarget}`)).toEqual([
      'a->b',
      'b->a',
      'self->self',
      'h1->h2',
      'h2->h1',
    ]);
  });

  it('skips a hard link whose target leaves the archive, with ARCHIVE_LINK_ESCAPE', async () => {
    const tar = await tarOf([{ name: 'etc/h', type: 'link', linkname: '../../etc/shadow' }]);
    const { seen, diagnostics } = await walk(tar);
    expect(seen).toEqual([]);
    expect(diagnostics.countsByCode()).toEqual({ ARCHIVE_LINK_ESCAPE: 1 });
  });

  it('fails with E_ARCHIVE_TRUNCATED naming the layer when an entry declares more bytes than the tar has', async () => {
    const tar = Buffer.concat([rawHeader({ name: 'etc/big', size: 100_000 }), Buffer.alloc(1000, 0x61)]);
    const err = await rejection(walk(tar, { readAll: true, layer: 'sha256:lying' }));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(err.message).toContain('sha256:lying');
  });

  it('fails with E_ARCHIVE_TRUNCATED when the tar stops inside a header', async () => {
    const full = await tarOf([{ name: 'a', body: 'x' }]);
    const err = await rejection(walk(full.subarray(0, 700)));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
  });

  it('fails with E_PARSE on a corrupt header', async () => {
    const tar = Buffer.concat([Buffer.alloc(512, 0x41), END_OF_ARCHIVE]);
    const err = await rejection(walk(tar));
    expect(err.code).toBe('E_PARSE');
  });

  it('fails with E_LIMIT naming the layer past maxEntries', async () => {
    const items: TarItem[] = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, body: 'x' }));
    const tar = await tarOf(items);
    await expect(walk(tar, { limits: walkLimits({ maxEntries: 11 }) })).resolves.toBeDefined();
    const err = await rejection(walk(tar, { limits: walkLimits({ maxEntries: 10 }), layer: 'sha256:many' }));
    expect(err.code).toBe('E_LIMIT');
    expect(err.message).toContain('sha256:many');
  });

  it('refuses to buffer a body over maxFileBytes (E_ARCHIVE_SIZE diagnostic) and carries on', async () => {
    const tar = await tarOf([
      { name: 'big', body: Buffer.alloc(2048, 0x62) },
      { name: 'small', body: 'ok' },
    ]);
    const { seen, diagnostics, stats } = await walk(tar, {
      readAll: true,
      limits: walkLimits({ maxFileBytes: 1024 }),
    });
    // The visitor's read() of `big` rejected; the walker skipped it and went on.
    expect(seen.map((e) => [e.path, e.content])).toEqual([['small', 'ok']]);
    expect(diagnostics.countsByCode()).toEqual({ E_ARCHIVE_SIZE: 1 });
    expect(diagnostics.items[0]?.location?.file).toBe('big');
    expect(stats.oversized).toBe(1);
  });

  it('drains bodies nobody reads without buffering them', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x63);
    const tar = await tarOf([
      { name: 'skip-me', body: big },
      { name: 'read-me', body: 'yes' },
    ]);
    const contents: string[] = [];
    const { stats } = await walk(tar, {
      visit: async (entry, read) => {
        if (entry.path === 'read-me') contents.push((await read()).toString());
      },
    });
    expect(contents).toEqual(['yes']);
    expect(stats).toMatchObject({ filesRead: 1, bytesRead: 3 });
  });

  it('stops with E_ABORTED when the signal fires mid-walk', async () => {
    const tar = await tarOf(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, body: 'x' })));
    const ctl = new AbortController();
    let count = 0;
    const err = await rejection(
      walk(tar, {
        signal: ctl.signal,
        visit: () => {
          if (++count === 5) ctl.abort();
        },
      }),
    );
    expect(err.code).toBe('E_ABORTED');
    expect(count).toBeLessThan(50);
  });

  it('stops with E_ABORTED when the signal has already fired', async () => {
    const tar = await tarOf([{ name: 'a', body: 'x' }]);
    const ctl = new AbortController();
    ctl.abort();
    const err = await rejection(walk(tar, { signal: ctl.signal }));
    expect(err.code).toBe('E_ABORTED');
  });

  it('passes a visitor error through unchanged', async () => {
    const tar = await tarOf([{ name: 'a', body: 'x' }]);
    const boom = new PalisadeError('E_INTERNAL', 'visitor broke');
    await expect(
      walk(tar, {
        visit: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
  });

  it('passes an error of the input stream through (e.g. a digest mismatch at its end)', async () => {
    const tar = await tarOf([{ name: 'a', body: 'x' }]);
    const failing = new Readable({
      read() {
        this.push(tar.subarray(0, 512));
        this.destroy(new PalisadeError('E_DIGEST_MISMATCH', 'layer sha256:x: mismatch'));
      },
    });
    const err = await rejection(walk(failing));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
  });

  it('accepts a body exactly maxFileBytes long', async () => {
    const tar = await tarOf([{ name: 'edge', body: Buffer.alloc(1024, 0x64) }]);
    const { seen } = await walk(tar, { readAll: true, limits: walkLimits({ maxFileBytes: 1024 }) });
    expect(seen[0]?.content?.length).toBe(1024);
  });

  it('handles a raw tar with padding after the body and no end-of-archive blocks', async () => {
    const tar = Buffer.concat([rawHeader({ name: 'x', size: 3 }), padded(Buffer.from('abc'))]);
    const { seen } = await walk(tar, { readAll: true });
    expect(seen.map((e) => e.content)).toEqual(['abc']);
  });
});
