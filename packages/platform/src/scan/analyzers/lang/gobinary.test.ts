/**
 * Go binaries: real executables built here by the Go toolchain (offline: the
 * dependencies are vendored, one is replaced by another module and one by a
 * local directory) for ELF (amd64, 386), PE and Mach-O, plus the toolchain's
 * own commands. `go version -m` is the oracle for the build information;
 * Trivy's rules (stdlib, replacements, `(devel)`, -ldflags) are checked on top.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Package } from '@palisade/api';
import { testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { openExecutable } from '../lib/elf.js';
import {
  goBinaryPackages,
  ldflagsOf,
  linkerXFlags,
  stdlibVersion,
  versionFromElfSymbols,
  versionFromLdflags,
} from '../lib/go-binary.js';
import type { GoBuildInfo } from '../lib/go-buildinfo.js';
import { parseBuildInfoText, readBuildInfo } from '../lib/go-buildinfo.js';
import { analyzer } from './gobinary.js';

const GO = process.env['GO'] ?? '/usr/local/go/bin/go';
const haveGo = existsSync(GO);
if (!haveGo)
  console.log(`lang/gobinary: Go toolchain not found at ${GO}; the tests that build binaries are skipped`);
const run = promisify(execFile);

function file(path: string, content: Buffer, mode = 0o755): AnalyzerFile {
  return { path, content, size: content.length, mode };
}

function analyze(f: AnalyzerFile): { packages: Package[]; diagnostics: string[] } {
  const ctx = testContext();
  const res = analyzer.analyze([f], ctx) as {
    packageSets?: { type: string; filePath: string; packages: Package[] }[];
  };
  const sets = res.packageSets ?? [];
  for (const s of sets) {
    expect(s.type).toBe('gobinary');
    expect(s.filePath).toBe(f.path);
  }
  return { packages: sets.flatMap((s) => s.packages), diagnostics: ctx.diagnostics.items.map((d) => d.code) };
}

/** `go version -m` output, parsed independently of the code under test. */
interface Oracle {
  goVersion: string;
  path: string;
  main?: { path: string; version: string };
  deps: { path: string; version: string; replace?: { path: string; version: string } }[];
  settings: [string, string][];
}

function oracle(binary: string): Oracle {
  const out = execFileSync(GO, ['version', '-m', binary], { encoding: 'utf8', env: goEnv() });
  const lines = out.split('\n');
  const head = lines.shift()!;
  const o: Oracle = {
    goVersion: head.slice(head.indexOf(': ') + 2).trim(),
    path: '',
    deps: [],
    settings: [],
  };
  let last: { path: string; version: string; replace?: { path: string; version: string } } | undefined;
  for (const line of lines) {
    const f = line.replace(/^\t/, '').split('\t');
    switch (f[0]) {
      case 'path':
        o.path = f[1]!;
        break;
      case 'mod':
        o.main = { path: f[1]!, version: f[2]! };
        last = o.main;
        break;
      case 'dep':
        o.deps.push({ path: f[1]!, version: f[2]! });
        last = o.deps[o.deps.length - 1];
        break;
      case '=>':
        last!.replace = { path: f[1]!, version: f[2]! };
        break;
      case 'build': {
        const kv = f.slice(1).join('\t');
        const eq = kv.indexOf('=');
        const v = kv.slice(eq + 1);
        o.settings.push([kv.slice(0, eq), v.startsWith('"') ? (JSON.parse(v) as string) : v]);
        break;
      }
    }
  }
  return o;
}

function compareWithOracle(info: GoBuildInfo, o: Oracle): void {
  expect(info.goVersion).toBe(o.goVersion);
  expect(info.path).toBe(o.path);
  if (o.main) expect({ path: info.main.path, version: info.main.version }).toEqual(o.main);
  else expect(info.main.path).toBe('');
  expect(
    info.deps.map((d) => {
      const x: Oracle['deps'][number] = { path: d.path, version: d.version };
      if (d.replace) x.replace = { path: d.replace.path, version: d.replace.version };
      return x;
    }),
  ).toEqual(o.deps);
  expect(info.settings.map((s) => [s.key, s.value])).toEqual(o.settings);
}

