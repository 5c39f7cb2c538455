/**
 * Installed rpm packages (Trivy: pkg/fanal/analyzer/pkg/rpm). Reads the rpm
 * database in whichever backend the image uses — BerkeleyDB `Packages`, NDB
 * `Packages.db` or SQLite `rpmdb.sqlite` — under /var/lib/rpm or
 * /usr/lib/sysimage/rpm. Package fields follow Trivy's rpm analyzer:
 *
 * - id `name@version-release.arch`; arch `None` when the header has none
 * - epoch and srcEpoch: the binary package's epoch (SOURCERPM has no epoch)
 * - srcName/srcVersion/srcRelease split from SOURCERPM `name-version-release.arch.rpm`
 * - licenses: [LICENSE]; maintainer: VENDOR; digest: `md5:` SIGMD5
 * - dependsOn: REQUIRENAME resolved to the ids of the packages that PROVIDE them
 *
 * gpg-pubkey entries (imported signing keys, not software) are left out.
 *
 * The analyzer runs in 'group' mode so that an SQLite database and its
 * `-wal` file from the same layer are read together.
 */
import type { Package, PackageSet } from '@palisade/api';
import type { RpmPackageInfo } from '../lib/rpmdb/index.js';
import { listPackages } from '../lib/rpmdb/index.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';

const DB_PATHS: ReadonlySet<string> = new Set([
  // Berkeley DB
  'usr/lib/sysimage/rpm/Packages',
  'var/lib/rpm/Packages',
  // NDB
  'usr/lib/sysimage/rpm/Packages.db',
  'var/lib/rpm/Packages.db',
  // SQLite
  'usr/lib/sysimage/rpm/rpmdb.sqlite',
  'var/lib/rpm/rpmdb.sqlite',
]);

const WAL_SUFFIX = '-wal';
const WAL_PATHS: ReadonlySet<string> = new Set(
  [...DB_PATHS].filter((p) => p.endsWith('.sqlite')).map((p) => p + WAL_SUFFIX),
);

/** Name of the pseudo-packages rpm uses to store imported GPG keys. */
const GPG_PUBKEY = 'gpg-pubkey';

/**
 * Splits a source rpm file name as Trivy (after yum's splitFilename) does:
 * `foo-1.0-1.src.rpm` → foo, 1.0, 1. Undefined when the name has not that shape.
 */
export function splitSourceRpm(file: string): { name: string; version: string; release: string } | undefined {
  const base = file.endsWith('.rpm') ? file.slice(0, -4) : file;
  const archDot = base.lastIndexOf('.');
  if (archDot < 0) return undefined;
  const relDash = base.lastIndexOf('-', archDot - 1);
  if (relDash < 0) return undefined;
  const verDash = base.lastIndexOf('-', relDash - 1);
  if (verDash < 0) return undefined;
  return {
    name: base.slice(0, verDash),
    version: base.slice(verDash + 1, relDash),
    release: base.slice(relDash + 1, archDot),
  };
}

export function packageId(p: RpmPackageInfo): string {
  return `${p.name}@${p.version}-${p.release}.${p.arch}`;
}

function toPackage(info: RpmPackageInfo): Package {
  const pkg: Package = {
    id: packageId(info),
    name: info.name,
    version: info.version,
    release: info.release,
    arch: info.arch === '' ? 'None' : info.arch,
  };
  const epoch = info.epoch ?? 0;
  if (epoch !== 0) pkg.epoch = epoch;
  if (info.sourceRpm !== '') {
    const src = splitSourceRpm(info.sourceRpm);
    if (src) {
      pkg.srcName = src.name;
      pkg.srcVersion = src.version;
      pkg.srcRelease = src.release;
    }
  }
  // As Trivy: the source package's epoch is taken to be the binary package's.
  if (epoch !== 0) pkg.srcEpoch = epoch;
  if (info.modularitylabel !== '') pkg.modularitylabel = info.modularitylabel;
  if (info.license !== '') pkg.licenses = [info.license];
  if (info.vendor !== '') pkg.maintainer = info.vendor;
  if (info.sigmd5 !== '') pkg.digest = `md5:${info.sigmd5}`;
  return pkg;
}

/** Replaces each package's requirements by the ids of the packages providing them (Trivy's consolidateDependencies). */
function resolveDependencies(infos: readonly RpmPackageInfo[], pkgs: Package[]): void {
  const providers = new Map<string, string>();
  infos.forEach((info, i) => {
    const id = pkgs[i]?.id;
    if (id !== undefined) for (const p of info.provides) providers.set(p, id);
  });
  infos.forEach((info, i) => {
    const pkg = pkgs[i];
    if (!pkg) return;
    const deps = new Set<string>();
    for (const r of info.requires) {
      const id = providers.get(r);
      if (id !== undefined && id !== pkg.id) deps.add(id);
    }
    if (deps.size > 0) pkg.dependsOn = [...deps].sort();
  });
}

async function analyzeDb(
  db: AnalyzerFile,
  wal: AnalyzerFile | undefined,
  ctx: AnalyzerContext,
): Promise<PackageSet | undefined> {
  const where = ctx.layer ? { file: db.path, layer: ctx.layer } : { file: db.path };
  const listing = await listPackages(db.content, {
    ...(wal ? { wal: wal.content } : {}),
    scratchDir: ctx.scratchDir,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  for (const p of listing.problems) ctx.diagnostics.warn(p.code, p.message, where);

  const infos = listing.packages.filter((p) => p.name !== GPG_PUBKEY);
  // A database that yielded nothing but problems is not evidence that no package is
  // installed: report no set, so that a lower layer's reading of the same file stands.
  if (listing.packages.length === 0 && listing.problems.length > 0) return undefined;
  const packages = infos.map(toPackage);
  resolveDependencies(infos, packages);
  return { class: 'os-pkgs', type: 'rpm', filePath: db.path, packages };
}

export const analyzer: Analyzer = {
  name: 'os/rpm',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'group',
  // Full-distribution rpm databases reach a few hundred MiB.
  maxFileSize: 1024 * 1024 * 1024,
  required(path: string): boolean {
    return DB_PATHS.has(path) || WAL_PATHS.has(path);
  },
  async analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): Promise<AnalysisResult> {
    const byPath = new Map(files.map((f) => [f.path, f]));
    const packageSets: PackageSet[] = [];
    for (const f of files) {
      if (!DB_PATHS.has(f.path)) continue;
      const set = await analyzeDb(f, byPath.get(f.path + WAL_SUFFIX), ctx);
      if (set) packageSets.push(set);
    }
    for (const f of files) {
      if (!WAL_PATHS.has(f.path) || f.content.length === 0) continue;
      if (byPath.has(f.path.slice(0, -WAL_SUFFIX.length))) continue;
      // The WAL changed in this layer but the database did not: its frames belong to a
      // database in a lower layer, which this per-layer analysis cannot combine.
      ctx.diagnostics.add({
        code: 'RPMDB_WAL_WITHOUT_DB',
        severity: 'info',
        message: 'an rpm SQLite WAL without its database in the same layer was not applied',
        location: ctx.layer ? { file: f.path, layer: ctx.layer } : { file: f.path },
      });
    }
    return packageSets.length > 0 ? { packageSets } : {};
  },
};
