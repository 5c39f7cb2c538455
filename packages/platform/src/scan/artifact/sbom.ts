/**
 * SBOM input: a CycloneDX or SPDX JSON document read back as an inventory,
 * so `palisade sbom` and later `palisade scan sbom` work from an SBOM made by
 * Palisade, Trivy, Syft or any other tool. Package details come from the
 * purl; Palisade's (`palisade:*`) and Trivy's (`aquasecurity:trivy:*`)
 * properties refine them (source package, package type, file path).
 */
import { readFile } from 'node:fs/promises';
import type * as Purl from 'packageurl-js';
import { lazy } from '../../core/lazy.js';

const purlLib = lazy<typeof Purl>('packageurl-js');
import type { ArtifactInfo, OSInfo, Package, PackageSet } from '@palisade/api';
import { Diagnostics } from '../../core/diagnostics.js';
import { PalisadeError } from '../../core/errors.js';

export interface DecodedSbom {
  format: 'cyclonedx' | 'spdx';
  artifact: ArtifactInfo;
  os?: OSInfo;
  packageSets: PackageSet[];
  diagnostics: Diagnostics;
}

const MAX_SBOM_BYTES = 512 * 1024 * 1024;

/** Purl type → the package-set type used when the SBOM does not say. */
const DEFAULT_LANG_TYPE: Record<string, string> = {
  npm: 'node-pkg',
  pypi: 'python-pkg',
  maven: 'jar',
  golang: 'gobinary',
  cargo: 'rustbinary',
  gem: 'gemspec',
  composer: 'composer-vendor',
  nuget: 'nuget',
  conda: 'conda-pkg',
};
const OS_TYPE: Record<string, string> = { deb: 'dpkg', apk: 'apk', rpm: 'rpm' };

interface PkgDraft {
  purl?: string;
  name: string;
  version: string;
  props: Map<string, string>;
  licenses: string[];
}

function propMap(list: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(list)) return out;
  for (const p of list as { name?: unknown; value?: unknown }[]) {
    if (typeof p.name !== 'string' || typeof p.value !== 'string') continue;
    const m = /^(?:palisade|aquasecurity:trivy):(.+)$/.exec(p.name);
    if (m?.[1]) out.set(m[1], p.value);
  }
  return out;
}