function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Go keeps its build cache under $HOME; give it one when the environment has none.
  const home: Record<string, string> = {};
  if (!process.env['GOCACHE'] && !process.env['HOME'] && !process.env['XDG_CACHE_HOME']) {
    home['GOCACHE'] = join(tmpdir(), 'palisade-go-cache');
    home['GOPATH'] = join(tmpdir(), 'palisade-go-path');
  }
  return {
    ...process.env,
    ...home,
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
    GOFLAGS: '-mod=vendor',
    CGO_ENABLED: '0',
    ...extra,
  };
}

/** A module with three vendored dependencies: one plain, one replaced by another module, one by a local directory. */
function writeModule(dir: string): void {
  const w = (p: string, s: string): void => {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), s);
  };
  w(
    'go.mod',
    [
      'module example.com/hello',
      'go 1.22',
      'require (',
      '\texample.com/dep v1.2.3',
      '\texample.com/other v0.1.0',
      '\texample.com/local v0.0.0',
      ')',
      'replace example.com/other => example.com/fork v0.2.0',
      'replace example.com/local => ./local',
      '',
    ].join('\n'),
  );
  w(
    'vendor/modules.txt',
    [
      '# example.com/dep v1.2.3',
      '## explicit',
      'example.com/dep',
      '# example.com/local v0.0.0 => ./local',
      '## explicit',
      'example.com/local',
      '# example.com/other v0.1.0 => example.com/fork v0.2.0',
      '## explicit',
      'example.com/other',
      '# example.com/local => ./local',
      '# example.com/other => example.com/fork v0.2.0',
      '',
    ].join('\n'),
  );
  w('vendor/example.com/dep/dep.go', 'package dep\n\nfunc Hello() string { return "dep" }\n');
  w('vendor/example.com/other/other.go', 'package other\n\nfunc Hi() string { return "other" }\n');
  w('vendor/example.com/local/local.go', 'package local\n\nfunc L() string { return "local" }\n');
  w('local/go.mod', 'module example.com/local\n\ngo 1.22\n');
  w('local/local.go', 'package local\n\nfunc L() string { return "local" }\n');
  // No standard library imports: cross-compiling needs only the runtime.
  w(
    'main.go',
    [
      'package main',
      '',
      'import (',
      '\t"example.com/dep"',
      '\t"example.com/local"',
      '\t"example.com/other"',
      ')',
      '',
      'var version = "dev"',
      '',
      'func main() { println(dep.Hello(), other.Hi(), local.L(), version) }',
      '',
    ].join('\n'),
  );
}

const BUILDS: Record<string, { env: Record<string, string>; args: string[] }> = {
  'elf-amd64': { env: { GOOS: 'linux', GOARCH: 'amd64' }, args: ['-ldflags', '-X main.version=v1.2.3-rc.1'] },
  'elf-386': { env: { GOOS: 'linux', GOARCH: '386' }, args: ['-ldflags', '-s -w'] },
  pe: { env: { GOOS: 'windows', GOARCH: 'amd64' }, args: [] },
  macho: { env: { GOOS: 'darwin', GOARCH: 'arm64' }, args: [] },
};

