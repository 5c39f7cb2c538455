/**
 * Java archives: .jar, .war, .ear, .par (Trivy: fanal analyzer `jar`, parser
 * java/jar). Trivy runs it on images and root file systems, not on source
 * trees (its language coverage table: JAR/WAR/PAR/EAR — Image ✓, Rootfs ✓,
 * Filesystem -, Repository -).
 *
 * For each archive, as Trivy does:
 * - every META-INF/maven/**\/pom.properties gives a package `groupId:artifactId`
 *   (fat and shaded jars carry several);
 * - nested archives (WEB-INF/lib/*.jar, BOOT-INF/lib/*.jar, any *.jar/*.war/*.ear
 *   entry) are read recursively, their packages' filePath being
 *   `outer.war/WEB-INF/lib/inner.jar`;
 * - when no pom.properties describes the archive itself (same artifactId and
 *   version as its file name), MANIFEST.MF (Implementation-*, Specification-*,
 *   Bundle-*) identifies it; failing that, the file name `name-1.2.3.jar`.
 * Duplicates (same name and file, Maven-equal versions) are dropped.
 *
 * Divergences from Trivy, deliberate:
 * - Trivy, when online, checks the manifest's groupId/artifactId against its
 *   Java DB and otherwise looks the archive's SHA-1 up there (then guesses a
 *   groupId from the artifactId). We have no Java DB: the manifest is trusted
 *   as Trivy's offline mode trusts it, and the file-name fallback reports the
 *   artifactId alone as the name (no groupId), where Trivy would either find
 *   a groupId in its DB or, offline, report nothing. The fallback is also
 *   skipped when a pom.properties in the archive already names that artifactId
 *   (with another version, as in Debian's renamed jars).
 * - Licenses come from embedded META-INF/maven/<g>/<a>/pom.xml `<license><name>`
 *   and Jenkins Plugin-License-Name only; Trivy also maps OSGi Bundle-License
 *   and classifies LICENSE files, which needs its license database.
 *
 * Bounds (hostile archives): nesting depth, bytes inflated per archive tree,
 * per-entry size, DEFLATE ratio, entry count; each is a diagnostic.
 */
import type { Package, PackageSet } from '@palisade/api';
import { sortPackages } from '../lib/package-order.js';
import {
  manifestCoordinates,
  manifestLicenses,
  mavenPackageId,
  mavenVersionKey,
  parseJarFileName,
  parseManifest,
  parsePomProperties,
  validCoordinates,
} from '../lib/java.js';
import type { Manifest } from '../lib/java.js';
import { parsePom } from '../lib/java-pom.js';
import { readZipDirectory, readZipEntry, ZipFormatError } from '../lib/zip.js';
import type { ZipDirectory, ZipEntry } from '../lib/zip.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName } from '../types.js';

export interface JarLimits {
  maxDepth: number;
  maxTotalBytes: number;
  maxNestedBytes: number;
  maxSmallEntryBytes: number;
  maxManifestBytes: number;
  maxEntries: number;
}

export const JAR_LIMITS: Readonly<JarLimits> = {
  /** Archives inside archives inside the scanned one (ear → war → jar is 2). */
  maxDepth: 5,
  /** Bytes inflated in total for one scanned archive and everything nested in it. */
  maxTotalBytes: 1024 * 1024 * 1024,
  /** Largest nested archive inflated into memory. */
  maxNestedBytes: 256 * 1024 * 1024,
  /** pom.properties and pom.xml entries. */
  maxSmallEntryBytes: 1024 * 1024,
  /** MANIFEST.MF (Trivy caps it at 10 MiB). */
  maxManifestBytes: 10 * 1024 * 1024,
  maxEntries: 500_000,
};

const EXTENSIONS = ['.jar', '.war', '.ear', '.par'];
const NESTED_EXTENSIONS = ['.jar', '.war', '.ear']; // Trivy's isArtifact (case-sensitive, no .par)

function extension(name: string): string {
  const base = baseName(name);
  const i = base.lastIndexOf('.');
  return i < 0 ? '' : base.slice(i);
}

interface Walk {
  ctx: AnalyzerContext;
  limits: Readonly<JarLimits>;
  /** Path of the scanned archive, for diagnostics. */
  file: string;
  budget: number;
  aborted: boolean;
}

const text = new TextDecoder('utf-8');

