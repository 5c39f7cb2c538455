/**
 * Package-name keys for the advisory index. The same function normalizes the
 * name an advisory gives and the name a scan asks for, so both sides meet
 * whatever spelling the lockfile or the advisory used. Only ecosystems whose
 * registries define names as equivalent are folded; everywhere else the name
 * is compared as written (npm keeps legacy upper-case names distinct, Go module
 * paths and Maven coordinates are case-sensitive). See docs/vulndb.md.
 */

/** `AlmaLinux:9` → `AlmaLinux`; `Maven:https://maven.google.com` → `Maven`; `Go` → `Go`. */
export function ecosystemBase(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

type Normalizer = (name: string) => string;

const lower: Normalizer = (n) => n.toLowerCase();

const NORMALIZERS: Readonly<Record<string, Normalizer>> = {
  // PEP 503: runs of -, _ and . are one '-', case-insensitive.
  PyPI: (n) => n.replace(/[-_.]+/g, '-').toLowerCase(),
  // crates.io refuses a crate whose name differs from another only in case or in - versus _.
  'crates.io': (n) => n.replace(/_/g, '-').toLowerCase(),
  // NuGet package IDs are case-insensitive.
  NuGet: lower,
  // Composer package names are case-insensitive (Packagist stores them lower-case).
  Packagist: lower,
  // GitHub owner/repo names are case-insensitive.
  'GitHub Actions': lower,
};

const trim: Normalizer = (n) => n.trim();

/** normalizePackageName for one ecosystem, looked up once for many names. */
export function packageNameNormalizer(ecosystem: string): (name: string) => string {
  const fn = NORMALIZERS[ecosystemBase(ecosystem)];
  return fn ? (n) => fn(n.trim()) : trim;
}

/** The index key of a package name in an (OSV) ecosystem. */
export function normalizePackageName(ecosystem: string, name: string): string {
  const trimmed = name.trim();
  const fn = NORMALIZERS[ecosystemBase(ecosystem)];
  return fn ? fn(trimmed) : trimmed;
}