describe.skipIf(!haveGo)('lang/gobinary with binaries built by the Go toolchain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-gobinary-'));
  const bins: Record<string, string> = {};

  beforeAll(async () => {
    writeModule(dir);
    // One at a time: the machine is shared, and each target compiles its own runtime.
    for (const [name, b] of Object.entries(BUILDS)) {
      const out = join(dir, name);
      await run(GO, ['build', '-buildvcs=false', ...b.args, '-o', out, '.'], { cwd: dir, env: goEnv(b.env) });
      bins[name] = out;
    }
  }, 900_000);

  it('reads the same build information as `go version -m` for every format', () => {
    for (const [name, path] of Object.entries(bins)) {
      const res = readBuildInfo(readFileSync(path));
      expect(res.kind, name).toBe('ok');
      if (res.kind === 'ok') compareWithOracle(res.info, oracle(path));
    }
  });

  it("reports Trivy's packages: stdlib, replacements, local replacements without version, root from -ldflags", () => {
    const goVersion = execFileSync(GO, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
    const std = stdlibVersion(goVersion);
    const { packages, diagnostics } = analyze(file('usr/local/bin/hello', readFileSync(bins['elf-amd64']!)));
    expect(diagnostics).toEqual([]);
    const ids = [`stdlib@${std}`, 'example.com/dep@v1.2.3', './local', 'example.com/fork@v0.2.0'];
    expect(packages).toEqual([
      { id: ids[0], name: 'stdlib', version: std, relationship: 'direct' },
      { id: ids[1], name: 'example.com/dep', version: 'v1.2.3', relationship: 'unknown' },
      { id: ids[2], name: './local', version: '', relationship: 'unknown' },
      { id: ids[3], name: 'example.com/fork', version: 'v0.2.0', relationship: 'unknown' },
      {
        id: 'example.com/hello@v1.2.3-rc.1',
        name: 'example.com/hello',
        version: 'v1.2.3-rc.1',
        relationship: 'root',
        dependsOn: [...ids].sort(),
      },
    ]);
  });

  it('takes the main version from the symbol table when the build info has no -ldflags (as with -trimpath)', () => {
    // go build -trimpath does not record -ldflags (go.dev/issue/63432), but the linker still
    // emits `main.version.str`; drop the setting from a real binary's build info to see the fallback.
    const buf = readFileSync(bins['elf-amd64']!);
    const res = readBuildInfo(buf);
    expect(res.kind).toBe('ok');
    if (res.kind !== 'ok') return;
    const exe = openExecutable(buf)!;
    expect(versionFromElfSymbols(exe, 'example.com/hello')).toBe('v1.2.3-rc.1');
    const info = { ...res.info, settings: res.info.settings.filter((s) => s.key !== '-ldflags') };
    expect(goBinaryPackages(info, exe).at(-1)).toMatchObject({
      name: 'example.com/hello',
      version: 'v1.2.3-rc.1',
      relationship: 'root',
    });
    // A binary stripped of its symbol table (-s) has nothing to fall back on.
    const stripped = readFileSync(bins['elf-386']!);
    expect(versionFromElfSymbols(openExecutable(stripped)!, 'example.com/hello')).toBe('');
  });

  it('leaves the main version empty for (devel) builds without a version flag', () => {
    for (const name of ['elf-386', 'pe', 'macho']) {
      const root = analyze(file(name, readFileSync(bins[name]!))).packages.find(
        (p) => p.relationship === 'root',
      );
      expect(root, name).toMatchObject({ id: 'example.com/hello', version: '' });
    }
  });

  it('reports a truncated build information blob as a diagnostic', () => {
    const buf = readFileSync(bins['elf-amd64']!);
    const at = buf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));
    expect(at).toBeGreaterThan(0);
    // The file ends inside the version string (header is 32 bytes, then a length byte).
    const { packages, diagnostics } = analyze(file('cut', buf.subarray(0, at + 36)));
    expect(packages).toEqual([]);
    expect(diagnostics).toEqual(['GO_BUILDINFO_MALFORMED']);
  });

  it('reports a module text whose length runs past its segment as a diagnostic', () => {
    const buf = Buffer.from(readFileSync(bins['elf-amd64']!));
    const at = buf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));
    const versionLen = buf[at + 32]!;
    // Rewrite the module text's varint length to 2^40.
    const lenAt = at + 33 + versionLen;
    const huge = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    huge.copy(buf, lenAt);
    const { packages, diagnostics } = analyze(file('bad', buf));
    expect(packages).toEqual([]);
    expect(diagnostics).toEqual(['GO_BUILDINFO_MALFORMED']);
  });
});

