/**
 * Packages of a Go executable, as Trivy's Go binary parser reports them:
 * `stdlib` at the toolchain version (`v1.22.3`), every dependency (the
 * replacement when there is one) with relationship `unknown`, and the main
 * module as `root` depending on all of them. A `(devel)` version is dropped;
 * the main module's version then falls back to a `-X …version=…` linker flag
 * recorded in the build settings, then to such a string in the ELF symbol
 * table (`main.version.str`), as Trivy does.
 */
import type { Package } from '@palisade/api';
import type { Executable } from './elf.js';
import type { GoBuildInfo } from './go-buildinfo.js';

/** Trivy's package ID for Go modules: `name@vX` (a missing `v` is added), or the bare name without a version. */
export function goPackageId(name: string, version: string): string {
  if (version === '') return name;
  return `${name}@${version.startsWith('v') ? version : `v${version}`}`;
}

/** `go1.22.3`, `go1.25.3 X:boringcrypto`, `go1.26.0-X:nodwarf5` → `v1.22.3`… */
export function stdlibVersion(goVersion: string): string {
  let v = goVersion.startsWith('go') ? goVersion.slice(2) : goVersion;
  v = v.split(' ')[0]!;
  const x = v.indexOf('-X:');
  if (x >= 0) v = v.slice(0, x);
  return `v${v}`;
}

function checkVersion(version: string): string {
  return version === '(devel)' ? '' : version;
}

export function goBinaryPackages(info: GoBuildInfo, exe?: Executable): Package[] {
  const std = stdlibVersion(info.goVersion);
  const pkgs: Package[] = [
    { id: goPackageId('stdlib', std), name: 'stdlib', version: std, relationship: 'direct' },
  ];
  for (const dep of info.deps) {
    // Old toolchains could record the main module as a dependency with an empty path.
    if (dep.path === '') continue;
    const mod = dep.replace ?? dep;
    const version = checkVersion(mod.version);
    pkgs.push({ id: goPackageId(mod.path, version), name: mod.path, version, relationship: 'unknown' });
  }
  if (info.main.path !== '') {
    const version = checkVersion(info.main.version);
    const flags = ldflagsOf(info.settings);
    const ldVersion = flags ? versionFromLdflags(info.main.path, flags) : '';
    let chosen = version;
    if (chosen === '' || (chosen.startsWith('v0.0.0') && ldVersion !== '')) chosen = ldVersion;
    if (chosen === '' && exe) chosen = versionFromElfSymbols(exe, info.main.path);
    const dependsOn = pkgs.map((p) => p.id!).sort();
    pkgs.push({
      id: goPackageId(info.main.path, chosen),
      name: info.main.path,
      version: chosen,
      relationship: 'root',
      dependsOn,
    });
  }
  return pkgs;
}

/** The `-ldflags` build setting split as a shell would (undefined when absent or unbalanced). */
export function ldflagsOf(settings: readonly { key: string; value: string }[]): string[] | undefined {
  const s = settings.find((x) => x.key === '-ldflags');
  if (!s) return undefined;
  return shellWords(s.value);
}

/** POSIX-shell-like word splitting: quotes and backslashes, no expansion. Undefined for an unclosed quote. */
export function shellWords(s: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      if (i + 1 < s.length) cur += s[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += s.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const d = s[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) {
          cur += s[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        i++;
      }
      if (!closed) return undefined;
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * The `-X key=value` pairs of linker flags, parsed like the pflag set Trivy
 * uses (only `-X` and `-h` known, unknown flags tolerated and their value
 * skipped). Undefined when the flags do not parse.
 */
export function linkerXFlags(flags: readonly string[]): Map<string, string> | undefined {
  const args = [...flags];
  const x = new Map<string, string>();
  let seen = false;
  const addX = (value: string): boolean => {
    const pairs = csvFields(value);
    if (!pairs) return false;
    // pflag's string-to-string flag replaces the map on its first use and merges afterwards.
    if (!seen) x.clear();
    seen = true;
    for (const p of pairs) {
      const eq = p.indexOf('=');
      if (eq < 0) return false;
      x.set(p.slice(0, eq), p.slice(eq + 1));
    }
    return true;
  };
  const stripUnknownValue = (): void => {
    const first = args[0];
    if (first !== undefined && !first.startsWith('-')) args.shift();
  };
  while (args.length > 0) {
    const a = args.shift()!;
    if (a.length < 2 || a[0] !== '-') continue; // positional argument
    if (a === '--') break;
    if (a.startsWith('--')) {
      const body = a.slice(2);
      const name = body.split('=')[0]!;
      if (name === 'help') continue;
      if (!body.includes('=')) stripUnknownValue();
      continue;
    }
    let shorts = a.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0];
      if (c === 'X') {
        let value: string;
        if (shorts.length > 2 && shorts[1] === '=') value = shorts.slice(2);
        else if (shorts.length > 1) value = shorts.slice(1);
        else if (args.length > 0) value = args.shift()!;
        else return undefined; // flag needs an argument
        if (!addX(value)) return undefined;
        shorts = '';
      } else if (c === 'h') {
        shorts = shorts.length > 2 && shorts[1] === '=' ? '' : shorts.slice(1);
      } else if (shorts.length > 2 && shorts[1] === '=') {
        shorts = '';
      } else {
        stripUnknownValue();
        shorts = shorts.slice(1);
      }
    }
  }
  return x;
}

/** One CSV record (Go encoding/csv, strict quotes). */
function csvFields(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= s.length) return undefined;
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i];
        i++;
      }
      out.push(v);
      if (i >= s.length) return out;
      if (s[i] !== ',') return undefined;
      i++;
    } else {
      const end = s.indexOf(',', i);
      const v = end < 0 ? s.slice(i) : s.slice(i, end);
      if (v.includes('"')) return undefined;
      out.push(v);
      if (end < 0) return out;
      i = end + 1;
    }
  }
}

