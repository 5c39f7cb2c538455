/**
 * A small, bounds-checked reader for executable files: ELF, and the PE and
 * Mach-O equivalents (the Go and Rust binary analyzers need the same three
 * things from each: named sections, the address map of the loaded segments,
 * and ELF's symbol table). It never throws for malformed input: open()
 * returns undefined for what is not an executable, and a table that points
 * outside the file is dropped (`truncated` is set) so what can be read still is.
 */

import type { Analyzer } from '../types.js';

/**
 * What the Go and Rust binary analyzers have in common: installed software
 * (images and root file systems, as Trivy), one file at a time, up to 512 MiB,
 * offered every file with an execute bit and room for a header.
 */
export const executableAnalyzerBase = {
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 512 * 1024 * 1024,
  required: (_path, info) => (info.mode & 0o111) !== 0 && info.size >= 64,
} as const satisfies Partial<Analyzer>;

export type ExecutableFormat = 'elf' | 'pe' | 'macho';

export interface ExeSection {
  name: string;
  /** Virtual address (PE: including the image base). */
  addr: number;
  /** Offset of the section's bytes in the file (-1 when it has none, e.g. .bss). */
  offset: number;
  /** Bytes present in the file. */
  size: number;
  /** Size in memory (PE VirtualSize; equals size elsewhere). */
  memSize: number;
  /** ELF sh_type / sh_flags; PE Characteristics; Mach-O flags. */
  type: number;
  flags: number;
  /** Mach-O segment name. */
  segment?: string;
}

export interface ExeSegment {
  name?: string;
  vaddr: number;
  offset: number;
  fileSize: number;
  memSize: number;
  /** ELF p_type (PT_LOAD = 1). */
  type: number;
  /** ELF p_flags (X=1, W=2, R=4); Mach-O initprot; PE: unused. */
  flags: number;
  /** Mach-O maxprot. */
  maxProt?: number;
}

export interface ExeSymbol {
  name: string;
  value: number;
  size: number;
  section: number;
}

export interface Executable {
  format: ExecutableFormat;
  littleEndian: boolean;
  /** Pointer size in bytes (4 or 8). */
  ptrSize: number;
  sections: ExeSection[];
  /** Address map: ELF program headers, PE sections, Mach-O segments. */
  segments: ExeSegment[];
  /** Set when a header table pointed past the end of the file and was dropped or cut. */
  truncated: boolean;
  /** PE image base (0 for the others). */
  imageBase: number;
  /**
   * Bytes mapped at a virtual address: at most `size`, fewer at the end of the
   * segment that holds `addr`; undefined when no segment maps it.
   */
  readAddr(addr: number, size: number): Buffer | undefined;
  section(name: string): ExeSection | undefined;
  /** The file bytes of a section (undefined when it has none). */
  sectionData(s: ExeSection): Buffer | undefined;
  /** ELF .symtab symbols (empty for stripped binaries and other formats). */
  symbols(): ExeSymbol[];
}

const MAX_TABLE_ENTRIES = 65_536;

/** First bytes that identify an executable this module can open. */
export function looksExecutable(buf: Buffer): boolean {
  return detectFormat(buf) !== undefined;
}

function detectFormat(buf: Buffer): ExecutableFormat | 'fat' | undefined {
  if (buf.length < 16) return undefined;
  if (buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46) return 'elf';
  if (buf[0] === 0x4d && buf[1] === 0x5a) return 'pe';
  const be = buf.readUInt32BE(0);
  if (be === 0xfeedface || be === 0xfeedfacf) return 'macho';
  const le = buf.readUInt32LE(0);
  if (le === 0xfeedface || le === 0xfeedfacf) return 'macho';
  if (be === 0xcafebabe || be === 0xcafebabf) return 'fat';
  return undefined;
}

