/**
 * PHP Composer: composer.lock and vendor/composer/installed.json share
 * Trivy's composer parser: `packages` (then `packages-dev`, marked dev; a
 * package already listed as production wins), licenses as a string (split)
 * or a list, locations as the line range of each package object, and
 * dependsOn from `require` (without `php` and `ext-*` platform entries) for
 * packages the file lists. composer.json's `require` and `require-dev` then
 * tell direct from indirect dependencies.
 */
import type { Package } from '@palisade/api';
import type { JsonValue } from './json-located.js';
import { isJsonObject, parseJsonLocated } from './json-located.js';
import { splitLicenses } from './licensing.js';

export function composerPackageId(name: string, version: string): string {
  return version === '' ? name : `${name}@${version}`;
}

function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

function licenses(v: JsonValue | undefined): string[] {
  if (typeof v === 'string') return v === '' ? [] : splitLicenses(v);
  if (Array.isArray(v)) return v.filter((l): l is string => typeof l === 'string');
  return [];
}

export type ComposerParseResult =
  { ok: true; packages: Package[] } | { ok: false; message: string; line?: number };

/**
 * Parses composer.lock or installed.json (Composer 2 layout: an object with a
 * `packages` list). Throws nothing: malformed JSON and other layouts are
 * returned as errors.
 */
export function parseComposerLock(text: string): ComposerParseResult {
  let doc;
  try {
    doc = parseJsonLocated(text);
  } catch (err) {
    const e = err as { message: string; line?: number };
    return e.line !== undefined
      ? { ok: false, message: e.message, line: e.line }
      : { ok: false, message: e.message };
  }
  if (!isJsonObject(doc.value)) return { ok: false, message: 'not a JSON object with a packages list' };
  const root = doc.value;
  const pkgs = new Map<string, Package>();
  const found = new Map<string, string[]>();
  for (const [key, dev] of [
    ['packages', false],
    ['packages-dev', true],
  ] as const) {
    const list = root[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return { ok: false, message: `${key} is not a list` };
    for (const item of list) {
      if (!isJsonObject(item)) continue;
      const name = str(item['name']);
      if (pkgs.has(name)) continue;
      const version = str(item['version']);
      const pkg: Package = { id: composerPackageId(name, version), name, version, relationship: 'unknown' };
      const lic = licenses(item['license']);
      if (lic.length > 0) pkg.licenses = lic;
      const range = doc.rangeOf(item);
      if (range) pkg.locations = [{ startLine: range.startLine, endLine: range.endLine }];
      if (dev) pkg.dev = true;
      pkgs.set(name, pkg);
      const require = item['require'];
      if (isJsonObject(require)) {
        const names = Object.keys(require).filter((n) => n !== 'php' && !n.startsWith('ext-'));
        if (names.length > 0) found.set(pkg.id!, names);
      }
    }
  }
  const byId = new Map<string, Package>();
  for (const p of pkgs.values()) byId.set(p.id!, p);
  for (const [id, names] of found) {
    const ids = names.flatMap((n) => {
      const d = pkgs.get(n);
      return d ? [d.id!] : [];
    });
    const p = byId.get(id);
    if (p && ids.length > 0) p.dependsOn = ids.sort();
  }
  return { ok: true, packages: [...pkgs.values()] };
}

/** Names in composer.json's `require` and `require-dev`; an error message when it does not parse. */
export function composerJsonDirect(text: string): Set<string> | string {
  let doc;
  try {
    doc = parseJsonLocated(text);
  } catch (err) {
    return (err as Error).message;
  }
  if (!isJsonObject(doc.value)) return 'composer.json is not a JSON object';
  const out = new Set<string>();
  for (const key of ['require', 'require-dev']) {
    const r = doc.value[key];
    if (isJsonObject(r)) for (const n of Object.keys(r)) out.add(n);
  }
  return out;
}

/** Marks packages direct when composer.json requires them, indirect otherwise. */
export function applyComposerJson(pkgs: readonly Package[], direct: ReadonlySet<string>): Package[] {
  return pkgs.map((p) => ({ ...p, relationship: direct.has(p.name) ? 'direct' : 'indirect' }));
}
