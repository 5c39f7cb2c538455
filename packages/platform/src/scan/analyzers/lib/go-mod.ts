/**
 * go.mod and go.sum, read as Trivy reads them (golang.org/x/mod/modfile for
 * the syntax, then Trivy's mod and sum parsers for the packages):
 * - the main module is the root (no version);
 * - requires are direct, or indirect when marked `// indirect`; before Go 1.17
 *   indirect requires are skipped (go.sum fills them in, see mergeGoSum);
 * - `replace` applies to a required module (and only to the matching version
 *   when the left side has one); a replacement by a local path drops the module;
 * - `stdlib` at the `toolchain` (or `go` ≥ 1.21) version only when asked for
 *   (Trivy's comprehensive detection priority).
 */
import type { Package } from '@palisade/api';
import { quotedPrefix } from './go-buildinfo.js';
import { goPackageId } from './go-binary.js';

export interface GoModRequire {
  path: string;
  version: string;
  indirect: boolean;
  line: number;
}

export interface GoModReplace {
  oldPath: string;
  oldVersion: string;
  newPath: string;
  newVersion: string;
  line: number;
}

export interface GoModFile {
  module?: { path: string; line: number };
  go?: string;
  toolchain?: string;
  requires: GoModRequire[];
  replaces: GoModReplace[];
  errors: { line: number; message: string }[];
}

interface Token {
  text: string;
  /** Quoted strings are values, never keywords or parentheses. */
  quoted: boolean;
  line: number;
}

interface Stmt {
  tokens: Token[];
  /** Text of the comment on the statement's line, without `//`. */
  comment?: string;
  line: number;
}

const MAX_STATEMENTS = 200_000;

/**
 * Splits go.mod text into statements; a `verb (` … `)` block becomes one
 * statement per inner line, each prefixed with the verb, as modfile does.
 */
function statements(text: string, errors: GoModFile['errors']): Stmt[] {
  const out: Stmt[] = [];
  const lines = text.split('\n');
  let block: Token | undefined;
  for (let n = 0; n < lines.length && out.length < MAX_STATEMENTS; n++) {
    const lineNo = n + 1;
    const lexed = lexLine(lines[n]!.replace(/\r$/, ''), lineNo);
    if (typeof lexed === 'string') {
      errors.push({ line: lineNo, message: lexed });
      continue;
    }
    const { tokens, comment } = lexed;
    if (block) {
      if (tokens.length === 1 && tokens[0]!.text === ')' && !tokens[0]!.quoted) {
        block = undefined;
        continue;
      }
      if (tokens.length === 0) continue;
      if (tokens.some((t) => !t.quoted && (t.text === '(' || t.text === ')'))) {
        errors.push({ line: lineNo, message: 'unexpected parenthesis in block' });
        continue;
      }
      out.push(
        comment === undefined
          ? { tokens: [block, ...tokens], line: lineNo }
          : { tokens: [block, ...tokens], comment, line: lineNo },
      );
      continue;
    }
    if (tokens.length === 0) continue;
    const last = tokens[tokens.length - 1]!;
    if (tokens.length === 2 && last.text === '(' && !last.quoted) {
      block = tokens[0];
      continue;
    }
    if (tokens.length === 3 && tokens[1]!.text === '(' && tokens[2]!.text === ')') continue; // `require ()`
    out.push(comment === undefined ? { tokens, line: lineNo } : { tokens, comment, line: lineNo });
  }
  if (block) errors.push({ line: lines.length, message: `unterminated ${block.text} block` });
  return out;
}

