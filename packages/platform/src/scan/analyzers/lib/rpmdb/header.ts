/**
 * RPM header blobs: the per-package record stored in every rpm database
 * backend (BerkeleyDB, NDB, SQLite). Layout (all integers big-endian):
 *
 *   int32 il            number of index entries
 *   int32 dl            size of the data store in bytes
 *   il × { int32 tag, uint32 type, int32 offset, uint32 count }
 *   dl bytes of data    entries point into it with `offset`
 *
 * The first entry of an installed header is usually a region tag
 * (HEADERIMMUTABLE) whose data is a trailer entry; entries after the region
 * ("dribble" entries added at install time) replace region entries with the
 * same tag. We read every entry independently and let the last one win, which
 * gives the same result without trusting the region bookkeeping.
 *
 * Everything is bounds-checked against the blob: a hostile blob yields an
 * error string, never an exception, and never an allocation larger than the
 * blob itself.
 */

export const RPMTAG = {
  HEADERIMMUTABLE: 63,
  HEADERI18NTABLE: 100,
  SIGMD5: 261,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  PROVIDENAME: 1047,
  REQUIRENAME: 1049,
  MODULARITYLABEL: 5096,
} as const;

export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** Element size per type; 0 for the NUL-terminated string types. */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 0, 1, 0, 0] as const;

/** rpm refuses headers with more index entries than this (hdrchkTags). */
export const MAX_INDEX_ENTRIES = 0xffff;
/** rpm ≥ 4.14 refuses data stores larger than this (HEADER_DATA_MAX, 256 MiB; older releases: 16 MiB). */
export const MAX_DATA_LENGTH = 0x0fffffff;

export interface IndexEntry {
  tag: number;
  type: number;
  /** Offset into the data store. */
  offset: number;
  count: number;
  /** Why the entry cannot be read, when it cannot. */
  bad?: string;
}

export type Field<T> = { ok: true; value: T } | { ok: false; error: string };

export class RpmHeader {
  private readonly byTag = new Map<number, IndexEntry>();

  constructor(
    private readonly blob: Buffer,
    /** Byte offset of the data store in blob. */
    private readonly dataStart: number,
    /** Size of the data store. */
    private readonly dataLength: number,
    entries: readonly IndexEntry[],
  ) {
    for (const e of entries) this.byTag.set(e.tag, e);
  }

  has(tag: number): boolean {
    return this.byTag.has(tag);
  }

  private entry(tag: number): IndexEntry | { ok: false; error: string } | undefined {
    const e = this.byTag.get(tag);
    if (e?.bad !== undefined) return { ok: false, error: e.bad };
    return e;
  }

  /** A STRING entry (also accepts I18NSTRING, whose first string is the untranslated one). */
  string(tag: number): Field<string> | undefined {
    const e = this.entry(tag);
    if (!e || 'ok' in e) return e;
    if (e.type !== RPM_TYPE.STRING && e.type !== RPM_TYPE.I18NSTRING) {
      return { ok: false, error: `tag ${tag} has type ${e.type}, expected a string` };
    }
    const strings = this.readStrings(e, 1);
    if (!strings.ok) return strings;
    return { ok: true, value: strings.value[0] ?? '' };
  }

  stringArray(tag: number): Field<string[]> | undefined {
    const e = this.entry(tag);
    if (!e || 'ok' in e) return e;
    if (e.type !== RPM_TYPE.STRING_ARRAY) {
      return { ok: false, error: `tag ${tag} has type ${e.type}, expected a string array` };
    }
    return this.readStrings(e, e.count);
  }

  /** First element of an INT32 entry. */
  int32(tag: number): Field<number> | undefined {
    const e = this.entry(tag);
    if (!e || 'ok' in e) return e;
    if (e.type !== RPM_TYPE.INT32)
      return { ok: false, error: `tag ${tag} has type ${e.type}, expected int32` };
    if (e.count < 1) return { ok: false, error: `tag ${tag} has no elements` };
    const at = this.fixedRange(e);
    if (!at.ok) return at;
    return { ok: true, value: this.blob.readInt32BE(at.value.start) };
  }

  bin(tag: number): Field<Buffer> | undefined {
    const e = this.entry(tag);
    if (!e || 'ok' in e) return e;
    if (e.type !== RPM_TYPE.BIN)
      return { ok: false, error: `tag ${tag} has type ${e.type}, expected binary` };
    const at = this.fixedRange(e);
    if (!at.ok) return at;
    return { ok: true, value: this.blob.subarray(at.value.start, at.value.end) };
  }

  private fixedRange(e: IndexEntry): Field<{ start: number; end: number }> {
    const size = TYPE_SIZE[e.type] ?? 0;
    const length = size * e.count;
    if (e.type === RPM_TYPE.INT16 || e.type === RPM_TYPE.INT32 || e.type === RPM_TYPE.INT64) {
      // rpm requires natural alignment of numeric data within the store.
      if (e.offset % size !== 0) return { ok: false, error: `tag ${e.tag}: misaligned offset ${e.offset}` };
    }
    if (length > this.dataLength - e.offset) {
      return {
        ok: false,
        error: `tag ${e.tag}: ${e.count} elements at offset ${e.offset} overrun the data store`,
      };
    }
    const start = this.dataStart + e.offset;
    return { ok: true, value: { start, end: start + length } };
  }

