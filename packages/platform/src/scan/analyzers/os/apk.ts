/**
 * Alpine packages installed by apk (Trivy: fanal analyzer/pkg/apk).
 *
 * Reads lib/apk/db/installed, or usr/lib/apk/db/installed where Wolfi and
 * Chainguard images (merged /usr) keep it. The database is a list of
 * paragraphs of `X:value` lines (https://wiki.alpinelinux.org/wiki/Apk_spec);
 * a line shorter than two characters ends a paragraph.
 *
 * Fields, as Trivy fills them:
 * - `P:` name, `V:` version (the full `1.2.3-r4`), `id` = `name@version`;
 * - `o:` origin → `srcName`, with `srcVersion` = the package's version
 *   (no origin, no source fields);
 * - `A:` arch, `m:` maintainer;
 * - `L:` licenses, split and normalised (lib/os-license.ts);
 * - `C:` checksum → `digest`: `Q1`+base64 is SHA-1 (`sha1:<hex>`), plain
 *   base64 is MD5 (`md5:<hex>`);
 * - `D:` dependencies → `dependsOn`: each name or `so:`/`cmd:`/`pc:` provide
 *   (version constraints after `<`, `>` or `=` dropped, `!conflicts`
 *   skipped) resolved to the id of the installed package that is named so or
 *   provides it (`p:`), sorted and de-duplicated; unresolved ones are left out.
 *
 * A paragraph without a name or with a missing or invalid version is
 * dropped (with a warning); of several paragraphs with the same name the
 * first is kept. Trivy reads fields in file order, so a `p:` or `o:` line
 * before the `V:` line loses the version there; apk never writes that order
 * and Palisade resolves both once the paragraph is complete.
 */
import type { Package } from '@palisade/api';
import { laxSplitLicenses } from '../lib/os-license.js';
import { locationOf, scanLines } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

const requiredFiles = new Set(['lib/apk/db/installed', 'usr/lib/apk/db/installed']);
const maxWarningsPerFile = 50;

/**
 * An apk version as apk-tools reads it: `1.2.3`, optional letter, `_suffix[N]`
 * parts (alpha, beta, pre, rc, cvs, svn, git, hg, p) and an optional `-rN`.
 */
const apkVersion = /^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(-r[0-9]+)?$/;

export function isValidApkVersion(v: string): boolean {
  return apkVersion.test(v);
}

