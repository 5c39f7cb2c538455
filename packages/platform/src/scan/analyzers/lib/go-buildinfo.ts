/**
 * Go build information embedded in executables, read the way Go's
 * debug/buildinfo reads it: find the `\xff Go buildinf:` header at a 16-byte
 * boundary in the data segment, then either the Go 1.18+ inline form (two
 * varint-length-prefixed strings after the 32-byte header) or the older
 * pointer form (two pointers to Go string headers, resolved through the
 * executable's address map). The module text is parsed as
 * runtime/debug.ParseBuildInfo does.
 */
import type { Executable } from './elf.js';
import { openExecutable } from './elf.js';

export interface GoModule {
  path: string;
  version: string;
  sum: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** The toolchain version string, e.g. `go1.22.3` or `go1.26.0-X:nodwarf5`. */
  goVersion: string;
  /** Package path of the main package (`path` line). */
  path: string;
  /** Main module; path is '' when the binary has none (e.g. the Go toolchain's own commands). */
  main: GoModule;
  deps: GoModule[];
  settings: { key: string; value: string }[];
}

export type BuildInfoResult =
  | { kind: 'ok'; info: GoBuildInfo }
  /** Not ELF, PE or Mach-O. */
  | { kind: 'not-executable' }
  /** An executable without Go build information. */
  | { kind: 'not-go' }
  /** The build information header was found, but what follows is unreadable. */
  | { kind: 'malformed'; message: string };

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ALIGN = 16;
const HEADER_SIZE = 32;
/** Upper bound on one build info string (Go's own are a few KiB). */
const MAX_STRING = 16 * 1024 * 1024;

const FLAGS_ENDIAN_BIG = 0x1;
const FLAGS_VERSION_INLINE = 0x2;

/** Where Go's linker puts the build info: a named section, else the first writable data segment. */
function dataStart(x: Executable): { addr: number; size: number } | undefined {
  switch (x.format) {
    case 'elf': {
      const s = x.section('.go.buildinfo');
      if (s) return { addr: s.addr, size: s.memSize };
      const PT_LOAD = 1;
      const PF_X = 1;
      const PF_W = 2;
      const seg = x.segments.find((p) => p.type === PT_LOAD && (p.flags & (PF_X | PF_W)) === PF_W);
      return seg ? { addr: seg.vaddr, size: seg.memSize } : undefined;
    }
    case 'pe': {
      const INITIALIZED_DATA = 0x40;
      const MEM_READ = 0x40000000;
      const MEM_WRITE = 0x80000000;
      const ALIGN_32 = 0x600000;
      const want = (INITIALIZED_DATA | MEM_READ | MEM_WRITE) >>> 0;
      const s = x.sections.find(
        (sec) => sec.addr !== x.imageBase && sec.memSize !== 0 && (sec.flags & ~ALIGN_32) >>> 0 === want,
      );
      return s ? { addr: s.addr, size: s.memSize } : undefined;
    }
    case 'macho': {
      const s = x.section('__go_buildinfo');
      if (s) return { addr: s.addr, size: s.memSize };
      const RW = 3;
      const seg = x.segments.find(
        (g) => g.vaddr !== 0 && g.fileSize !== 0 && g.flags === RW && g.maxProt === RW,
      );
      return seg ? { addr: seg.vaddr, size: seg.memSize } : undefined;
    }
  }
}

function uvarint(b: Buffer): { value: number; n: number } | undefined {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < b.length && i < 10; i++) {
    const c = b[i]!;
    x += (c & 0x7f) * mul;
    if (c < 0x80) return Number.isSafeInteger(x) ? { value: x, n: i + 1 } : undefined;
    mul *= 128;
  }
  return undefined;
}

