/**
 * Where a scanned package is looked up: the OSV ecosystem of its package set
 * (a distribution release for OS packages, a registry for language packages),
 * the name the advisories use for it, and the version string to compare.
 *
 * OSV names distribution ecosystems with their release (`Debian:12`,
 * `Ubuntu:22.04:LTS`, `Alpine:v3.20`, `AlmaLinux:9`, `Rocky Linux:9`); see
 * https://ossf.github.io/osv-schema/#affectedpackage-field. Which package name
 * a distribution's advisories use differs: Debian, Ubuntu, Alpine and Mageia
 * publish per source package, the RPM distributions that publish errata
 * (AlmaLinux, Rocky Linux, SUSE, openSUSE, Photon) per binary RPM.
 */
import type { OSInfo, Package } from '@palisade/api';

/** How one OS family maps onto OSV. */
interface DistroRule {
  /** OSV ecosystem names to query for a release (usually one). Empty when the release is not recognized. */
  ecosystems(release: string): string[];
  /** Match advisories by the source package (deb, apk) or the binary package (errata-based RPM distributions). */
  by: 'source' | 'binary';
}

const MAJOR = /^(\d+)/;
const MAJOR_MINOR = /^(\d+)\.(\d+)/;

function major(release: string): string | undefined {
  return MAJOR.exec(release.trim())?.[1];
}

function majorMinor(release: string): string | undefined {
  const m = MAJOR_MINOR.exec(release.trim());
  return m ? `${m[1]}.${m[2]}` : undefined;
}

const byMajor =
  (prefix: string) =>
  (release: string): string[] => {
    const m = major(release);
    return m ? [`${prefix}:${m}`] : [];
  };

/**
 * Ubuntu: OSV writes LTS releases as `Ubuntu:22.04:LTS` and interim ones as
 * `Ubuntu:23.10`. Both spellings are asked for, so a record that spells an LTS
 * release without the suffix is found too.
 */
function ubuntu(release: string): string[] {
  const v = majorMinor(release);
  if (!v) return [];
  const [yy, mm] = v.split('.') as [string, string];
  const lts = mm === '04' && Number(yy) % 2 === 0;
  return lts ? [`Ubuntu:${v}:LTS`, `Ubuntu:${v}`] : [`Ubuntu:${v}`];
}

/** Alpine: `Alpine:v3.20` from `3.20.3`. */
function alpine(release: string): string[] {
  const v = majorMinor(release);
  return v ? [`Alpine:v${v}`] : [];
}

/** openSUSE Leap: `openSUSE:Leap 15.5`. */
function leap(release: string): string[] {
  const v = majorMinor(release);
  return v ? [`openSUSE:Leap ${v}`] : [];
}