describe.skipIf(!haveGo)("lang/gobinary on the Go toolchain's own commands", () => {
  it('agrees with `go version -m` on every command of the toolchain', () => {
    const goroot = execFileSync(GO, ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
    const toolDir = execFileSync(GO, ['env', 'GOTOOLDIR'], { encoding: 'utf8' }).trim();
    const paths = [
      ...readdirSync(join(goroot, 'bin')).map((f) => join(goroot, 'bin', f)),
      ...readdirSync(toolDir).map((f) => join(toolDir, f)),
    ].filter((p) => statSync(p).isFile());
    expect(paths.length).toBeGreaterThan(5);
    let checked = 0;
    for (const p of paths) {
      const buf = readFileSync(p);
      const res = readBuildInfo(buf);
      expect(res.kind, p).toBe('ok');
      if (res.kind !== 'ok') continue;
      compareWithOracle(res.info, oracle(p));
      // Commands of the standard distribution have no main module: Trivy reports stdlib (and any deps) only.
      const pkgs = analyze(file(p.slice(1), buf)).packages;
      expect(pkgs[0]).toEqual({
        id: `stdlib@${stdlibVersion(res.info.goVersion)}`,
        name: 'stdlib',
        version: stdlibVersion(res.info.goVersion),
        relationship: 'direct',
      });
      expect(pkgs.some((x) => x.relationship === 'root')).toBe(res.info.main.path !== '');
      checked++;
    }
    console.log(`lang/gobinary: ${checked}/${paths.length} toolchain commands agree with go version -m`);
  });
});

/** A minimal ELF with one read-write PT_LOAD segment, for the pre-Go 1.18 pointer format. */
function pointerFormatElf(opts: {
  is64: boolean;
  bigEndian: boolean;
  version: string;
  modText: string;
}): Buffer {
  const { is64, bigEndian } = opts;
  const ptr = is64 ? 8 : 4;
  const base = 0x10000;
  const ehSize = is64 ? 64 : 52;
  const phSize = is64 ? 56 : 32;
  const dataOff = 128;
  const sentinelStart = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
  const sentinelEnd = Buffer.from('f932433186182072008242104116d8f2', 'hex');
  const mod = Buffer.concat([sentinelStart, Buffer.from(opts.modText), sentinelEnd]);
  const vers = Buffer.from(opts.version);
  // Layout after the 32-byte header: two string headers, then the strings.
  const versHdr = dataOff + 32;
  const modHdr = versHdr + 2 * ptr;
  const versData = modHdr + 2 * ptr;
  const modData = versData + vers.length;
  const total = modData + mod.length;
  const b = Buffer.alloc(total);
  const u16 = (v: number, o: number): number => (bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  const u32 = (v: number, o: number): number => (bigEndian ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  const word = (v: number, o: number): void => {
    if (is64) {
      if (bigEndian) b.writeBigUInt64BE(BigInt(v), o);
      else b.writeBigUInt64LE(BigInt(v), o);
    } else u32(v, o);
  };
  b.write('\x7fELF', 0, 'latin1');
  b[4] = is64 ? 2 : 1;
  b[5] = bigEndian ? 2 : 1;
  b[6] = 1;
  u16(2, 16); // ET_EXEC
  u16(is64 ? 62 : 3, 18);
  u32(1, 20);
  word(ehSize, is64 ? 0x20 : 0x1c); // e_phoff
  u16(ehSize, is64 ? 0x34 : 0x28);
  u16(phSize, is64 ? 0x36 : 0x2a);
  u16(1, is64 ? 0x38 : 0x2c);
  const ph = ehSize;
  u32(1, ph); // PT_LOAD
  if (is64) {
    u32(6, ph + 4); // R|W
    word(0, ph + 8);
    word(base, ph + 16);
    word(base, ph + 24);
    word(total, ph + 32);
    word(total, ph + 40);
  } else {
    word(0, ph + 4);
    word(base, ph + 8);
    word(base, ph + 12);
    word(total, ph + 16);
    word(total, ph + 20);
    u32(6, ph + 24);
  }
  b.write('\xff Go buildinf:', dataOff, 'latin1');
  b[dataOff + 14] = ptr;
  b[dataOff + 15] = bigEndian ? 1 : 0;
  word(base + versHdr, dataOff + 16);
  word(base + modHdr, dataOff + 16 + ptr);
  word(base + versData, versHdr);
  word(vers.length, versHdr + ptr);
  word(base + modData, modHdr);
  word(mod.length, modHdr + ptr);
  vers.copy(b, versData);
  mod.copy(b, modData);
  return b;
}

describe('lang/gobinary without a toolchain', () => {
  const modText =
    'path\texample.com/old\nmod\texample.com/old\tv0.3.0\th1:x=\ndep\tgolang.org/x/text\tv0.3.2\th1:y=\n=>\tgolang.org/x/text\tv0.3.8\th1:z=\n';

  it('reads the pre-1.18 pointer format in 64-bit little-endian and 32-bit big-endian ELF', () => {
    for (const [is64, bigEndian] of [
      [true, false],
      [false, true],
    ] as const) {
      const bin = pointerFormatElf({ is64, bigEndian, version: 'go1.17.13', modText });
      const { packages, diagnostics } = analyze(file('old', bin));
      expect(diagnostics).toEqual([]);
      expect(packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
        'stdlib@v1.17.13 direct',
        'golang.org/x/text@v0.3.8 unknown',
        'example.com/old@v0.3.0 root',
      ]);
    }
  });

  it('treats a missing module text (no sentinels) as a binary without modules', () => {
    const bin = pointerFormatElf({ is64: true, bigEndian: false, version: 'go1.12', modText: '' });
    // 32 bytes of sentinels and nothing between: not ≥ 33 bytes, so no module information.
    expect(analyze(file('x', bin)).packages).toEqual([
      { id: 'stdlib@v1.12', name: 'stdlib', version: 'v1.12', relationship: 'direct' },
    ]);
  });

  it('reports malformed module text as a diagnostic', () => {
    const bin = pointerFormatElf({
      is64: true,
      bigEndian: false,
      version: 'go1.16',
      modText: 'dep\tonly-one-column\n',
    });
    expect(analyze(file('x', bin))).toEqual({ packages: [], diagnostics: ['GO_BUILDINFO_MALFORMED'] });
  });

  it('skips executables that are not Go, and files that are not executables, silently', () => {
    const candidates = ['/bin/true', '/usr/bin/true', '/bin/sh'].filter((p) => existsSync(p));
    for (const p of candidates)
      expect(analyze(file(p.slice(1), readFileSync(p)))).toEqual({ packages: [], diagnostics: [] });
    const script = Buffer.from('#!/bin/sh\necho hello\n'.repeat(10));
    expect(analyze(file('run.sh', script))).toEqual({ packages: [], diagnostics: [] });
    const junk = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 256));
    expect(analyze(file('junk', junk))).toEqual({ packages: [], diagnostics: [] });
    // A broken ELF header (section and program tables far outside the file).
    const broken = Buffer.alloc(128, 0xff);
    broken.write('\x7fELF', 0, 'latin1');
    broken[4] = 2;
    broken[5] = 1;
    expect(analyze(file('broken', broken))).toEqual({ packages: [], diagnostics: [] });
  });

  it('never throws on corrupted ELF headers (seeded byte flips)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const bases = [
      pointerFormatElf({ is64: true, bigEndian: false, version: 'go1.17.13', modText }),
      pointerFormatElf({ is64: false, bigEndian: true, version: 'go1.17.13', modText }),
    ];
    let parsed = 0;
    const ctx = testContext();
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(bases[i % bases.length]!);
      for (let k = 0; k < 1 + rand(4); k++) b[rand(Math.min(b.length, 200))] = rand(256);
      const res = analyzer.analyze([file('fuzz', b)], ctx) as { packageSets: unknown[] };
      if (res.packageSets.length > 0) parsed++;
    }
    expect(ctx.diagnostics.items.every((d) => d.code === 'GO_BUILDINFO_MALFORMED')).toBe(true);
    // Most flips hit bytes that do not matter; the point is that none throws.
    expect(parsed).toBeGreaterThan(0);
  });

  it('offers only executable regular files of at least 64 bytes, in images and root file systems', () => {
    expect(analyzer.required('usr/bin/app', { size: 1000, mode: 0o755 })).toBe(true);
    expect(analyzer.required('usr/bin/app', { size: 1000, mode: 0o644 })).toBe(false);
    expect(analyzer.required('usr/bin/tiny', { size: 10, mode: 0o755 })).toBe(false);
    expect([...analyzer.targets].sort()).toEqual(['image', 'rootfs']);
  });
});