function toPackage(
  d: PkgDraft,
  diags: Diagnostics,
  file: string,
):
  | { set: { cls: 'os-pkgs' | 'lang-pkgs'; type: string; filePath: string }; pkg: Package; distro?: string }
  | undefined {
  let purl: Purl.PackageURL | undefined;
  if (d.purl) {
    try {
      purl = purlLib().PackageURL.fromString(d.purl);
    } catch (err) {
      diags.warn('SBOM_BAD_PURL', `component ${d.name}: invalid purl ${d.purl}: ${(err as Error).message}`, {
        file,
      });
    }
  }
  const pkgType = d.props.get('PkgType');
  const osType = purl ? OS_TYPE[purl.type] : undefined;
  const pkg: Package = { name: d.name, version: d.version };
  if (purl) {
    pkg.purl = d.purl as string;
    if (purl.type === 'maven' && purl.namespace) pkg.name = `${purl.namespace}:${purl.name}`;
    else if (['npm', 'golang', 'composer'].includes(purl.type) && purl.namespace)
      pkg.name = `${purl.namespace}/${purl.name}`;
    else pkg.name = purl.name;
    pkg.version = purl.version ?? d.version;
  }
  if (osType) {
    const q = purl?.qualifiers ?? {};
    if (q['arch']) pkg.arch = q['arch'];
    if (q['epoch'] && Number(q['epoch']) > 0) pkg.epoch = Number(q['epoch']);
    if (osType !== 'apk') {
      const i = pkg.version.lastIndexOf('-');
      if (i > 0) {
        pkg.release = pkg.version.slice(i + 1);
        pkg.version = pkg.version.slice(0, i);
      }
      pkg.version = pkg.version.replace(/^\d+:/, '');
    }
  }
  const src = d.props.get('SrcName');
  if (src) pkg.srcName = src;
  const srcVersion = d.props.get('SrcVersion');
  if (srcVersion) pkg.srcVersion = srcVersion;
  const srcRelease = d.props.get('SrcRelease');
  if (srcRelease) pkg.srcRelease = srcRelease;
  const srcEpoch = d.props.get('SrcEpoch');
  if (srcEpoch && Number(srcEpoch) > 0) pkg.srcEpoch = Number(srcEpoch);
  if (osType && !pkg.srcName) {
    pkg.srcName = pkg.name;
    pkg.srcVersion = pkg.version;
    if (pkg.release) pkg.srcRelease = pkg.release;
  }
  const id = d.props.get('PkgID');
  if (id) pkg.id = id;
  const filePath = d.props.get('FilePath');
  if (filePath) pkg.filePath = filePath;
  if (d.licenses.length > 0) pkg.licenses = d.licenses;
  if (osType) {
    const distro = purl?.qualifiers?.['distro'];
    return { set: { cls: 'os-pkgs', type: osType, filePath: '' }, pkg, ...(distro ? { distro } : {}) };
  }
  const type = pkgType ?? (purl ? DEFAULT_LANG_TYPE[purl.type] : undefined);
  if (!type) {
    diags.warn(
      'SBOM_UNKNOWN_TYPE',
      `component ${d.name}: no package type (purl or PkgType property); skipped`,
      { file },
    );
    return undefined;
  }
  return {
    set: {
      cls: 'lang-pkgs',
      type,
      filePath: filePath && !DEFAULT_LANG_TYPE[purl?.type ?? ''] ? filePath : '',
    },
    pkg,
  };
}

function group(
  drafts: PkgDraft[],
  diags: Diagnostics,
  file: string,
): { sets: PackageSet[]; distro?: string } {
  const sets = new Map<string, PackageSet>();
  let distro: string | undefined;
  for (const d of drafts) {
    const r = toPackage(d, diags, file);
    if (!r) continue;
    if (r.distro) distro = r.distro;
    const key = `${r.set.cls}\u0000${r.set.type}\u0000${r.set.filePath}`;
    let set = sets.get(key);
    if (!set) {
      set = { class: r.set.cls, type: r.set.type, filePath: r.set.filePath, packages: [] };
      sets.set(key, set);
    }
    set.packages.push(r.pkg);
  }
  return distro ? { sets: [...sets.values()], distro } : { sets: [...sets.values()] };
}

function osFromDistro(distro: string | undefined, osType: string | undefined): OSInfo | undefined {
  if (!distro) return undefined;
  const m = /^(.*?)-(\d.*)$/.exec(distro);
  if (m?.[1] && m[2]) return { family: m[1], name: m[2] };
  if (osType === 'apk') return { family: 'alpine', name: distro };
  return undefined;
}

