/**
 * SPDX 2.3 JSON. Each package has a purl external reference; the artifact
 * DESCRIBES relationship is on the document, and the artifact CONTAINS the
 * operating system and every package.
 */
import { randomUUID } from 'node:crypto';
import type { InventoryReport } from '@palisade/api';
import { flatten, shortHash, TOOL_NAME, TOOL_VERSION } from './sbom-common.js';

function spdxId(kind: string, key: string): string {
  return `SPDXRef-${kind}-${shortHash(key)}`;
}

export function inventorySpdx(report: InventoryReport): string {
  const a = report.artifact;
  const rootId = spdxId(a.type === 'container_image' ? 'ContainerImage' : 'Filesystem', a.name);
  const packages: Record<string, unknown>[] = [];
  const relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId },
  ];
  const rootPkg: Record<string, unknown> = {
    name: a.name,
    SPDXID: rootId,
    downloadLocation: 'NONE',
    filesAnalyzed: false,
    primaryPackagePurpose: a.type === 'container_image' ? 'CONTAINER' : 'SOURCE',
    attributionTexts: [
      ...(a.imageId ? [`ImageID: ${a.imageId}`] : []),
      ...(a.repoDigests ?? []).map((d) => `RepoDigest: ${d}`),
      ...(a.diffIds ?? []).map((d) => `DiffID: ${d}`),
    ],
  };
  packages.push(rootPkg);
  let osId: string | undefined;
  if (report.os) {
    osId = spdxId('OperatingSystem', `${report.os.family}-${report.os.name}`);
    packages.push({
      name: report.os.family,
      SPDXID: osId,
      versionInfo: report.os.name,
      downloadLocation: 'NONE',
      filesAnalyzed: false,
      primaryPackagePurpose: 'OPERATING-SYSTEM',
    });
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }
  for (const f of flatten(report)) {
    const p = f.pkg;
    const id = spdxId('Package', f.ref);
    const version = p.epoch
      ? `${p.epoch}:${p.version}${p.release ? `-${p.release}` : ''}`
      : p.release
        ? `${p.version}-${p.release}`
        : p.version;
    const licenses =
      p.licenses && p.licenses.length > 0
        ? p.licenses
            .map((l) => (/^[A-Za-z0-9.+-]+$/.test(l) ? l : `LicenseRef-${shortHash(l)}`))
            .join(' AND ')
        : 'NOASSERTION';
    const sp: Record<string, unknown> = {
      name: p.name,
      SPDXID: id,
      versionInfo: version,
      downloadLocation: 'NONE',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared:
        licenses === 'NOASSERTION' || licenses.includes('LicenseRef-') ? 'NOASSERTION' : licenses,
      primaryPackagePurpose: 'LIBRARY',
      attributionTexts: [
        `PkgType: ${f.result.type}`,
        ...(p.filePath ? [`FilePath: ${p.filePath}`] : []),
        ...(p.layer ? [`LayerDiffID: ${p.layer.diffId}`] : []),
      ],
    };
    if (p.srcName)
      sp['sourceInfo'] =
        `built package from: ${p.srcName} ${p.srcVersion ?? ''}${p.srcRelease ? `-${p.srcRelease}` : ''}`.trim();
    if (f.purl)
      sp['externalRefs'] = [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: f.purl },
      ];
    if (p.digest) {
      const [alg, value] = p.digest.split(':');
      const algorithm = { sha1: 'SHA1', sha256: 'SHA256', sha512: 'SHA512', md5: 'MD5' }[alg ?? ''];
      if (algorithm && value) sp['checksums'] = [{ algorithm, checksumValue: value }];
    }
    packages.push(sp);
    const parent = f.result.class === 'os-pkgs' && osId ? osId : rootId;
    relationships.push({ spdxElementId: parent, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: a.name,
    documentNamespace: `https://palisade.dev/spdx/${encodeURIComponent(a.name)}-${randomUUID()}`,
    creationInfo: {
      creators: [`Tool: ${TOOL_NAME}-${TOOL_VERSION}`],
      created: report.createdAt.replace(/\.\d+Z$/, 'Z'),
    },
    packages,
    relationships,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
