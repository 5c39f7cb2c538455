/**
 * Ruby: Gemfile.lock and installed gem specifications, read as Trivy's
 * bundler and gemspec parsers read them.
 *
 * Gemfile.lock (line scanner, indentation-driven):
 * - a line indented by exactly 4 spaces with two fields is a spec
 *   `name (version)`; the platform suffix is dropped (`1.13.6-x86_64-linux` →
 *   `1.13.6`); specs of every source (GEM, GIT, PATH) count; a later spec with
 *   the same name replaces an earlier one;
 * - lines indented by 6 spaces under a spec are its dependencies (names);
 * - the names under DEPENDENCIES are direct, everything else indirect;
 * - locations are the spec's line (with Trivy's line counting, which stops
 *   counting inside the DEPENDENCIES section).
 *
 * gemspec (regular expressions over the Ruby source, no evaluation): the
 * variable of `Gem::Specification.new do |s|`, then `s.name`, `s.version`,
 * `s.license` / `s.licenses` on lines that start with it.
 */
import type { Package } from '@palisade/api';
import { splitLicenses } from './licensing.js';

export function gemPackageId(name: string, version: string): string {
  return version === '' ? name : `${name}@${version}`;
}

function leadingSpaces(line: string): number {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

function fields(s: string): string[] {
  return s.split(/\s+/).filter((x) => x !== '');
}

/** Splits like bufio.ScanLines: `\n` separated, a trailing `\r` dropped, no empty last line. */
function scanLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function parseGemfileLock(text: string): Package[] {
  const pkgs = new Map<string, Package>();
  const deps = new Map<string, string[]>();
  let directDeps: string[] = [];
  let dependsOn: string[] = [];
  let pkgId = '';
  let lineNum = 1;
  const lines = scanLines(text);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const lead = leadingSpaces(line);
    if (lead === 4) {
      if (dependsOn.length > 0) deps.set(pkgId, dependsOn);
      dependsOn = [];
      line = line.trim();
      const s = fields(line);
      // Trivy's `continue` here also skips its line counter.
      if (s.length !== 2) continue;
      // Drop the parentheses and the platform (1.13.6-x86_64-linux → 1.13.6).
      const version = s[1]!.replace(/^[()]+|[()]+$/g, '').split('-')[0]!;
      const name = s[0]!;
      pkgId = gemPackageId(name, version);
      pkgs.set(name, {
        id: pkgId,
        name,
        version,
        relationship: 'indirect',
        locations: [{ startLine: lineNum, endLine: lineNum }],
      });
    }
    if (leadingSpaces(line) === 6) {
      line = line.trim();
      const s = fields(line);
      if (s.length > 0) dependsOn.push(s[0]!);
    }
    lineNum++;
    if (line === 'DEPENDENCIES') {
      // The section runs while lines are indented by exactly 2 spaces; the line that ends it is consumed.
      directDeps = [];
      for (i++; i < lines.length; i++) {
        const l = lines[i]!;
        if (leadingSpaces(l) !== 2) break;
        const ss = fields(l);
        if (ss.length > 0) directDeps.push(ss[0]!);
      }
    }
  }
  if (dependsOn.length > 0) deps.set(pkgId, dependsOn);
  for (const d of directDeps) {
    const p = pkgs.get(d);
    if (p) p.relationship = 'direct';
  }
  const byId = new Map<string, Package>();
  for (const p of pkgs.values()) byId.set(p.id!, p);
  for (const [id, names] of deps) {
    const p = byId.get(id);
    if (!p) continue;
    const ids = names.flatMap((n) => {
      const d = pkgs.get(n);
      return d ? [gemPackageId(n, d.version)] : [];
    });
    if (ids.length > 0) p.dependsOn = ids;
  }
  return [...pkgs.values()];
}

// ---------------------------------------------------------------- gemspec

const SPEC_NEW = 'Gem::Specification.new';
const NEW_VAR = /\|(.*)\|/;
const NAME = /\.name\s*=\s*(\S+)/;
const VERSION = /\.version\s*=\s*(\S+)/;
const LICENSE = /\.license\s*=\s*(\S+)/;
const LICENSES = /\.licenses\s*=\s*\[(.+)\]/;

/** Trims spaces, a `.freeze` suffix and quotes: `"async".freeze` → `async`. */
function trimValue(s: string): string {
  let v = s.trim();
  if (v.endsWith('.freeze')) v = v.slice(0, -'.freeze'.length);
  return v.replace(/^['"]+|['"]+$/g, '');
}

function sub(re: RegExp, line: string): string {
  return re.exec(line)?.[1] ?? '';
}

export interface Gemspec {
  name: string;
  version: string;
  licenses: string[];
}

/** Parses a gemspec; undefined when the name or the version cannot be found (Trivy: "failed to parse gemspec"). */
export function parseGemspec(text: string): Gemspec | undefined {
  let newVar = '';
  let name = '';
  let version = '';
  let license = '';
  for (const raw of scanLines(text)) {
    const line = raw.trim();
    if (line.includes(SPEC_NEW)) newVar = sub(NEW_VAR, line);
    if (newVar === '') continue;
    if (line.startsWith(`${newVar}.name`)) name = trimValue(sub(NAME, line));
    else if (line.startsWith(`${newVar}.version`)) version = trimValue(sub(VERSION, line));
    else if (line.startsWith(`${newVar}.licenses`)) {
      license = sub(LICENSES, line)
        .split(',')
        .map((l) => trimValue(l))
        .join(', ');
    } else if (line.startsWith(`${newVar}.license`)) license = trimValue(sub(LICENSE, line));
    if (name !== '' && version !== '' && license !== '') break;
  }
  if (name === '' || version === '') return undefined;
  return { name, version, licenses: splitLicenses(license) };
}