describe('Go build information text and linker flags', () => {
  it('parses build settings with quoted keys and values, as runtime/debug does', () => {
    const info = parseBuildInfoText(
      'path\tcmd/x\nbuild\t-ldflags="-s -w -X \\"main.v=1\\""\nbuild\t"a key"=`raw value`\nbuild\tCGO_ENABLED=0\n',
    );
    expect(info).toMatchObject({
      path: 'cmd/x',
      settings: [
        { key: '-ldflags', value: '-s -w -X "main.v=1"' },
        { key: 'a key', value: 'raw value' },
        { key: 'CGO_ENABLED', value: '0' },
      ],
    });
    expect(parseBuildInfoText('build\t=x\n')).toMatch(/line 1: build line with missing key/);
    expect(parseBuildInfoText('mod\ta\tb\n=>\tc\td\n')).toMatch(/expected 3 columns for replacement/);
    expect(parseBuildInfoText('=>\tc\td\te\n')).toMatch(/replacement with no module/);
    // A last line without a newline is ignored.
    expect(parseBuildInfoText('path\tp\ndep\tbroken')).toMatchObject({ path: 'p', deps: [] });
  });

  // Trivy's TestParser_ParseLDFlags table (pkg/dependency/parser/golang/binary/parse_test.go).
  const LDFLAGS_CASES: [string, string, string[], string][] = [
    [
      'with version suffix',
      'github.com/aquasecurity/trivy',
      ['-s', '-w', '-X=foo=bar', "-X='github.com/aquasecurity/trivy/pkg/version/app.ver=v0.50.1'"],
      'v0.50.1',
    ],
    [
      'with version suffix titlecased',
      'github.com/aquasecurity/trivy',
      ['-s', '-w', '-X=foo=bar', "-X='github.com/aquasecurity/trivy/pkg/version.Version=v0.50.1'"],
      'v0.50.1',
    ],
    [
      'with ver suffix titlecased',
      'github.com/aquasecurity/trivy',
      ['-s', '-w', '-X=foo=bar', "-X='github.com/aquasecurity/trivy/pkg/version.Ver=v0.50.1'"],
      'v0.50.1',
    ],
    [
      'with double quoted flag',
      'github.com/aquasecurity/trivy',
      ['-s', '-w', '-X=foo=bar', '-X="github.com/aquasecurity/trivy/pkg/version.Ver=0.50.1"'],
      '0.50.1',
    ],
    [
      'with semver version without v prefix',
      'github.com/aquasecurity/trivy',
      ['-s', '-w', '-X=foo=bar', "-X='github.com/aquasecurity/trivy/pkg/version.Ver=0.50.1'"],
      '0.50.1',
    ],
    [
      'with `cmd` + `default prefix` flags',
      'github.com/aquasecurity/trivy',
      [
        "-X='github.com/aquasecurity/trivy/cmd/Any.Ver=0.50.0'",
        "-X='github.com/aquasecurity/trivy/pkg/version.Ver=0.50.1'",
      ],
      '0.50.0',
    ],
    [
      'with `cmd` flag',
      'github.com/aquasecurity/trivy',
      ["-X='github.com/aquasecurity/trivy/cmd/Any.Ver=0.50.0'"],
      '0.50.0',
    ],
    [
      'with `cmd` + `other` flags',
      'github.com/aquasecurity/trivy',
      [
        "-X='github.com/aquasecurity/trivy/cmd/Any.Ver=0.50.0'",
        "-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.1'",
      ],
      '0.50.0',
    ],
    [
      'with `default prefix` flag',
      'github.com/aquasecurity/trivy',
      ["-X='github.com/aquasecurity/trivy/pkg/Common.Ver=0.50.1'"],
      '0.50.1',
    ],
    [
      'with `default prefix` + `other` flags',
      'github.com/aquasecurity/trivy',
      [
        "-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.0'",
        "-X='github.com/aquasecurity/trivy/pkg/Common.Ver=0.50.1'",
      ],
      '0.50.1',
    ],
    [
      'with `other` flag',
      'github.com/aquasecurity/trivy',
      ["-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.1'"],
      '0.50.1',
    ],
    [
      'with 2 flags using default prefixes',
      'github.com/aquasecurity/trivy',
      [
        "-X='github.com/aquasecurity/trivy/pkg/Common.Ver=0.50.0'",
        "-X='github.com/aquasecurity/trivy/pkg/Main.Ver=0.50.1'",
      ],
      '',
    ],
    [
      'with two `other` flags',
      'github.com/aquasecurity/trivy',
      [
        "-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.1'",
        "-X='github.com/aquasecurity/trivy/pkg/Any-pref.Ver=0.50.0'",
      ],
      '',
    ],
    [
      'with version with extra prefix',
      'github.com/argoproj/argo-cd/v2',
      ['-s', '-w', "-X='github.com/argoproj/argo-cd/v2/common.kubectlVersion=v0.26.11'"],
      '',
    ],
    ['with no flags', 'github.com/aquasecurity/test', [], ''],
  ];
  it.each(LDFLAGS_CASES)(
    'finds the main version in -ldflags as Trivy does: %s',
    (_name, module, flags, want) => {
      expect(versionFromLdflags(module, flags)).toBe(want);
    },
  );

  it('splits -ldflags like a shell and skips the values of unknown flags', () => {
    expect(
      ldflagsOf([{ key: '-ldflags', value: `-s -w -X 'main.version=1.0.0' -extldflags "-static -lm"` }]),
    ).toEqual(['-s', '-w', '-X', 'main.version=1.0.0', '-extldflags', '-static -lm']);
    expect(ldflagsOf([{ key: '-ldflags', value: `-X 'unclosed` }])).toBeUndefined();
    expect(ldflagsOf([])).toBeUndefined();
    // `-linkmode external` consumes its value; `-X` needs one.
    expect([...linkerXFlags(['-linkmode', 'external', '-X', 'a.version=1.2.3'])!]).toEqual([
      ['a.version', '1.2.3'],
    ]);
    expect(linkerXFlags(['-X'])).toBeUndefined();
    expect(linkerXFlags(['-X', 'no-equals-sign'])).toBeUndefined();
    expect([...linkerXFlags(['-Xa.version=1', '-X=b.ver=2,c.v=3'])!]).toEqual([
      ['a.version', '1'],
      ['b.ver', '2'],
      ['c.v', '3'],
    ]);
  });

  it('strips experiment suffixes from the Go version, as Trivy does', () => {
    expect(stdlibVersion('go1.22.3')).toBe('v1.22.3');
    expect(stdlibVersion('go1.25.3 X:nodwarf5')).toBe('v1.25.3');
    expect(stdlibVersion('go1.22.3 X:boringcrypto')).toBe('v1.22.3');
    expect(stdlibVersion('go1.26.0-X:nodwarf5')).toBe('v1.26.0');
    expect(stdlibVersion('go1.26.0-X:nodwarf5,someother')).toBe('v1.26.0');
  });

  it('skips dependencies with an empty path and keeps a pseudo-version unless -ldflags has one', () => {
    const pkgs = goBinaryPackages({
      goVersion: 'go1.21.0',
      path: 'example.com/a',
      main: { path: 'example.com/a', version: 'v0.0.0-20240101000000-abcdefabcdef', sum: '' },
      deps: [{ path: '', version: '(devel)', sum: '' }],
      settings: [],
    });
    expect(pkgs.map((p) => p.id)).toEqual([
      'stdlib@v1.21.0',
      'example.com/a@v0.0.0-20240101000000-abcdefabcdef',
    ]);
    const withFlag = goBinaryPackages({
      goVersion: 'go1.21.0',
      path: 'example.com/a',
      main: { path: 'example.com/a', version: 'v0.0.0-20240101000000-abcdefabcdef', sum: '' },
      deps: [],
      settings: [{ key: '-ldflags', value: '-X main.version=1.4.0' }],
    });
    expect(withFlag.at(-1)).toMatchObject({ version: '1.4.0', id: 'example.com/a@v1.4.0' });
  });
});