export function decodeSbom(text: string, file: string): DecodedSbom {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new PalisadeError('E_PARSE', `not a JSON SBOM: ${(err as Error).message}`, { location: { file } });
  }
  if (doc === null || typeof doc !== 'object')
    throw new PalisadeError('E_PARSE', 'SBOM must be a JSON object', { location: { file } });
  const diags = new Diagnostics();
  if (doc['bomFormat'] === 'CycloneDX') {
    const meta = (doc['metadata'] ?? {}) as { component?: { name?: string; type?: string } };
    let os: OSInfo | undefined;
    const drafts: PkgDraft[] = [];
    const walk = (list: unknown, depth: number): void => {
      if (!Array.isArray(list) || depth > 32) return;
      for (const c of list as Record<string, unknown>[]) {
        if (c['type'] === 'operating-system') {
          if (typeof c['name'] === 'string' && typeof c['version'] === 'string')
            os = { family: c['name'], name: c['version'] };
        } else if (typeof c['name'] === 'string' && (c['purl'] !== undefined || c['type'] === 'library')) {
          const licenses: string[] = [];
          for (const l of (c['licenses'] as
            { license?: { id?: string; name?: string }; expression?: string }[] | undefined) ?? []) {
            const v = l.license?.id ?? l.license?.name ?? l.expression;
            if (v) licenses.push(v);
          }
          const draft: PkgDraft = {
            name: c['name'],
            version: typeof c['version'] === 'string' ? c['version'] : '',
            props: propMap(c['properties']),
            licenses,
          };
          if (typeof c['purl'] === 'string') draft.purl = c['purl'];
          drafts.push(draft);
        }
        walk(c['components'], depth + 1);
      }
    };
    walk(doc['components'], 0);
    const { sets, distro } = group(drafts, diags, file);
    os ??= osFromDistro(distro, sets.find((s) => s.class === 'os-pkgs')?.type);
    const out: DecodedSbom = {
      format: 'cyclonedx',
      artifact: { name: meta.component?.name ?? file, type: 'sbom' },
      packageSets: sets,
      diagnostics: diags,
    };
    if (os) out.os = os;
    return out;
  }
  if (typeof doc['spdxVersion'] === 'string') {
    const pkgs = (doc['packages'] as Record<string, unknown>[] | undefined) ?? [];
    let os: OSInfo | undefined;
    const drafts: PkgDraft[] = [];
    for (const p of pkgs) {
      if (p['primaryPackagePurpose'] === 'OPERATING-SYSTEM') {
        if (typeof p['name'] === 'string' && typeof p['versionInfo'] === 'string')
          os = { family: p['name'], name: p['versionInfo'] };
        continue;
      }
      const refs =
        (p['externalRefs'] as { referenceType?: string; referenceLocator?: string }[] | undefined) ?? [];
      const purl = refs.find((r) => r.referenceType === 'purl')?.referenceLocator;
      if (!purl || typeof p['name'] !== 'string') continue;
      const props = new Map<string, string>();
      for (const t of (p['attributionTexts'] as string[] | undefined) ?? []) {
        const m = /^(PkgType|FilePath|SrcName|SrcVersion|PkgID): (.*)$/.exec(t);
        if (m?.[1] && m[2] !== undefined) props.set(m[1], m[2]);
      }
      const declared =
        typeof p['licenseDeclared'] === 'string' && !['NOASSERTION', 'NONE'].includes(p['licenseDeclared'])
          ? [p['licenseDeclared']]
          : [];
      drafts.push({
        purl,
        name: p['name'],
        version: typeof p['versionInfo'] === 'string' ? p['versionInfo'] : '',
        props,
        licenses: declared,
      });
    }
    const { sets, distro } = group(drafts, diags, file);
    os ??= osFromDistro(distro, sets.find((s) => s.class === 'os-pkgs')?.type);
    const out: DecodedSbom = {
      format: 'spdx',
      artifact: { name: typeof doc['name'] === 'string' ? doc['name'] : file, type: 'sbom' },
      packageSets: sets,
      diagnostics: diags,
    };
    if (os) out.os = os;
    return out;
  }
  throw new PalisadeError(
    'E_UNSUPPORTED',
    'unrecognised SBOM: expected CycloneDX JSON (bomFormat) or SPDX JSON (spdxVersion)',
    {
      location: { file },
      hint: 'XML and tag-value SBOMs are not read yet; convert to JSON',
    },
  );
}

export async function readSbom(path: string): Promise<DecodedSbom> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new PalisadeError('E_NOT_FOUND', `cannot read SBOM ${path}`, { cause: err });
  }
  if (buf.length > MAX_SBOM_BYTES)
    throw new PalisadeError('E_LIMIT', `SBOM larger than ${MAX_SBOM_BYTES} bytes`, {
      location: { file: path },
    });
  return decodeSbom(buf.toString('utf8'), path);
}