function lexLine(line: string, lineNo: number): { tokens: Token[]; comment?: string } | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (line.startsWith('//', i)) return { tokens, comment: line.slice(i + 2) };
    if (c === '(' || c === ')') {
      tokens.push({ text: c, quoted: false, line: lineNo });
      i++;
      continue;
    }
    if (c === '"' || c === '`') {
      const q = quotedPrefix(line.slice(i));
      if (!q) return 'unterminated or invalid quoted string';
      tokens.push({ text: q.value, quoted: true, line: lineNo });
      i += q.raw.length;
      continue;
    }
    let j = i;
    while (j < line.length && !' \t\r()"`'.includes(line[j]!) && !line.startsWith('//', j)) j++;
    const word = line.slice(i, j);
    // `a=>b` without spaces still has an arrow.
    const parts = word.split(/(=>)/).filter((p) => p !== '');
    for (const p of parts) tokens.push({ text: p, quoted: false, line: lineNo });
    i = j;
  }
  return { tokens };
}

function isIndirect(comment: string | undefined): boolean {
  if (comment === undefined) return false;
  const f = comment.trim();
  return f === 'indirect' || f.startsWith('indirect;');
}

const KNOWN = new Set([
  'module',
  'go',
  'toolchain',
  'godebug',
  'require',
  'exclude',
  'replace',
  'retract',
  'tool',
  'ignore',
]);

/** Parses go.mod text. Syntax errors are collected (with lines); what parses is kept. */
export function parseGoModFile(text: string): GoModFile {
  const f: GoModFile = { requires: [], replaces: [], errors: [] };
  for (const st of statements(text, f.errors)) {
    const [verbTok, ...args] = st.tokens;
    const verb = verbTok!.text;
    const err = (message: string): void => {
      f.errors.push({ line: st.line, message });
    };
    if (verbTok!.quoted || !KNOWN.has(verb)) {
      err(`unknown directive: ${verb}`);
      continue;
    }
    const words = args.map((a) => a.text);
    switch (verb) {
      case 'module':
        if (words.length !== 1) err('usage: module module/path');
        else if (f.module) err('repeated module statement');
        else f.module = { path: words[0]!, line: st.line };
        break;
      case 'go':
        if (words.length !== 1) err('usage: go 1.23');
        else if (f.go !== undefined) err('repeated go statement');
        else f.go = words[0]!;
        break;
      case 'toolchain':
        if (words.length !== 1) err('usage: toolchain go1.23.4');
        else f.toolchain = words[0]!;
        break;
      case 'require':
        if (words.length !== 2) err('usage: require module/path v1.2.3');
        else if (!words[1]!.startsWith('v')) err(`invalid module version ${words[1]}`);
        else
          f.requires.push({
            path: words[0]!,
            version: words[1]!,
            indirect: isIndirect(st.comment),
            line: st.line,
          });
        break;
      case 'replace': {
        const arrow = args.findIndex((a) => a.text === '=>' && !a.quoted);
        const left = arrow < 0 ? [] : words.slice(0, arrow);
        const right = arrow < 0 ? [] : words.slice(arrow + 1);
        if (arrow < 0 || left.length < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
          err(
            'usage: replace module/path [v1.2.3] => other/module v1.4 | replace module/path [v1.2.3] => ../local/directory',
          );
          break;
        }
        f.replaces.push({
          oldPath: left[0]!,
          oldVersion: left[1] ?? '',
          newPath: right[0]!,
          newVersion: right[1] ?? '',
          line: st.line,
        });
        break;
      }
      default:
        // exclude, retract, godebug, tool, ignore: not needed for the inventory.
        break;
    }
  }
  return f;
}

/** Trivy's lessThan: `<major>.<minor>` (exactly two parts) below the given version. */
function lessThan(ver: string, major: number, minor: number): boolean {
  if (ver === '') return false;
  const ss = ver.split('.');
  if (ss.length !== 2) return false;
  const ma = /^[+-]?\d+$/.test(ss[0]!) ? Number(ss[0]) : Number.NaN;
  const mi = /^[+-]?\d+$/.test(ss[1]!) ? Number(ss[1]) : Number.NaN;
  if (Number.isNaN(ma) || Number.isNaN(mi)) return false;
  return ma <= major && mi < minor;
}