/**
 * Reads an entry within `limit` and what is left of the walk's inflation
 * budget (every inflated byte counts, so many small entries cannot add up to a
 * bomb either). Problems become diagnostics; undefined is returned.
 */
function readBudgeted(
  walk: Walk,
  buf: Uint8Array,
  dir: ZipDirectory,
  entry: ZipEntry,
  limit: number,
  where: string,
): Uint8Array | undefined {
  // Stored entries are views of the archive already in memory: only inflation spends the budget.
  const max = entry.method === 0 ? limit : Math.min(limit, walk.budget);
  const res = readZipEntry(buf, dir, entry, max);
  if (!res.ok) {
    const code =
      res.reason === 'bomb'
        ? 'JAR_ZIP_BOMB'
        : res.reason === 'too-large'
          ? 'JAR_SIZE_LIMIT'
          : 'JAR_ENTRY_UNREADABLE';
    const message =
      res.reason === 'too-large' && entry.size <= limit
        ? `skipped, inflating its ${entry.size} bytes would take the bytes inflated for this archive past the limit of ${walk.limits.maxTotalBytes}`
        : res.message;
    walk.ctx.diagnostics.warn(code, `${where}: ${message}`, { file: walk.file });
    return undefined;
  }
  if (entry.method !== 0) walk.budget -= res.data.length;
  return res.data;
}

function readSmall(
  walk: Walk,
  buf: Uint8Array,
  dir: ZipDirectory,
  entry: ZipEntry,
  limit: number,
  outer: string,
): string | undefined {
  const data = readBudgeted(walk, buf, dir, entry, limit, `${outer}!${entry.name}`);
  return data === undefined ? undefined : text.decode(data);
}