/** Reads the raw version and module strings; the module text still carries its 16-byte sentinels. */
export function readRawBuildInfo(
  buf: Buffer,
): { kind: 'raw'; version: string; mod: Buffer } | Exclude<BuildInfoResult, { kind: 'ok' }> {
  const x = openExecutable(buf);
  if (!x) return { kind: 'not-executable' };
  const ds = dataStart(x);
  if (!ds || ds.size === 0) return { kind: 'not-go' };
  const start = Math.ceil(ds.addr / ALIGN) * ALIGN;
  const end = ds.addr + ds.size;
  if (start >= end) return { kind: 'not-go' };
  const data = x.readAddr(start, end - start);
  if (!data) return { kind: 'not-go' };
  let at = -1;
  for (let from = 0; from < data.length;) {
    const i = data.indexOf(MAGIC, from);
    if (i < 0) break;
    if (i % ALIGN === 0) {
      at = i;
      break;
    }
    from = Math.ceil(i / ALIGN) * ALIGN;
  }
  if (at < 0) return { kind: 'not-go' };
  const addr = start + at;
  const header = x.readAddr(addr, HEADER_SIZE);
  if (!header || header.length < HEADER_SIZE) {
    return { kind: 'malformed', message: 'build info header is cut short' };
  }
  const flags = header[15]!;
  let version: string;
  let mod: Buffer;
  if ((flags & FLAGS_VERSION_INLINE) !== 0) {
    const v = decodeString(x, addr + HEADER_SIZE);
    if (typeof v === 'string') return { kind: 'malformed', message: `Go version string: ${v}` };
    const m = decodeString(x, v.next);
    if (typeof m === 'string') return { kind: 'malformed', message: `module information: ${m}` };
    version = v.value.toString('utf8');
    mod = m.value;
  } else {
    const ptrSize = header[14]!;
    if (ptrSize !== 4 && ptrSize !== 8)
      return { kind: 'malformed', message: `pointer size ${ptrSize} is not 4 or 8` };
    const big = (flags & FLAGS_ENDIAN_BIG) !== 0;
    const readPtr = (b: Buffer, off: number): number => {
      if (ptrSize === 4) return big ? b.readUInt32BE(off) : b.readUInt32LE(off);
      const v = big ? b.readBigUInt64BE(off) : b.readBigUInt64LE(off);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
    };
    const empty = Buffer.alloc(0);
    const readString = (ptr: number): Buffer => {
      if (ptr < 0) return empty;
      const hdr = x.readAddr(ptr, 2 * ptrSize);
      if (!hdr || hdr.length < 2 * ptrSize) return empty;
      const dataAddr = readPtr(hdr, 0);
      const len = readPtr(hdr, ptrSize);
      if (dataAddr < 0 || len < 0 || len > MAX_STRING) return empty;
      if (len === 0) return empty;
      const b = x.readAddr(dataAddr, len);
      if (!b || b.length < len) return empty;
      return b;
    };
    version = readString(readPtr(header, 16)).toString('utf8');
    mod = readString(readPtr(header, 16 + ptrSize));
  }
  if (version === '') return { kind: 'not-go' };
  return { kind: 'raw', version, mod };
}

function decodeString(x: Executable, addr: number): { value: Buffer; next: number } | string {
  const b = x.readAddr(addr, 10);
  if (!b || b.length === 0) return 'missing';
  const v = uvarint(b);
  if (!v) return 'bad length';
  if (v.value > MAX_STRING) return `length ${v.value} is too large`;
  const start = addr + v.n;
  const data = v.value === 0 ? Buffer.alloc(0) : x.readAddr(start, v.value);
  if (!data || data.length < v.value) {
    return `${v.value} bytes announced, ${data?.length ?? 0} present`;
  }
  return { value: data, next: start + v.value };
}

/** Reads and parses the build information of a Go executable. */
export function readBuildInfo(buf: Buffer): BuildInfoResult {
  const raw = readRawBuildInfo(buf);
  if (raw.kind !== 'raw') return raw;
  // The module text is framed by 16-byte sentinels; without them there is none.
  const m = raw.mod;
  const mod =
    m.length >= 33 && m[m.length - 17] === 0x0a ? m.subarray(16, m.length - 16).toString('utf8') : '';
  const parsed = parseBuildInfoText(mod);
  if (typeof parsed === 'string') return { kind: 'malformed', message: parsed };
  return { kind: 'ok', info: { ...parsed, goVersion: raw.version } };
}

/**
 * runtime/debug.ParseBuildInfo: `path`, `mod`, `dep`, `=>` (replacement of the
 * module on the previous line) and `build` lines, tab-separated. Returns an
 * error message for malformed text.
 */