  /** Reads `count` NUL-terminated strings starting at the entry's offset, within the data store. */
  private readStrings(e: IndexEntry, count: number): Field<string[]> {
    const end = this.dataStart + this.dataLength;
    let pos = this.dataStart + e.offset;
    // Every string takes at least one byte: a count beyond the remaining bytes is a lie,
    // and checking it first keeps a hostile count from driving a long loop.
    if (count > end - pos) {
      return { ok: false, error: `tag ${e.tag}: ${count} strings cannot fit in ${end - pos} bytes` };
    }
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const nul = this.blob.indexOf(0, pos);
      if (nul < 0 || nul >= end) return { ok: false, error: `tag ${e.tag}: unterminated string` };
      out.push(this.blob.toString('utf8', pos, nul));
      pos = nul + 1;
    }
    return { ok: true, value: out };
  }
}

export type HeaderParse = { ok: true; header: RpmHeader } | { ok: false; error: string };

/** Parses the index of a header blob. Data is read lazily by the accessors, each bounds-checked. */
export function parseHeaderBlob(blob: Buffer): HeaderParse {
  if (blob.length < 8) return { ok: false, error: `header blob of ${blob.length} bytes is too short` };
  const il = blob.readInt32BE(0);
  const dl = blob.readInt32BE(4);
  if (il < 1 || il > MAX_INDEX_ENTRIES) return { ok: false, error: `header has a bad index length ${il}` };
  if (dl < 0 || dl > MAX_DATA_LENGTH) return { ok: false, error: `header has a bad data length ${dl}` };
  const dataStart = 8 + il * 16;
  if (dataStart + dl > blob.length) {
    return {
      ok: false,
      error: `header is truncated: ${il} entries and ${dl} data bytes need ${dataStart + dl} bytes, blob has ${blob.length}`,
    };
  }
  const entries: IndexEntry[] = [];
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = blob.readInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    // A bad entry is kept (marked) rather than dropped, so that reading its tag reports the problem.
    let bad: string | undefined;
    if (type > RPM_TYPE.I18NSTRING) bad = `tag ${tag}: unknown type ${type}`;
    else if (offset < 0 || offset >= dl)
      bad = `tag ${tag}: offset ${offset} is outside the ${dl}-byte data store`;
    entries.push(bad === undefined ? { tag, type, offset, count } : { tag, type, offset, count, bad });
  }
  return { ok: true, header: new RpmHeader(blob, dataStart, dl, entries) };
}

/** The fields of an installed package that the scanner uses (`rpm -q --qf` names in comments). */
export interface RpmPackageInfo {
  /** %{NAME} */
  name: string;
  /** %{EPOCH}; undefined when the header has none. */
  epoch?: number;
  /** %{VERSION} */
  version: string;
  /** %{RELEASE} */
  release: string;
  /** %{ARCH}; '' when absent (gpg-pubkey). */
  arch: string;
  /** %{SOURCERPM}; '' when absent or `(none)`. */
  sourceRpm: string;
  /** %{LICENSE}; '' when absent or `(none)`. */
  license: string;
  /** %{VENDOR}; '' when absent or `(none)`. */
  vendor: string;
  /** %{SIGMD5} as lower-case hex; '' when absent. */
  sigmd5: string;
  /** %{MODULARITYLABEL}; '' when absent. */
  modularitylabel: string;
  /** %{PROVIDENAME} */
  provides: string[];
  /** %{REQUIRENAME} */
  requires: string[];
}

export type PackageParse =
  { ok: true; pkg: RpmPackageInfo; warnings: string[] } | { ok: false; error: string };

/** Reads the package fields of one header blob. A missing or unreadable NAME makes the record unusable. */
export function readPackageInfo(blob: Buffer): PackageParse {
  const parsed = parseHeaderBlob(blob);
  if (!parsed.ok) return parsed;
  const h = parsed.header;
  const warnings: string[] = [];

  const name = h.string(RPMTAG.NAME);
  if (!name) return { ok: false, error: 'header has no NAME tag' };
  if (!name.ok) return { ok: false, error: name.error };
  if (name.value === '') return { ok: false, error: 'header has an empty NAME' };

  const str = (tag: number, none: boolean): string => {
    const f = h.string(tag);
    if (!f) return '';
    if (!f.ok) {
      warnings.push(f.error);
      return '';
    }
    return none && f.value === '(none)' ? '' : f.value;
  };
  const arr = (tag: number): string[] => {
    const f = h.stringArray(tag);
    if (!f) return [];
    if (!f.ok) {
      warnings.push(f.error);
      return [];
    }
    return f.value;
  };

  const pkg: RpmPackageInfo = {
    name: name.value,
    version: str(RPMTAG.VERSION, false),
    release: str(RPMTAG.RELEASE, false),
    arch: str(RPMTAG.ARCH, false),
    sourceRpm: str(RPMTAG.SOURCERPM, true),
    license: str(RPMTAG.LICENSE, true),
    vendor: str(RPMTAG.VENDOR, true),
    sigmd5: '',
    modularitylabel: str(RPMTAG.MODULARITYLABEL, false),
    provides: arr(RPMTAG.PROVIDENAME),
    requires: arr(RPMTAG.REQUIRENAME),
  };
  const epoch = h.int32(RPMTAG.EPOCH);
  if (epoch) {
    if (epoch.ok) pkg.epoch = epoch.value;
    else warnings.push(epoch.error);
  }
  const md5 = h.bin(RPMTAG.SIGMD5);
  if (md5) {
    if (md5.ok) pkg.sigmd5 = md5.value.toString('hex');
    else warnings.push(md5.error);
  }
  return { ok: true, pkg, warnings };
}