/** SUSE Linux Enterprise Server: `SUSE:Linux Enterprise Server 15 SP5` from `15.5`, `SUSE:Linux Enterprise Server 15` from `15`. */
function sles(release: string): string[] {
  const m = /^(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return [];
  const sp = m[2] !== undefined && m[2] !== '0' ? ` SP${m[2]}` : '';
  return [`SUSE:Linux Enterprise Server ${m[1]}${sp}`];
}

/** Photon OS: `Photon OS:5.0`. */
function photon(release: string): string[] {
  const v = majorMinor(release) ?? (major(release) ? `${major(release)}.0` : undefined);
  return v ? [`Photon OS:${v}`] : [];
}

/**
 * OS family (Trivy's names, as OSInfo.family) → OSV. Families missing here
 * (redhat, centos, oracle, amazon, fedora, cbl-mariner, azurelinux…) have no
 * OSV ecosystem that a release maps onto (Red Hat's OSV ecosystems are keyed
 * by product stream and repository, e.g. `Red Hat:enterprise_linux:9::baseos`,
 * which an image does not record); their packages are reported as not looked up.
 */
const DISTROS: Readonly<Record<string, DistroRule>> = {
  debian: { ecosystems: byMajor('Debian'), by: 'source' },
  ubuntu: { ecosystems: ubuntu, by: 'source' },
  alpine: { ecosystems: alpine, by: 'source' },
  alma: { ecosystems: byMajor('AlmaLinux'), by: 'binary' },
  almalinux: { ecosystems: byMajor('AlmaLinux'), by: 'binary' },
  rocky: { ecosystems: byMajor('Rocky Linux'), by: 'binary' },
  'opensuse-leap': { ecosystems: leap, by: 'binary' },
  'opensuse.leap': { ecosystems: leap, by: 'binary' },
  'opensuse-tumbleweed': { ecosystems: () => ['openSUSE:Tumbleweed'], by: 'binary' },
  'opensuse.tumbleweed': { ecosystems: () => ['openSUSE:Tumbleweed'], by: 'binary' },
  sles: { ecosystems: sles, by: 'binary' },
  photon: { ecosystems: photon, by: 'binary' },
  mageia: { ecosystems: byMajor('Mageia'), by: 'source' },
  wolfi: { ecosystems: () => ['Wolfi'], by: 'source' },
  chainguard: { ecosystems: () => ['Chainguard'], by: 'source' },
};

export interface OsLookup {
  ecosystems: string[];
  by: 'source' | 'binary';
}

/** The OSV ecosystems for an OS release; undefined when OSV has none for the family or the release is not recognized. */
export function osvEcosystemsForOs(os: OSInfo): OsLookup | undefined {
  const rule = DISTROS[os.family.toLowerCase()];
  if (!rule) return undefined;
  const ecosystems = rule.ecosystems(os.name);
  return ecosystems.length > 0 ? { ecosystems, by: rule.by } : undefined;
}

/** Package-set type (Trivy's application types) → OSV ecosystem. */
const LANG: Readonly<Record<string, string>> = {
  npm: 'npm',
  yarn: 'npm',
  pnpm: 'npm',
  bun: 'npm',
  'node-pkg': 'npm',
  pip: 'PyPI',
  poetry: 'PyPI',
  pipenv: 'PyPI',
  uv: 'PyPI',
  pdm: 'PyPI',
  pylock: 'PyPI',
  'python-pkg': 'PyPI',
  gomod: 'Go',
  gobinary: 'Go',
  cargo: 'crates.io',
  rustbinary: 'crates.io',
  bundler: 'RubyGems',
  gemspec: 'RubyGems',
  composer: 'Packagist',
  'composer-vendor': 'Packagist',
  jar: 'Maven',
  pom: 'Maven',
  gradle: 'Maven',
  sbt: 'Maven',
  nuget: 'NuGet',
  'dotnet-core': 'NuGet',
  'packages-props': 'NuGet',
  pub: 'Pub',
  hex: 'Hex',
  'mix-lock': 'Hex',
  swift: 'SwiftURL',
  conan: 'ConanCenter',
  julia: 'Julia',
};

/** The OSV ecosystem of a language package set type; undefined for types OSV does not cover (conda, cocoapods…). */
export function osvEcosystemForLangType(type: string): string | undefined {
  return LANG[type];
}

/** The OSV ecosystems language package types map to (for documentation and tests). */
export const LANG_ECOSYSTEMS: Readonly<Record<string, string>> = LANG;

/**
 * The name an advisory uses for a language package. Normalization that the
 * registry defines (PEP 503, crates.io, NuGet and Packagist case) is the
 * store's job (normalizePackageName); here only spelling differences between
 * inventories and OSV are bridged:
 * - Maven: OSV writes `group:artifact`; some inventories (SBOMs) write `group/artifact`.
 * - npm: a scope is part of the name (`@scope/name`), compared as written.
 * - Go: module paths as written; the standard library is `stdlib` in OSV (Trivy's gobinary uses the same name).
 */
export function advisoryName(ecosystem: string, name: string): string {
  if (ecosystem === 'Maven' && !name.includes(':')) {
    const i = name.lastIndexOf('/');
    if (i > 0) return `${name.slice(0, i)}:${name.slice(i + 1)}`;
  }
  return name;
}

/**
 * The version of a language package to compare: as written, except the Go
 * standard library, which inventories write as the toolchain (`go1.22.3`,
 * `v1.22.3`) and OSV as `1.22.3`.
 */
export function advisoryVersion(ecosystem: string, name: string, version: string): string {
  if (ecosystem === 'Go' && name === 'stdlib') {
    const m = /^(?:go|v)?(\d+(?:\.\d+){0,2}(?:-?(?:rc|beta)\d+)?)/.exec(version.trim());
    if (m?.[1]) return normalizeGoToolchain(m[1]);
  }
  return version;
}

/** `1.22` → `1.22.0`; `1.21rc2` → `1.21.0-rc.2` (the form OSV's Go records use for toolchain pre-releases). */
function normalizeGoToolchain(v: string): string {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?-?(?:(rc|beta)(\d+))?$/.exec(v);
  if (!m) return v;
  const base = `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}`;
  return m[4] ? `${base}-${m[4]}.${m[5]}` : base;
}

/** The full distribution version of an OS package: `epoch:version-release` (epoch only when non-zero). */
export function distroVersion(
  version: string,
  release: string | undefined,
  epoch: number | undefined,
): string {
  const v = release ? `${version}-${release}` : version;
  return epoch ? `${epoch}:${v}` : v;
}

/** The (name, version) of an OS package that advisories of its distribution are keyed by. */
export function osLookupKey(pkg: Package, by: 'source' | 'binary'): { name: string; version: string } {
  const binary = distroVersion(pkg.version, pkg.release, pkg.epoch);
  if (by === 'source' && pkg.srcName) {
    // The source version's own parts; a source package without a version of its own is at the binary's.
    const version =
      pkg.srcVersion !== undefined ? distroVersion(pkg.srcVersion, pkg.srcRelease, pkg.srcEpoch) : binary;
    return { name: pkg.srcName, version };
  }
  return { name: pkg.name, version: binary };
}
