/**
 * CycloneDX 1.6 JSON. Components carry Palisade's package details as
 * `palisade:*` properties (the same names Trivy uses under `aquasecurity:trivy:`),
 * so an SBOM read back (`palisade sbom sbom.cdx.json`) rebuilds the inventory.
 */
import { randomUUID } from 'node:crypto';
import type { InventoryReport } from '@palisade/api';
import type { FlatPackage } from './sbom-common.js';
import { flatten, pkgId, TOOL_NAME, TOOL_VERSION } from './sbom-common.js';

type Props = { name: string; value: string }[];

function props(entries: [string, string | number | undefined][]): Props {
  return entries
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '')
    .map(([name, value]) => ({ name: `palisade:${name}`, value: String(value) }));
}

function component(f: FlatPackage): Record<string, unknown> {
  const p = f.pkg;
  const c: Record<string, unknown> = {
    'bom-ref': f.ref,
    type: 'library',
    name: p.name,
    version: p.epoch
      ? `${p.epoch}:${p.version}${p.release ? `-${p.release}` : ''}`
      : p.release
        ? `${p.version}-${p.release}`
        : p.version,
  };
  if (p.digest) {
    const [alg, content] = p.digest.split(':');
    const algName = { sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512', md5: 'MD5' }[alg ?? ''];
    if (algName && content) c['hashes'] = [{ alg: algName, content }];
  }
  if (p.licenses && p.licenses.length > 0) c['licenses'] = p.licenses.map((l) => ({ license: { name: l } }));
  if (f.purl) c['purl'] = f.purl;
  c['properties'] = props([
    ['PkgID', p.id],
    ['PkgType', f.result.type],
    ['FilePath', p.filePath],
    ['SrcName', p.srcName],
    ['SrcVersion', p.srcVersion],
    ['SrcRelease', p.srcRelease],
    ['SrcEpoch', p.srcEpoch],
    ['LayerDigest', p.layer?.digest],
    ['LayerDiffID', p.layer?.diffId],
  ]);
  return c;
}

export function inventoryCycloneDX(report: InventoryReport): string {
  const flat = flatten(report);
  const rootRef = randomUUID();
  const a = report.artifact;
  const root: Record<string, unknown> = {
    'bom-ref': rootRef,
    type: a.type === 'container_image' ? 'container' : 'application',
    name: a.name,
    properties: props([
      ['SchemaVersion', 1],
      ['ImageID', a.imageId],
      ...(a.repoDigests ?? []).map((d): [string, string] => ['RepoDigest', d]),
      ...(a.repoTags ?? []).map((t): [string, string] => ['RepoTag', t]),
      ...(a.diffIds ?? []).map((d): [string, string] => ['DiffID', d]),
    ]),
  };
  const components: Record<string, unknown>[] = [];
  const dependencies: { ref: string; dependsOn: string[] }[] = [];
  const rootDeps: string[] = [];

  let osRef: string | undefined;
  if (report.os) {
    osRef = randomUUID();
    components.push({
      'bom-ref': osRef,
      type: 'operating-system',
      name: report.os.family,
      version: report.os.name,
      properties: props([
        ['Class', 'os-pkgs'],
        ['Type', report.os.family],
      ]),
    });
    rootDeps.push(osRef);
  }
  const osDeps: string[] = [];
  for (const result of report.results) {
    const inResult = flat.filter((f) => f.result === result);
    const byId = new Map(inResult.map((f) => [pkgId(f.pkg), f.ref]));
    let parent = result.class === 'os-pkgs' ? osRef : undefined;
    if (result.class === 'lang-pkgs') {
      parent = randomUUID();
      components.push({
        'bom-ref': parent,
        type: 'application',
        name: result.target,
        properties: props([
          ['Class', 'lang-pkgs'],
          ['Type', result.type],
        ]),
      });
      rootDeps.push(parent);
    }
    const parentDeps: string[] = [];
    for (const f of inResult) {
      components.push(component(f));
      const deps = (f.pkg.dependsOn ?? [])
        .map((id) => byId.get(id))
        .filter((r): r is string => r !== undefined);
      dependencies.push({ ref: f.ref, dependsOn: [...new Set(deps)].sort() });
      parentDeps.push(f.ref);
    }
    if (parent === undefined) rootDeps.push(...parentDeps);
    else if (parent === osRef) osDeps.push(...parentDeps);
    else dependencies.push({ ref: parent, dependsOn: parentDeps });
  }
  if (osRef) dependencies.push({ ref: osRef, dependsOn: osDeps });
  dependencies.unshift({ ref: rootRef, dependsOn: rootDeps });

  const bom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: report.createdAt,
      tools: {
        components: [{ type: 'application', group: 'palisade', name: TOOL_NAME, version: TOOL_VERSION }],
      },
      component: root,
    },
    components,
    dependencies,
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}