/** Opens an executable; undefined when the bytes are not ELF, PE or Mach-O (or the header is unreadable). */
export function openExecutable(buf: Buffer): Executable | undefined {
  const fmt = detectFormat(buf);
  try {
    switch (fmt) {
      case 'elf':
        return openElf(buf);
      case 'pe':
        return openPe(buf);
      case 'macho':
        return openMachO(buf);
      case 'fat':
        return openFat(buf);
      default:
        return undefined;
    }
  } catch (err) {
    // Reads are bounds-checked below; a RangeError here means a header field we
    // did not validate. Treat as "not an executable we can read".
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

/** Reads little/big-endian integers with bounds checks; out of range reads return undefined. */
class Reader {
  constructor(
    readonly buf: Buffer,
    readonly le: boolean,
  ) {}
  inRange(off: number, n: number): boolean {
    return Number.isSafeInteger(off) && off >= 0 && n >= 0 && off + n <= this.buf.length;
  }
  u8(off: number): number | undefined {
    return this.inRange(off, 1) ? this.buf[off] : undefined;
  }
  u16(off: number): number | undefined {
    if (!this.inRange(off, 2)) return undefined;
    return this.le ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off);
  }
  u32(off: number): number | undefined {
    if (!this.inRange(off, 4)) return undefined;
    return this.le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off);
  }
  /** 64-bit value as a number; values above 2^53 become NaN (treated as invalid by callers). */
  u64(off: number): number | undefined {
    if (!this.inRange(off, 8)) return undefined;
    const v = this.le ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.NaN : Number(v);
  }
  word(off: number, is64: boolean): number | undefined {
    return is64 ? this.u64(off) : this.u32(off);
  }
  cstring(off: number, max = 4096): string {
    if (!this.inRange(off, 0)) return '';
    const end = Math.min(this.buf.length, off + max);
    let i = off;
    while (i < end && this.buf[i] !== 0) i++;
    return this.buf.toString('latin1', off, i);
  }
}

function finite(...n: (number | undefined)[]): boolean {
  return n.every((x) => x !== undefined && Number.isFinite(x));
}

function makeExecutable(
  base: Omit<Executable, 'readAddr' | 'section' | 'sectionData' | 'symbols'>,
  buf: Buffer,
  symbols: () => ExeSymbol[] = () => [],
): Executable {
  return {
    ...base,
    readAddr(addr: number, size: number): Buffer | undefined {
      for (const seg of base.segments) {
        if (seg.fileSize <= 0 || seg.name === '__PAGEZERO') continue;
        if (seg.vaddr <= addr && addr <= seg.vaddr + seg.fileSize - 1) {
          const start = seg.offset + (addr - seg.vaddr);
          const remaining = seg.vaddr + seg.fileSize - addr;
          const n = Math.max(0, Math.min(size, remaining, buf.length - start));
          if (start < 0 || start > buf.length) return Buffer.alloc(0);
          return buf.subarray(start, start + n);
        }
      }
      return undefined;
    },
    section(name: string): ExeSection | undefined {
      return base.sections.find((s) => s.name === name);
    },
    sectionData(s: ExeSection): Buffer | undefined {
      if (s.offset < 0 || s.offset > buf.length) return undefined;
      return buf.subarray(s.offset, Math.min(buf.length, s.offset + s.size));
    },
    symbols,
  };
}

// ---------------------------------------------------------------- ELF

const SHT_NOBITS = 8;
const SHT_SYMTAB = 2;

