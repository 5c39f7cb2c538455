/**
 * Gradle dependency verification, gradle/verification-metadata.xml (Trivy:
 * fanal analyzer `gradle-verification-metadata`): every
 * `<component group name version>` is a package `group:name`. Source trees only.
 */
import type { Package } from '@palisade/api';
import type * as FastXml from 'fast-xml-parser';
import { lazy } from '../../../core/lazy.js';

const xml = lazy<typeof FastXml>('fast-xml-parser');
import { sortPackages } from '../lib/package-order.js';
import { mavenPackageId } from '../lib/java.js';
import { parseXmlDocument, xmlChild, xmlChildren } from '../lib/java-pom.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';

export function parseVerificationMetadata(
  text: string,
): { ok: true; packages: Package[] } | { ok: false; message: string; line?: number } {
  const checked = parseXmlDocument(text);
  if (!checked.ok) return checked;
  const doc: unknown = new (xml().XMLParser)({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseAttributeValue: false,
    isArray: (n) => n === 'component',
  }).parse(text);
  const attr = (n: unknown, k: string): string => {
    const v = typeof n === 'object' && n !== null ? (n as Record<string, unknown>)[`@_${k}`] : undefined;
    return typeof v === 'string' ? v : '';
  };
  const packages: Package[] = [];
  for (const c of xmlChildren(xmlChild(xmlChild(doc, 'verification-metadata'), 'components'), 'component')) {
    const group = attr(c, 'group');
    const name = attr(c, 'name');
    const version = attr(c, 'version');
    if (group === '' || name === '' || version === '') continue;
    packages.push({ id: mavenPackageId(`${group}:${name}`, version), name: `${group}:${name}`, version });
  }
  return { ok: true, packages };
}

export const analyzer: Analyzer = {
  name: 'lang/gradle-verification-metadata',
  version: 1,
  targets: ['fs'],
  mode: 'file',
  maxFileSize: 64 * 1024 * 1024,
  required(path) {
    return baseName(path) === 'verification-metadata.xml';
  },
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    const packageSets = [];
    for (const f of files) {
      const res = parseVerificationMetadata(decodeText(f.content));
      if (!res.ok) {
        ctx.diagnostics.warn(
          'GRADLE_VERIFICATION_MALFORMED',
          `not a readable verification-metadata.xml: ${res.message}`,
          {
            file: f.path,
            ...(res.line !== undefined ? { line: res.line } : {}),
          },
        );
        continue;
      }
      if (res.packages.length === 0) continue;
      packageSets.push({
        class: 'lang-pkgs' as const,
        type: 'gradle',
        filePath: f.path,
        packages: sortPackages(res.packages),
      });
    }
    return { packageSets };
  },
};