/** Drops a version constraint: `so:libssl.so.3=3.0` → `so:libssl.so.3`, `musl>=1.2` → `musl`. */
function trimConstraint(s: string): string {
  const i = s.search(/[<>=]/);
  return i >= 0 ? s.slice(0, i) : s;
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `C:` checksum → `sha1:<hex>` (Q1 prefix) or `md5:<hex>`; undefined when not base64. */
export function decodeApkChecksum(value: string): string | undefined {
  let alg = 'md5';
  let b64 = value;
  if (b64.startsWith('Q1')) {
    alg = 'sha1';
    b64 = b64.slice(2);
  }
  if (!base64.test(b64)) return undefined;
  return `${alg}:${Buffer.from(b64, 'base64').toString('hex')}`;
}

interface Draft {
  line: number;
  name: string;
  version: string;
  invalidVersion?: string;
  origin?: string;
  arch?: string;
  maintainer?: string;
  licenses?: string[];
  digest?: string;
  depends: string[];
  provides: string[];
}

function newDraft(line: number): Draft {
  return { line, name: '', version: '', depends: [], provides: [] };
}

function isEmptyDraft(d: Draft): boolean {
  return (
    d.name === '' &&
    d.version === '' &&
    d.invalidVersion === undefined &&
    d.origin === undefined &&
    d.depends.length === 0 &&
    d.provides.length === 0
  );
}

/** Parses an apk installed database. */
export function parseApkInstalled(path: string, text: string, ctx: AnalyzerContext): Package[] {
  let warnings = 0;
  const warn = (code: string, message: string, line: number): void => {
    warnings++;
    if (warnings <= maxWarningsPerFile) ctx.diagnostics.warn(code, message, locationOf(ctx, path, line));
  };

  const drafts: Draft[] = [];
  let d = newDraft(1);
  const lines = scanLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.length < 2) {
      if (!isEmptyDraft(d)) drafts.push(d);
      d = newDraft(i + 2);
      continue;
    }
    const value = line.slice(2);
    switch (line.slice(0, 2)) {
      case 'P:':
        d.name = value;
        break;
      case 'V:':
        if (isValidApkVersion(value)) d.version = value;
        else d.invalidVersion = value;
        break;
      case 'o:':
        d.origin = value;
        break;
      case 'A:':
        d.arch = value;
        break;
      case 'm:':
        d.maintainer = value;
        break;
      case 'L:':
        d.licenses = laxSplitLicenses(value);
        break;
      case 'C:': {
        const digest = decodeApkChecksum(value);
        if (digest !== undefined) d.digest = digest;
        break;
      }
      case 'D:':
        d.depends = value
          .split(/\s+/)
          .filter((w) => w !== '' && !w.startsWith('!'))
          .map(trimConstraint);
        break;
      case 'p:':
        d.provides.push(
          ...value
            .split(/\s+/)
            .filter((w) => w !== '')
            .map(trimConstraint),
        );
        break;
      default:
        break;
    }
  }
  if (!isEmptyDraft(d)) drafts.push(d);

  // name or provide → id; later paragraphs win, as in Trivy's single pass.
  const provides = new Map<string, string>();
  const kept: { draft: Draft; pkg: Package }[] = [];
  const seen = new Set<string>();
  for (const draft of drafts) {
    if (draft.name === '' || draft.version === '') {
      const what =
        draft.name === ''
          ? 'no name (P:)'
          : draft.invalidVersion !== undefined
            ? `${draft.name}: invalid version ${JSON.stringify(draft.invalidVersion)}`
            : `${draft.name}: no version (V:)`;
      warn(
        draft.invalidVersion !== undefined ? 'APK_INVALID_VERSION' : 'APK_MISSING_FIELD',
        `package skipped: ${what}`,
        draft.line,
      );
      continue;
    }
    const id = `${draft.name}@${draft.version}`;
    for (const p of draft.provides) provides.set(p, id);
    provides.set(draft.name, id);
    if (seen.has(draft.name)) continue;
    seen.add(draft.name);

    const pkg: Package = { id, name: draft.name, version: draft.version };
    if (draft.arch !== undefined && draft.arch !== '') pkg.arch = draft.arch;
    if (draft.origin !== undefined) {
      pkg.srcName = draft.origin;
      pkg.srcVersion = draft.version;
    }
    if (draft.licenses && draft.licenses.length > 0) pkg.licenses = draft.licenses;
    if (draft.maintainer !== undefined && draft.maintainer !== '') pkg.maintainer = draft.maintainer;
    if (draft.digest !== undefined) pkg.digest = draft.digest;
    kept.push({ draft, pkg });
  }
  if (warnings > maxWarningsPerFile) {
    ctx.diagnostics.warn(
      'APK_MORE_WARNINGS',
      `${warnings - maxWarningsPerFile} more warnings in this file were not listed`,
      locationOf(ctx, path),
    );
  }

  return kept.map(({ draft, pkg }) => {
    const ids = new Set<string>();
    for (const dep of draft.depends) {
      const target = provides.get(dep);
      if (target !== undefined) ids.add(target);
    }
    if (ids.size > 0) pkg.dependsOn = [...ids].sort();
    return pkg;
  });
}

export const analyzer: Analyzer = {
  name: 'os/apk',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  required: (path) => requiredFiles.has(path),
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    return {
      packageSets: files.map((f) => ({
        class: 'os-pkgs' as const,
        type: 'apk',
        filePath: f.path,
        packages: parseApkInstalled(f.path, decodeText(f.content), ctx),
      })),
    };
  },
};
