/**
 * The inventory model: what is installed in an artifact. Field names follow
 * Trivy's package model (fanal types.Package) so that readers of Trivy's JSON
 * find the same information, in camelCase.
 */

/** How a package relates to the project that pulls it in (lockfiles know this). */
export type Relationship = 'root' | 'workspace' | 'direct' | 'indirect' | 'unknown';

export interface Package {
  /** Stable identifier within its set, e.g. `lodash@4.17.21` or `github.com/x/y@v1.2.3`. */
  id?: string;
  name: string;
  /** Version as the ecosystem writes it. For dpkg/rpm: upstream version without epoch and release. */
  version: string;
  /** dpkg revision / rpm release / apk `-rN` suffix is part of version for apk (as Trivy). */
  release?: string;
  epoch?: number;
  arch?: string;
  srcName?: string;
  srcVersion?: string;
  srcRelease?: string;
  srcEpoch?: number;
  /** rpm MODULARITYLABEL (`name:stream:version:context`) of packages from a module stream (RHEL ≥ 8). */
  modularitylabel?: string;
  licenses?: string[];
  maintainer?: string;
  /** Development-only dependency (npm devDependencies, poetry dev group…). */
  dev?: boolean;
  relationship?: Relationship;
  /** ids of packages this one depends on. */
  dependsOn?: string[];
  /** Where the package was found when that differs from its set's file (jar inside an image, package.json). */
  filePath?: string;
  /** Content digest when known (e.g. `sha1:…` of a jar). */
  digest?: string;
  /** Line ranges in the lockfile. */
  locations?: { startLine: number; endLine: number }[];
  /** Package URL (purl), filled by the report stage. */
  purl?: string;
  /** Image layer that introduced the package, filled by the applier. */
  layer?: LayerRef;
}

export interface LayerRef {
  digest?: string;
  diffId: string;
}

export interface OSInfo {
  /** Trivy's family names: alpine, debian, ubuntu, redhat, centos, rocky, alma, fedora, amazon, oracle, opensuse-leap, opensuse-tumbleweed, sles, slem, photon, cbl-mariner, azurelinux, wolfi, chainguard… */
  family: string;
  /** Release as the distribution writes it: `3.17.10`, `12.5`, `9.3`. */
  name: string;
}

export type PackageClass = 'os-pkgs' | 'lang-pkgs';

/**
 * A set of packages from one place: one OS package database, one lockfile,
 * or (for individually installed language packages) one package file.
 */
export interface PackageSet {
  class: PackageClass;
  /** OS: `dpkg` | `apk` | `rpm`. Lang: Trivy's application type (`npm`, `yarn`, `pnpm`, `node-pkg`, `pip`, `poetry`, `pipenv`, `uv`, `python-pkg`, `gomod`, `gobinary`, `cargo`, `rustbinary`, `bundler`, `gemspec`, `composer`, `composer-vendor`, `jar`, `pom`, `nuget`, `dotnet-core`, `packages-props`). */
  type: string;
  /** Path of the file the set came from, relative to the artifact root, without leading slash. */
  filePath: string;
  packages: Package[];
}

export type ArtifactType = 'container_image' | 'filesystem' | 'rootfs' | 'sbom';

export interface ArtifactInfo {
  name: string;
  type: ArtifactType;
  /** Image ID (config digest). */
  imageId?: string;
  /** Manifest digest when known. */
  digest?: string;
  repoTags?: string[];
  repoDigests?: string[];
  diffIds?: string[];
  os?: string;
  architecture?: string;
  created?: string;
}

/** One group of packages in the report, as Trivy's `Results[]`. */
export interface InventoryResult {
  /** `img.tar (debian 12.5)` for OS packages; the lockfile path; or `Node.js`, `Python`, `Java`… for individually installed packages. */
  target: string;
  class: PackageClass;
  type: string;
  packages: Package[];
}

export interface InventoryDiagnostic {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  file?: string;
  layer?: string;
  line?: number;
}

export interface InventoryReport {
  schemaVersion: 1;
  createdAt: string;
  artifact: ArtifactInfo;
  os?: OSInfo;
  results: InventoryResult[];
  diagnostics: InventoryDiagnostic[];
}