/** The toolchain version Trivy reports as stdlib: `toolchain go1.22.5-x` → 1.22.5; else `go 1.22` → 1.22.0 (≥ 1.21 only). */
function toolchainVersion(f: GoModFile): string {
  if (f.toolchain !== undefined && f.toolchain !== '') {
    const name = f.toolchain.split('-')[0]!;
    return name.startsWith('go') ? name.slice(2) : name;
  }
  if (f.go === undefined) return '';
  let ver = f.go;
  let majorMinor: string;
  const ss = ver.split('.');
  if (ss.length > 2) majorMinor = ss.slice(0, 2).join('.');
  else if (ver.includes('rc')) majorMinor = ver.slice(0, ver.indexOf('rc'));
  else {
    majorMinor = ver;
    ver = `${ver}.0`;
  }
  return lessThan(majorMinor, 1, 21) ? '' : ver;
}

export interface GoModOptions {
  /** Apply `replace` directives (Trivy does for the project's own go.mod). Default true. */
  replace?: boolean;
  /** Report `stdlib` at the minimum toolchain version (Trivy's comprehensive priority). Default false. */
  stdlib?: boolean;
}

/** Packages of a parsed go.mod, Trivy's mod parser semantics. */
export function goModPackages(f: GoModFile, opts: GoModOptions = {}): Package[] {
  const replace = opts.replace ?? true;
  const pkgs = new Map<string, Package>();
  const skipIndirect = f.go !== undefined ? lessThan(f.go, 1, 17) : true;
  if (opts.stdlib) {
    const v = toolchainVersion(f);
    if (v !== '') {
      pkgs.set('stdlib', {
        id: goPackageId('stdlib', v),
        name: 'stdlib',
        version: `v${v}`,
        relationship: 'direct',
      });
    }
  }
  if (f.module) {
    const p = f.module.path;
    pkgs.set(p, { id: goPackageId(p, ''), name: p, version: '', relationship: 'root' });
  }
  for (const r of f.requires) {
    if (skipIndirect && r.indirect) continue;
    pkgs.set(r.path, {
      id: goPackageId(r.path, r.version),
      name: r.path,
      version: r.version,
      relationship: r.indirect ? 'indirect' : 'direct',
    });
  }
  if (replace) {
    for (const rep of f.replaces) {
      const old = pkgs.get(rep.oldPath);
      if (!old) continue;
      if (rep.oldVersion !== '' && old.version !== rep.oldVersion) continue;
      pkgs.delete(rep.oldPath);
      // A replacement without a version is a local directory: nothing to report.
      if (rep.newVersion === '') continue;
      const p: Package = {
        id: goPackageId(rep.newPath, rep.newVersion),
        name: rep.newPath,
        version: rep.newVersion,
      };
      if (old.relationship) p.relationship = old.relationship;
      pkgs.set(rep.newPath, p);
    }
  }
  return [...pkgs.values()];
}

/** go.sum: the last (highest) version listed for each module. */
export function parseGoSum(text: string): Package[] {
  const latest = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const s = raw
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '');
    if (s.length < 2) continue;
    latest.set(s[0]!, s[1]!.endsWith('/go.mod') ? s[1]!.slice(0, -'/go.mod'.length) : s[1]!);
  }
  return [...latest].map(([name, version]) => ({ id: goPackageId(name, version), name, version }));
}

/**
 * Trivy's rule for old go.mod files: when no package is marked indirect (Go
 * before 1.17 does not record them), the modules listed only in go.sum are
 * added as indirect dependencies.
 */
export function needsGoSum(pkgs: readonly Package[]): boolean {
  return !pkgs.some((p) => p.relationship === 'indirect');
}

export function mergeGoSum(mod: readonly Package[], sum: readonly Package[]): Package[] {
  const byName = new Map<string, Package>();
  for (const p of mod) byName.set(p.name, p);
  for (const p of sum) {
    if (byName.has(p.name)) continue;
    byName.set(p.name, { ...p, relationship: 'indirect' });
  }
  return [...byName.values()];
}