const DEFAULT_PREFIXES = ['main', 'common', 'version', 'cmd'];

function isVersionXKey(key: string): boolean {
  const k = key.toLowerCase();
  return k.endsWith('.version') || k.endsWith('.ver');
}

/** `github.com/x/y/pkg/Version.version` → `version` (last path element, before the first dot, lower-cased). */
function versionPrefix(key: string): string {
  const slash = key.lastIndexOf('/');
  const s = slash > 0 ? key.slice(slash + 1) : key;
  return s.split('.')[0]!.toLowerCase();
}

/** golang.org/x/mod/semver.IsValid, also accepting a missing `v` as Trivy does. */
export function isValidSemVer(v: string): boolean {
  return goSemverValid(v) || goSemverValid(`v${v}`);
}

const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER_RE = new RegExp(
  `^v${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)?)?$`,
);

function goSemverValid(v: string): boolean {
  return SEMVER_RE.test(v);
}

function chooseVersion(found: string[][]): string {
  for (const versions of found) {
    if (versions.length === 0) continue;
    // More than one candidate in the best category: ambiguous, no version.
    if (versions.length > 1) return '';
    return versions[0]!;
  }
  return '';
}

function classify(found: string[][], moduleName: string, key: string, val: string): void {
  if (key.startsWith(`${moduleName}/cmd/`)) found[0]!.push(val);
  else if (DEFAULT_PREFIXES.includes(versionPrefix(key))) found[1]!.push(val);
  else found[2]!.push(val);
}

/** Trivy's ParseLDFlags: the main module's version from `-X <pkg>.version=<semver>` flags. */
export function versionFromLdflags(moduleName: string, flags: readonly string[]): string {
  const x = linkerXFlags(flags);
  if (!x) return '';
  const found: string[][] = [[], [], []];
  for (const [rawKey, rawVal] of x) {
    const key = rawKey.replace(/^'+/, '');
    const val = rawVal.replace(/'+$/, '');
    if (isVersionXKey(key) && isValidSemVer(val)) classify(found, moduleName, key, val);
  }
  return chooseVersion(found);
}

/** Version strings the linker stored for `-X` flags (`main.version.str` symbols), for binaries built with -trimpath. */
export function versionFromElfSymbols(exe: Executable, moduleName: string): string {
  if (exe.format !== 'elf') return '';
  const found: string[][] = [[], [], []];
  for (const sym of exe.symbols()) {
    if (!sym.name.endsWith('.str') || sym.size === 0 || sym.size > 1024) continue;
    const key = sym.name.slice(0, -4);
    if (!isVersionXKey(key)) continue;
    const sec = exe.sections[sym.section];
    if (!sec || sec.offset < 0) continue;
    const off = sym.value - sec.addr;
    if (off < 0 || off + sym.size > sec.size) continue;
    const data = exe.sectionData(sec)?.subarray(off, off + sym.size);
    if (!data || data.length < sym.size) continue;
    const val = data.toString('utf8').replace(/\0+$/, '');
    if (val === '' || !isValidSemVer(val)) continue;
    classify(found, moduleName, key, val);
  }
  return chooseVersion(found);
}
