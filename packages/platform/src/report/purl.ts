/**
 * Package URLs (purl spec) for inventory packages, in the shape Trivy emits
 * so SBOMs from either tool name packages the same way:
 *   pkg:deb/debian/bsdutils@2.33.1-0.1?arch=amd64&distro=debian-10.2&epoch=1
 *   pkg:apk/alpine/musl@1.2.3-r4?arch=x86_64&distro=3.17.10
 *   pkg:npm/%40babel/core@7.0.0   pkg:maven/org.slf4j/slf4j-api@2.0.11
 */
import type * as Purl from 'packageurl-js';
import { lazy } from '../core/lazy.js';

const purlLib = lazy<typeof Purl>('packageurl-js');
import type { OSInfo, Package, PackageClass } from '@palisade/api';

const LANG_PURL_TYPE: Record<string, string> = {
  npm: 'npm',
  yarn: 'npm',
  pnpm: 'npm',
  bun: 'npm',
  'node-pkg': 'npm',
  pip: 'pypi',
  pipenv: 'pypi',
  poetry: 'pypi',
  uv: 'pypi',
  pdm: 'pypi',
  'python-pkg': 'pypi',
  gomod: 'golang',
  gobinary: 'golang',
  cargo: 'cargo',
  rustbinary: 'cargo',
  bundler: 'gem',
  gemspec: 'gem',
  composer: 'composer',
  'composer-vendor': 'composer',
  jar: 'maven',
  pom: 'maven',
  gradle: 'maven',
  nuget: 'nuget',
  'dotnet-core': 'nuget',
  'packages-props': 'nuget',
  'conda-pkg': 'conda',
};

const OS_PURL_TYPE: Record<string, string> = { dpkg: 'deb', apk: 'apk', rpm: 'rpm' };

/** OS results are typed by family (as Trivy's): the family says which package manager. */
function osPurlType(setType: string): string {
  const direct = OS_PURL_TYPE[setType];
  if (direct) return direct;
  if (['debian', 'ubuntu'].includes(setType)) return 'deb';
  if (['alpine', 'wolfi', 'chainguard', 'minimos'].includes(setType)) return 'apk';
  return 'rpm';
}

const PURL_NAMESPACE: Record<string, string> = {
  sles: 'suse',
  slem: 'suse',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
};

/** Debian-family and RPM-family distributions as the purl namespace names them. */
function osNamespace(os: OSInfo | undefined, setType: string): string {
  if (os) return PURL_NAMESPACE[os.family] ?? os.family.replace(/\s+/g, '-');
  const type = osPurlType(setType);
  return type === 'apk' ? 'alpine' : type === 'deb' ? 'debian' : setType === 'rpm' ? 'redhat' : setType;
}

/**
 * packageurl-js leaves `+` in versions as is; Trivy (packageurl-go) writes `%2B`, and a literal
 * `+` is read as a space by some URL decoders. Encode it so both tools name packages alike.
 */
function encodePlusInVersion(purl: string): string {
  const at = purl.lastIndexOf('@');
  if (at < 0) return purl;
  const end = purl.search(/[?#]/);
  const stop = end < 0 ? purl.length : end;
  if (stop < at) return purl;
  return purl.slice(0, at) + purl.slice(at, stop).replace(/\+/g, '%2B') + purl.slice(stop);
}

function split(name: string, sep: string): [string | undefined, string] {
  const i = name.lastIndexOf(sep);
  return i > 0 ? [name.slice(0, i), name.slice(i + 1)] : [undefined, name];
}

export function purlFor(
  pkg: Package,
  cls: PackageClass,
  setType: string,
  os: OSInfo | undefined,
): string | undefined {
  if (cls === 'os-pkgs') {
    const type = osPurlType(setType);
    const q: Record<string, string> = {};
    if (pkg.arch) q['arch'] = pkg.arch;
    if (os) q['distro'] = type === 'apk' ? os.name : `${os.family.replace(/\s+/g, '-')}-${os.name}`;
    if (pkg.epoch) q['epoch'] = String(pkg.epoch);
    const version = pkg.release ? `${pkg.version}-${pkg.release}` : pkg.version;
    return encodePlusInVersion(
      new (purlLib().PackageURL)(type, osNamespace(os, setType), pkg.name, version, q, undefined).toString(),
    );
  }
  const type = LANG_PURL_TYPE[setType];
  if (!type || !pkg.name) return undefined;
  let namespace: string | undefined;
  let name = pkg.name;
  switch (type) {
    case 'npm':
      if (name.startsWith('@')) [namespace, name] = split(name, '/');
      break;
    case 'maven':
      [namespace, name] = split(name, ':');
      break;
    case 'golang':
    case 'composer':
      [namespace, name] = split(name, '/');
      break;
    case 'pypi':
      name = name.toLowerCase().replace(/[-_.]+/g, '-');
      break;
  }
  try {
    return encodePlusInVersion(
      new (purlLib().PackageURL)(
        type,
        namespace,
        name,
        pkg.version || undefined,
        undefined,
        undefined,
      ).toString(),
    );
  } catch {
    return undefined;
  }
}
