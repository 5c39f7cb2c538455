/**
 * Gradle dependency verification, gradle/verification-metadata.xml (Trivy:
 * fanal analyzer `gradle-verification-metadata`): every
 * `<component group name version>` is a package `group:name`. Source trees only.
 */
import type { Package } from '@palisade/api';
import type { ParsedPackages } from '../lib/file-analyzer.js';
import { fileAnalyzer } from '../lib/file-analyzer.js';
import { mavenPackageId } from '../lib/java.js';
import { attributeXmlParser, loadXml, xmlAttr, xmlChild, xmlChildren } from '../lib/xml-load.js';
import { baseName } from '../types.js';

const gradleXml = attributeXmlParser(['component']);

export function parseVerificationMetadata(text: string): ParsedPackages {
  const loaded = loadXml(text, gradleXml());
  if (!loaded.ok) return loaded;
  const packages: Package[] = [];
  const components = xmlChild(xmlChild(loaded.doc, 'verification-metadata'), 'components');
  for (const c of xmlChildren(components, 'component')) {
    const group = xmlAttr(c, 'group');
    const name = xmlAttr(c, 'name');
    const version = xmlAttr(c, 'version');
    if (group === '' || name === '' || version === '') continue;
    packages.push({ id: mavenPackageId(`${group}:${name}`, version), name: `${group}:${name}`, version });
  }
  return { ok: true, packages };
}

export const analyzer = fileAnalyzer({
  name: 'lang/gradle-verification-metadata',
  version: 1,
  targets: ['fs'],
  maxFileSize: 64 * 1024 * 1024,
  required: (path) => baseName(path) === 'verification-metadata.xml',
  type: 'gradle',
  what: 'verification-metadata.xml',
  malformedCode: 'GRADLE_VERIFICATION_MALFORMED',
  parse: parseVerificationMetadata,
});
