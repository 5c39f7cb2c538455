/**
 * Version ordering per OSV ecosystem. An ecosystem is named as OSV names it,
 * with the optional `:suffix` scoping it to a release or a repository
 * (`Debian:12`, `Alpine:v3.20`, `Ubuntu:Pro:18.04:LTS`, `Red Hat:rhel_aus:8.4::appstream`,
 * `Maven:https://maven.google.com`); the part before the first colon picks the
 * scheme. An ecosystem not listed here has no known ordering: callers treat
 * its ranges as unknown rather than guess.
 */
import { apk } from './apk.js';
import { composer } from './composer.js';
import { deb } from './deb.js';
import { go } from './go.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { pep440 } from './pep440.js';
import { rpm } from './rpm.js';
import { rubygems } from './rubygems.js';
import type { VersionScheme } from './scheme.js';
import { npm, semver } from './semver.js';

export { compareVersions, type VersionScheme } from './scheme.js';

const BY_ECOSYSTEM: Readonly<Record<string, VersionScheme>> = {
  // dpkg
  Debian: deb,
  Ubuntu: deb,
  // apk-tools
  Alpine: apk,
  Wolfi: apk,
  Chainguard: apk,
  MinimOS: apk,
  // rpm
  AlmaLinux: rpm,
  'Rocky Linux': rpm,
  'Red Hat': rpm,
  openSUSE: rpm,
  SUSE: rpm,
  Mageia: rpm,
  'Photon OS': rpm,
  openEuler: rpm,
  // languages
  PyPI: pep440,
  npm,
  'crates.io': semver,
  Go: go,
  Maven: maven,
  RubyGems: rubygems,
  NuGet: nuget,
  Packagist: composer,
  Hex: semver,
  SwiftURL: semver,
};

/** `Debian:12` → `Debian`; `Go` → `Go`. */
export function ecosystemBase(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

/** The ordering of an OSV ecosystem's versions (ECOSYSTEM ranges); undefined when unknown. */
export function schemeForEcosystem(ecosystem: string): VersionScheme | undefined {
  return BY_ECOSYSTEM[ecosystemBase(ecosystem)];
}

/**
 * The ordering of SEMVER ranges in an ecosystem: SemVer 2.0 precedence, read
 * with the ecosystem's own syntax where that is a SemVer dialect (npm's loose
 * versions, Go's `v` and shorthands), else as SemVer 2.0.
 */
export function semverSchemeForEcosystem(ecosystem: string): VersionScheme {
  const s = schemeForEcosystem(ecosystem);
  return s === npm || s === go ? s : semver;
}

/** The ecosystems (base names) that have an ordering. */
export const KNOWN_ECOSYSTEMS: readonly string[] = Object.keys(BY_ECOSYSTEM);