/** `outer.war` + `WEB-INF/lib/x.jar`; undefined when the entry name climbs out (zip slip), as Trivy checks. */
function nestedPath(outer: string, entryName: string): string | undefined {
  const parts: string[] = [];
  for (const seg of entryName.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.length === 0 ? undefined : `${outer}/${parts.join('/')}`;
}

function pkg(groupId: string, artifactId: string, version: string, filePath: string): Package {
  const name = groupId === '' ? artifactId : `${groupId}:${artifactId}`;
  return { id: mavenPackageId(name, version), name, version, filePath };
}

/** Packages of one archive (and everything nested in it). */
function parseArchive(walk: Walk, buf: Uint8Array, filePath: string, depth: number): Package[] {
  let dir: ZipDirectory;
  try {
    dir = readZipDirectory(buf, walk.limits.maxEntries);
  } catch (err) {
    const msg = err instanceof ZipFormatError ? err.message : String(err);
    walk.ctx.diagnostics.warn('JAR_MALFORMED', `${filePath}: not a readable archive: ${msg}`, {
      file: walk.file,
    });
    return [];
  }
  if (dir.truncated) {
    walk.ctx.diagnostics.warn(
      'JAR_TOO_MANY_ENTRIES',
      `${filePath}: only the first ${walk.limits.maxEntries} entries were read`,
      {
        file: walk.file,
      },
    );
  }

  const fileProps = parseJarFileName(filePath);
  const pkgs: Package[] = [];
  let manifest: Manifest | undefined;
  let foundOwnPomProps = false;
  const pomLicenses = new Map<string, string[]>();

  for (const entry of dir.entries) {
    if (walk.aborted || walk.ctx.signal?.aborted) {
      walk.aborted = true;
      break;
    }
    const base = baseName(entry.name);
    if (base === 'pom.xml') {
      // META-INF/maven/<groupId>/<artifactId>/pom.xml: licenses of that artifact.
      const m = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.xml$/.exec(entry.name);
      if (!m) continue;
      const body = readSmall(walk, buf, dir, entry, walk.limits.maxSmallEntryBytes, filePath);
      if (body === undefined) continue;
      const parsed = parsePom(body);
      if (parsed.ok && parsed.model.licenses.length > 0)
        pomLicenses.set(`${m[1]}:${m[2]}`, parsed.model.licenses);
    } else if (base === 'pom.properties') {
      const body = readSmall(walk, buf, dir, entry, walk.limits.maxSmallEntryBytes, filePath);
      if (body === undefined) continue;
      const props = parsePomProperties(body);
      if (!validCoordinates(props)) continue;
      pkgs.push(pkg(props.groupId, props.artifactId, props.version, filePath));
      if (fileProps && fileProps.artifactId === props.artifactId && fileProps.version === props.version) {
        foundOwnPomProps = true;
      }
    } else if (base === 'MANIFEST.MF') {
      const body = readSmall(walk, buf, dir, entry, walk.limits.maxManifestBytes, filePath);
      if (body !== undefined) manifest = parseManifest(body);
    } else if (NESTED_EXTENSIONS.includes(extension(entry.name))) {
      pkgs.push(...parseNested(walk, buf, dir, entry, filePath, depth));
    }
  }

  if (!foundOwnPomProps) {
    const coords = manifest ? manifestCoordinates(manifest) : undefined;
    if (coords && validCoordinates(coords))
      pkgs.push(pkg(coords.groupId, coords.artifactId, coords.version, filePath));
    else if (
      fileProps &&
      !pkgs.some((p) => p.filePath === filePath && p.name.endsWith(`:${fileProps.artifactId}`))
    ) {
      // Trivy would look the groupId up in its Java DB here; we report the artifactId alone. Not when a
      // pom.properties of this archive already names the artifact (Debian's maven-core-3.x.jar holds
      // org.apache.maven:maven-core:3.8.7): the file name would only add a second, vaguer package.
      pkgs.push(pkg('', fileProps.artifactId, fileProps.version, filePath));
    }
  }

  for (const p of pkgs) {
    if (!p.licenses) {
      const l = pomLicenses.get(p.name);
      if (l) p.licenses = [...l];
    }
  }
  const own = pkgs.filter((p) => p.filePath === filePath);
  const manifestLicense = manifest ? manifestLicenses(manifest) : [];
  if (own.length === 1 && own[0] && !own[0].licenses && manifestLicense.length > 0)
    own[0].licenses = manifestLicense;
  return pkgs;
}

function parseNested(
  walk: Walk,
  buf: Uint8Array,
  dir: ZipDirectory,
  entry: ZipEntry,
  outer: string,
  depth: number,
): Package[] {
  const path = nestedPath(outer, entry.name);
  if (path === undefined) {
    walk.ctx.diagnostics.warn(
      'JAR_ENTRY_PATH',
      `${outer}!${entry.name}: entry path climbs out of the archive; skipped`,
      {
        file: walk.file,
      },
    );
    return [];
  }
  if (depth + 1 > walk.limits.maxDepth) {
    walk.ctx.diagnostics.warn(
      'JAR_NESTING_TOO_DEEP',
      `${path}: archives nested more than ${walk.limits.maxDepth} deep are not read`,
      { file: walk.file },
    );
    return [];
  }
  const data = readBudgeted(walk, buf, dir, entry, walk.limits.maxNestedBytes, path);
  if (data === undefined) return [];
  return parseArchive(walk, data, path, depth + 1);
}

/** Trivy's removePackageDuplicates: one package per name and file for Maven-equal versions. */
function removeDuplicates(pkgs: readonly Package[]): Package[] {
  const seen = new Map<string, Set<string>>();
  const out: Package[] = [];
  for (const p of pkgs) {
    const key = `${p.name}::${p.filePath ?? ''}`;
    const versions = seen.get(key) ?? new Set<string>();
    const v = mavenVersionKey(p.version);
    if (versions.has(v)) continue;
    versions.add(v);
    seen.set(key, versions);
    out.push(p);
  }
  return out;
}

/** The analyzer with other bounds (tests use small ones). */
export function jarAnalyzer(limits: Readonly<JarLimits> = JAR_LIMITS): Analyzer {
  return {
    name: 'lang/jar',
    version: 1,
    targets: ['image', 'rootfs'],
    mode: 'file',
    maxFileSize: 512 * 1024 * 1024,
    required(path) {
      return EXTENSIONS.includes(extension(path).toLowerCase());
    },
    analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
      const packageSets: PackageSet[] = [];
      for (const f of files) {
        const walk: Walk = { ctx, limits, file: f.path, budget: limits.maxTotalBytes, aborted: false };
        const pkgs = removeDuplicates(parseArchive(walk, f.content, f.path, 0));
        if (pkgs.length > 0) {
          packageSets.push({
            class: 'lang-pkgs',
            type: 'jar',
            filePath: f.path,
            packages: sortPackages(pkgs),
          });
        }
      }
      return { packageSets };
    },
  };
}

export const analyzer: Analyzer = jarAnalyzer();
