/**
 * Go module versions, as golang.org/x/mod/semver reads and orders them:
 * SemVer 2.0 precedence (semver.ts) with Go's syntax: `vMAJOR[.MINOR[.PATCH
 * [-pre][+build]]]`, where `v1` and `v1.2` are shorthands for `v1.0.0` and
 * `v1.2.0` (without pre-release or build), and numbers have no leading zeros.
 * The leading `v` is optional here, because OSV's Go records drop it
 * (`1.2.3`) while go.mod and binaries keep it (`v1.2.3`).
 *
 * `+incompatible` (a v2+ module without a go.mod) is build metadata and so
 * does not take part in ordering: v2.0.0+incompatible = v2.0.0. A pseudo-version
 * (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`,
 * `v1.2.3-pre.0.20191109021931-daa7c04131f5`) is a pre-release of the version
 * after its base, so it sorts after the base and before the next release, as
 * the go command orders it.
 */
import { MAX_VERSION_LENGTH, type VersionScheme } from './scheme.js';
import { compareSemver, type SemVer } from './semver.js';

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const GO_RE = new RegExp(
  `^v?${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?)?)?$`,
);

/** Parses a Go module version (with or without its leading `v`). */
export function parseGo(text: string): SemVer | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const m = GO_RE.exec(text);
  if (!m) return undefined;
  const pre = m[4] === undefined ? [] : m[4].split('.');
  if (pre.some((id) => id.length > 1 && id.charCodeAt(0) === 48 && /^[0-9]+$/.test(id))) return undefined;
  return {
    major: m[1] ?? '0',
    minor: m[2] ?? '0',
    patch: m[3] ?? '0',
    pre,
    build: m[5] === undefined ? [] : m[5].split('.'),
  };
}

const PSEUDO_TAIL = /^[0-9]{14}-[A-Za-z0-9]+$/;

/**
 * Is the version a pseudo-version (a commit without a tag)? x/mod/module's
 * pattern, read on the parsed identifiers: the last pre-release identifier is
 * `yyyymmddhhmmss-revision`, after `.0` (a base release or pre-release) or
 * alone on `vX.0.0`.
 */
export function isPseudoVersion(text: string): boolean {
  const v = parseGo(text);
  if (!v || v.pre.length === 0 || !PSEUDO_TAIL.test(v.pre[v.pre.length - 1] ?? '')) return false;
  if (v.pre.length === 1) return v.minor === '0' && v.patch === '0';
  return v.pre[v.pre.length - 2] === '0';
}

/** Is the version a v2+ release of a module that has no go.mod (`+incompatible`)? */
export function isIncompatible(text: string): boolean {
  const v = parseGo(text);
  return v !== undefined && v.build.length === 1 && v.build[0] === 'incompatible';
}

export const go: VersionScheme<SemVer> = { name: 'go', parse: parseGo, compare: compareSemver };