function openElf(buf: Buffer): Executable | undefined {
  const cls = buf[4];
  const data = buf[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const is64 = cls === 2;
  const r = new Reader(buf, data === 1);
  const phoff = r.word(is64 ? 0x20 : 0x1c, is64);
  const shoff = r.word(is64 ? 0x28 : 0x20, is64);
  const phentsize = r.u16(is64 ? 0x36 : 0x2a);
  let phnum = r.u16(is64 ? 0x38 : 0x2c);
  const shentsize = r.u16(is64 ? 0x3a : 0x2e);
  let shnum = r.u16(is64 ? 0x3c : 0x30);
  let shstrndx = r.u16(is64 ? 0x3e : 0x32);
  if (!finite(phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx)) return undefined;
  let truncated = false;

  const segments: ExeSegment[] = [];
  const phSize = is64 ? 56 : 32;
  if (phoff! > 0 && phnum! > 0) {
    if (phentsize! < phSize) return undefined;
    phnum = Math.min(phnum!, MAX_TABLE_ENTRIES);
    for (let i = 0; i < phnum; i++) {
      const o = phoff! + i * phentsize!;
      if (!r.inRange(o, phSize)) {
        truncated = true;
        break;
      }
      const seg = is64
        ? {
            type: r.u32(o)!,
            flags: r.u32(o + 4)!,
            offset: r.u64(o + 8)!,
            vaddr: r.u64(o + 16)!,
            fileSize: r.u64(o + 32)!,
            memSize: r.u64(o + 40)!,
          }
        : {
            type: r.u32(o)!,
            offset: r.u32(o + 4)!,
            vaddr: r.u32(o + 8)!,
            fileSize: r.u32(o + 16)!,
            memSize: r.u32(o + 20)!,
            flags: r.u32(o + 24)!,
          };
      if (!finite(seg.offset, seg.vaddr, seg.fileSize, seg.memSize)) continue;
      segments.push(seg);
    }
  }

  const sections: ExeSection[] = [];
  const shSize = is64 ? 64 : 40;
  if (shoff! > 0 && shentsize! >= shSize) {
    // Extended numbering: the real counts live in section 0.
    if (shnum === 0 || shstrndx === 0xffff) {
      const s0 = shoff!;
      if (r.inRange(s0, shSize)) {
        if (shnum === 0) shnum = r.word(s0 + (is64 ? 32 : 20), is64) ?? 0;
        if (shstrndx === 0xffff) shstrndx = r.u32(s0 + (is64 ? 44 : 28)) ?? 0;
      }
    }
    shnum = Math.min(shnum!, MAX_TABLE_ENTRIES);
    const raw: { nameOff: number; s: ExeSection; link: number; entsize: number }[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff! + i * shentsize!;
      if (!r.inRange(o, shSize)) {
        truncated = true;
        break;
      }
      const nameOff = r.u32(o)!;
      const type = r.u32(o + 4)!;
      const flags = is64 ? r.u64(o + 8)! : r.u32(o + 8)!;
      const addr = is64 ? r.u64(o + 16)! : r.u32(o + 12)!;
      const offset = is64 ? r.u64(o + 24)! : r.u32(o + 16)!;
      const size = is64 ? r.u64(o + 32)! : r.u32(o + 20)!;
      const link = r.u32(o + (is64 ? 40 : 24))!;
      const entsize = is64 ? r.u64(o + 56)! : r.u32(o + 36)!;
      if (!finite(flags, addr, offset, size, entsize)) continue;
      const inFile = type !== SHT_NOBITS;
      if (inFile && offset + size > buf.length) truncated = true;
      raw.push({
        nameOff,
        link,
        entsize,
        s: {
          name: '',
          addr,
          offset: inFile ? offset : -1,
          size: inFile ? size : 0,
          memSize: size,
          type,
          flags,
        },
      });
    }
    const strtab = raw[shstrndx!];
    for (const x of raw) {
      if (strtab && strtab.s.offset >= 0) x.s.name = r.cstring(strtab.s.offset + x.nameOff, 256);
      sections.push(x.s);
    }
    const symbols = (): ExeSymbol[] => readElfSymbols(r, is64, raw);
    return makeExecutable(
      {
        format: 'elf',
        littleEndian: r.le,
        ptrSize: is64 ? 8 : 4,
        sections,
        segments,
        truncated,
        imageBase: 0,
      },
      buf,
      symbols,
    );
  }
  if (shoff! > 0) truncated = true;
  return makeExecutable(
    { format: 'elf', littleEndian: r.le, ptrSize: is64 ? 8 : 4, sections, segments, truncated, imageBase: 0 },
    buf,
  );
}

const MAX_SYMBOLS = 2_000_000;

function readElfSymbols(
  r: Reader,
  is64: boolean,
  raw: { s: ExeSection; link: number; entsize: number }[],
): ExeSymbol[] {
  const tab = raw.find((x) => x.s.type === SHT_SYMTAB);
  if (!tab || tab.s.offset < 0) return [];
  const str = raw[tab.link];
  if (!str || str.s.offset < 0) return [];
  const entSize = is64 ? 24 : 16;
  const count = Math.min(Math.floor(tab.s.size / entSize), MAX_SYMBOLS);
  const out: ExeSymbol[] = [];
  // Symbol 0 is the null symbol.
  for (let i = 1; i < count; i++) {
    const o = tab.s.offset + i * entSize;
    if (!r.inRange(o, entSize)) break;
    const nameOff = r.u32(o)!;
    const value = is64 ? r.u64(o + 8)! : r.u32(o + 4)!;
    const size = is64 ? r.u64(o + 16)! : r.u32(o + 8)!;
    const section = is64 ? r.u16(o + 6)! : r.u16(o + 14)!;
    if (nameOff >= str.s.size || !finite(value, size)) continue;
    out.push({ name: r.cstring(str.s.offset + nameOff, 1024), value, size, section });
  }
  return out;
}

// ---------------------------------------------------------------- PE

function openPe(buf: Buffer): Executable | undefined {
  const r = new Reader(buf, true);
  const peOff = r.u32(0x3c);
  if (peOff === undefined || !r.inRange(peOff, 24) || buf.toString('latin1', peOff, peOff + 4) !== 'PE\0\0') {
    return undefined;
  }
  const coff = peOff + 4;
  const nsect = Math.min(r.u16(coff + 2)!, MAX_TABLE_ENTRIES);
  const symPtr = r.u32(coff + 8)!;
  const nsyms = r.u32(coff + 12)!;
  const optSize = r.u16(coff + 16)!;
  const opt = coff + 20;
  const magic = r.u16(opt);
  let imageBase = 0;
  let ptrSize = 4;
  if (magic === 0x10b) imageBase = r.u32(opt + 28) ?? 0;
  else if (magic === 0x20b) {
    imageBase = r.u64(opt + 24) ?? 0;
    ptrSize = 8;
  } else if (optSize !== 0) return undefined;
  if (!Number.isFinite(imageBase)) return undefined;
  const strTable = symPtr > 0 ? symPtr + nsyms * 18 : -1;
  const sections: ExeSection[] = [];
  const segments: ExeSegment[] = [];
  let truncated = false;
  for (let i = 0; i < nsect; i++) {
    const o = opt + optSize + i * 40;
    if (!r.inRange(o, 40)) {
      truncated = true;
      break;
    }
    let name = r.cstring(o, 8);
    // Long names are "/<decimal offset>" into the COFF string table.
    if (name.startsWith('/') && strTable >= 0) {
      const n = Number.parseInt(name.slice(1), 10);
      if (Number.isFinite(n)) name = r.cstring(strTable + n, 256);
    }
    const virtualSize = r.u32(o + 8)!;
    const virtualAddress = r.u32(o + 12)!;
    const rawSize = r.u32(o + 16)!;
    const rawPtr = r.u32(o + 20)!;
    const characteristics = r.u32(o + 36)!;
    if (rawPtr + rawSize > buf.length) truncated = true;
    sections.push({
      name,
      addr: imageBase + virtualAddress,
      offset: rawSize > 0 ? rawPtr : -1,
      size: rawSize,
      memSize: virtualSize,
      type: characteristics,
      flags: characteristics,
    });
    segments.push({
      name,
      vaddr: imageBase + virtualAddress,
      offset: rawPtr,
      fileSize: rawSize,
      memSize: virtualSize,
      type: 0,
      flags: characteristics,
    });
  }
  return makeExecutable(
    { format: 'pe', littleEndian: true, ptrSize, sections, segments, truncated, imageBase },
    buf,
  );
}

// ---------------------------------------------------------------- Mach-O

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;

function openMachO(buf: Buffer): Executable | undefined {
  const le = buf.readUInt32LE(0) === 0xfeedface || buf.readUInt32LE(0) === 0xfeedfacf;
  const r = new Reader(buf, le);
  const magic = r.u32(0)!;
  const is64 = magic === 0xfeedfacf;
  const ncmds = Math.min(r.u32(16)!, MAX_TABLE_ENTRIES);
  const sizeofcmds = r.u32(20)!;
  let off = is64 ? 32 : 28;
  const end = off + sizeofcmds;
  const sections: ExeSection[] = [];
  const segments: ExeSegment[] = [];
  let truncated = end > buf.length;
  for (let i = 0; i < ncmds; i++) {
    const cmd = r.u32(off);
    const cmdsize = r.u32(off + 4);
    if (cmd === undefined || cmdsize === undefined || cmdsize < 8 || off + cmdsize > buf.length) {
      truncated = true;
      break;
    }
    if (cmd === LC_SEGMENT_64 || cmd === LC_SEGMENT) {
      const w = cmd === LC_SEGMENT_64;
      const segname = r.cstring(off + 8, 16);
      const vmaddr = r.word(off + 24, w)!;
      const vmsize = r.word(off + (w ? 32 : 28), w)!;
      const fileoff = r.word(off + (w ? 40 : 32), w)!;
      const filesize = r.word(off + (w ? 48 : 36), w)!;
      const maxprot = r.u32(off + (w ? 56 : 40))!;
      const initprot = r.u32(off + (w ? 60 : 44))!;
      const nsects = r.u32(off + (w ? 64 : 48))!;
      if (finite(vmaddr, vmsize, fileoff, filesize)) {
        segments.push({
          name: segname,
          vaddr: vmaddr,
          offset: fileoff,
          fileSize: filesize,
          memSize: vmsize,
          type: cmd,
          flags: initprot,
          maxProt: maxprot,
        });
      }
      const secSize = w ? 80 : 68;
      let so = off + (w ? 72 : 56);
      for (
        let j = 0;
        j < Math.min(nsects, MAX_TABLE_ENTRIES) && so + secSize <= off + cmdsize;
        j++, so += secSize
      ) {
        const sectname = r.cstring(so, 16);
        const addr = r.word(so + 32, w)!;
        const size = r.word(so + (w ? 40 : 36), w)!;
        const offset = r.u32(so + (w ? 48 : 40))!;
        const flags = r.u32(so + (w ? 64 : 56))!;
        if (!finite(addr, size)) continue;
        const zerofill = (flags & 0xff) === 0x1 || (flags & 0xff) === 0xc || (flags & 0xff) === 0x12;
        sections.push({
          name: sectname,
          segment: r.cstring(so + 16, 16),
          addr,
          offset: zerofill || offset === 0 ? -1 : offset,
          size: zerofill ? 0 : size,
          memSize: size,
          type: flags & 0xff,
          flags,
        });
      }
    }
    off += cmdsize;
  }
  return makeExecutable(
    { format: 'macho', littleEndian: le, ptrSize: is64 ? 8 : 4, sections, segments, truncated, imageBase: 0 },
    buf,
  );
}

/** Universal (fat) Mach-O: opens the first architecture, as Go's debug/buildinfo does. */
function openFat(buf: Buffer): Executable | undefined {
  const r = new Reader(buf, false);
  const magic = r.u32(0)!;
  const n = r.u32(4)!;
  // Java class files share the 0xcafebabe magic; their "count" is the class file version (≥ 45).
  if (n === 0 || n > 32) return undefined;
  const entSize = magic === 0xcafebabf ? 32 : 20;
  const o = 8;
  if (!r.inRange(o, entSize)) return undefined;
  const offset = magic === 0xcafebabf ? r.u64(o + 8)! : r.u32(o + 8)!;
  const size = magic === 0xcafebabf ? r.u64(o + 16)! : r.u32(o + 12)!;
  if (!finite(offset, size) || !r.inRange(offset, Math.min(size, buf.length - offset))) return undefined;
  const inner = buf.subarray(offset, offset + size);
  if (detectFormat(inner) !== 'macho') return undefined;
  return openMachO(inner);
}