export function parseBuildInfoText(data: string): Omit<GoBuildInfo, 'goVersion'> | string {
  const info: Omit<GoBuildInfo, 'goVersion'> = {
    path: '',
    main: { path: '', version: '', sum: '' },
    deps: [],
    settings: [],
  };
  let last: GoModule | undefined;
  let lineNum = 1;
  const moduleLine = (elem: string[]): GoModule | string => {
    if (elem.length !== 2 && elem.length !== 3) return `expected 2 or 3 columns; got ${elem.length}`;
    return { path: elem[0]!, version: elem[1]!, sum: elem[2] ?? '' };
  };
  const fail = (msg: string): string => `could not parse Go build info: line ${lineNum}: ${msg}`;
  let rest = data;
  while (rest.length > 0) {
    const nl = rest.indexOf('\n');
    if (nl < 0) break;
    const line = rest.slice(0, nl);
    rest = rest.slice(nl + 1);
    if (line.startsWith('path\t')) {
      info.path = line.slice(5);
    } else if (line.startsWith('mod\t')) {
      const m = moduleLine(line.slice(4).split('\t'));
      if (typeof m === 'string') return fail(m);
      info.main = m;
      last = info.main;
    } else if (line.startsWith('dep\t')) {
      const m = moduleLine(line.slice(4).split('\t'));
      if (typeof m === 'string') return fail(m);
      info.deps.push(m);
      last = m;
    } else if (line.startsWith('=>\t')) {
      const elem = line.slice(3).split('\t');
      if (elem.length !== 3) return fail(`expected 3 columns for replacement; got ${elem.length}`);
      if (!last) return fail('replacement with no module on previous line');
      last.replace = { path: elem[0]!, version: elem[1]!, sum: elem[2]! };
      last = undefined;
    } else if (line.startsWith('build\t')) {
      const kv = parseBuildSetting(line.slice(6));
      if (typeof kv === 'string') return fail(kv);
      info.settings.push(kv);
    }
    lineNum++;
  }
  return info;
}

function parseBuildSetting(kv: string): { key: string; value: string } | string {
  if (kv.length < 1) return "build line missing '='";
  let key: string;
  let rawValue: string;
  const c = kv[0];
  if (c === '=') return 'build line with missing key';
  if (c === '`' || c === '"') {
    const q = quotedPrefix(kv);
    if (q === undefined) return 'invalid quoted key in build line';
    if (kv.length === q.raw.length) return "build line missing '=' after quoted key";
    if (kv[q.raw.length] !== '=') return 'unexpected character after quoted key';
    key = q.value;
    rawValue = kv.slice(q.raw.length + 1);
  } else {
    const eq = kv.indexOf('=');
    if (eq < 0) return "build line missing '=' after key";
    key = kv.slice(0, eq);
    rawValue = kv.slice(eq + 1);
  }
  let value = rawValue;
  if (rawValue.length > 0 && (rawValue[0] === '`' || rawValue[0] === '"')) {
    const q = quotedPrefix(rawValue);
    if (q === undefined || q.raw.length !== rawValue.length) return 'invalid quoted value in build line';
    value = q.value;
  }
  return { key, value };
}

/** A Go quoted string (interpreted "…" or raw `…`) at the start of s: its raw text and value. */
export function quotedPrefix(s: string): { raw: string; value: string } | undefined {
  const q = s[0];
  if (q === '`') {
    const end = s.indexOf('`', 1);
    if (end < 0) return undefined;
    return { raw: s.slice(0, end + 1), value: s.slice(1, end).replace(/\r/g, '') };
  }
  if (q !== '"') return undefined;
  let out = '';
  let i = 1;
  const bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '"') {
      flush();
      return { raw: s.slice(0, i + 1), value: out };
    }
    if (ch === '\n') return undefined;
    if (ch !== '\\') {
      flush();
      out += ch;
      i++;
      continue;
    }
    const e = s[i + 1];
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      '"': '"',
      "'": "'",
    };
    if (e !== undefined && simple[e] !== undefined) {
      flush();
      out += simple[e];
      i += 2;
    } else if (e === 'x') {
      const h = s.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      bytes.push(Number.parseInt(h, 16));
      i += 4;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const o = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(o) || Number.parseInt(o, 8) > 255) return undefined;
      bytes.push(Number.parseInt(o, 8));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = s.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return undefined;
      const cp = Number.parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return undefined;
      flush();
      out += String.fromCodePoint(cp);
      i += 2 + n;
    } else {
      return undefined;
    }
  }
  return undefined;
}
