/**
 * Differential tests: our comparators against the real tools on this machine,
 * over thousands of generated versions (a seeded PRNG, so a failure repeats):
 * `dpkg --compare-versions`, rpm's Lua `rpm.vercmp`, Python's `packaging`
 * (Debian's python3-packaging, under /usr/bin/python3), node-semver,
 * maven-artifact's ComparableVersion, Ruby's Gem::Version, PHP's
 * version_compare and composer/semver (Debian's php-composer-semver). Half of each batch pairs a version with a
 * small mutation of itself (a tilde, a leading zero, a changed separator…),
 * where orderings differ most subtly. Each test prints its agreement and every
 * disagreement; a disagreement fails unless it is listed below with a reason
 * (no list has an entry). A tool that is missing skips its test with a printed
 * reason (.ci/install.sh installs them).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semverLib from 'semver';
import { describe, expect, it } from 'vitest';
import { deb } from './deb.js';
import { composer, phpVersionCompare } from './composer.js';
import { maven } from './maven.js';
import { parsePep440, parsePep440Specifier, pep440, pep440String, satisfiesPep440 } from './pep440.js';
import { rpm } from './rpm.js';
import { rubygems } from './rubygems.js';
import { compareVersions, type VersionScheme } from './scheme.js';
import { npm, semver } from './semver.js';

const SEED = 20261123;

/** mulberry32: a small seeded PRNG. */
class Gen {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  /** A number as text: mostly small, sometimes with leading zeros, sometimes long. */
  digits(maxLong = 25): string {
    const r = this.next();
    if (r < 0.55) return String(this.int(10));
    if (r < 0.8) return String(this.int(100));
    if (r < 0.88) return '0'.repeat(1 + this.int(2)) + String(this.int(20));
    if (r < 0.96) return String(this.int(100000));
    let s = String(1 + this.int(9));
    const n = 10 + this.int(maxLong - 10);
    while (s.length < n) s += String(this.int(10));
    return s;
  }
}

function toolAvailable(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'palisade-version-diff-'));
}

type Outcome = number | 'invalid';

interface Case {
  a: string;
  b: string;
  ours: Outcome;
  theirs: Outcome;
}

/** Our outcome for a pair: the sign of the comparison, or 'invalid' when either is not a version. */
function ours(scheme: VersionScheme, a: string, b: string): Outcome {
  return compareVersions(scheme, a, b) ?? 'invalid';
}

/**
 * Prints agreement and every disagreement; returns the disagreements not listed
 * as expected (key `a<TAB>b` → reason).
 */
function report(name: string, cases: Case[], expected: ReadonlyMap<string, string> = new Map()): string[] {
  const bad: string[] = [];
  let agree = 0;
  for (const c of cases) {
    if (c.ours === c.theirs) {
      agree++;
      continue;
    }
    const line = `${JSON.stringify(c.a)} vs ${JSON.stringify(c.b)}: ours ${c.ours}, ${name} ${c.theirs}`;
    const reason = expected.get(`${c.a}\t${c.b}`);
    console.log(`  DISAGREE ${line}${reason ? ` (expected: ${reason})` : ''}`);
    if (!reason) bad.push(line);
  }
  const valid = cases.filter((c) => c.theirs !== 'invalid').length;
  console.log(
    `${name}: ${agree}/${cases.length} agree (${((100 * agree) / cases.length).toFixed(2)}%), ${valid} pairs both valid`,
  );
  return bad;
}

/** Pairs: half independent versions, half a version against a mutation of itself. */
function pairs(
  g: Gen,
  n: number,
  gen: (g: Gen) => string,
  mutate: (g: Gen, v: string) => string,
): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const a = gen(g);
    const b = g.chance(0.5) ? mutate(g, a) : g.chance(0.2) ? a : gen(g);
    out.push(g.chance(0.5) ? [a, b] : [b, a]);
  }
  return out;
}

/** Generic mutations that keep a version plausible: edit one character or append a short tail. */
function mutateWith(g: Gen, v: string, tails: readonly string[], alphabet: string): string {
  const r = g.next();
  if (r < 0.35) return v + g.pick(tails);
  const i = g.int(v.length);
  const c = v[i] ?? '';
  if (r < 0.55 && /[0-9]/.test(c)) return v.slice(0, i) + String(g.int(10)) + v.slice(i + 1);
  if (r < 0.65 && /[0-9]/.test(c)) return `${v.slice(0, i)}0${v.slice(i)}`;
  if (r < 0.75 && /[a-z]/i.test(c))
    return v.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + v.slice(i + 1);
  if (r < 0.85) return v.slice(0, i) + g.pick([...alphabet]) + v.slice(i + 1);
  if (r < 0.93 && v.length > 1) return v.slice(0, -1);
  return v.slice(0, i) + g.pick([...alphabet]) + v.slice(i);
}

// ---------------------------------------------------------------------------------------------
// dpkg

const DEB_WORDS = [
  'a',
  'b',
  'z',
  'A',
  'Z',
  'rc',
  'alpha',
  'beta',
  'dfsg',
  'ubuntu',
  'deb',
  'git',
  'really',
  'build',
];

function debPart(g: Gen, extra: string, firstDigit: boolean): string {
  let s = firstDigit ? g.digits() : '';
  const n = 1 + g.int(5);
  for (let i = 0; i < n; i++) {
    const r = g.next();
    if (r < 0.35) s += g.pick(['.', '.', '+', '~', ...extra]) + g.digits();
    else if (r < 0.6) s += g.pick(['.', '+', '~', '', ...extra]) + g.pick(DEB_WORDS);
    else if (r < 0.75) s += g.pick(['~', '~~', '~rc', '~beta']) + g.digits();
    else s += g.digits();
  }
  return s === '' ? g.digits() : s;
}

function genDeb(g: Gen): string {
  const epoch = g.chance(0.25) ? `${g.pick(['0', '1', '2', '10', '00', String(g.int(100000))])}:` : '';
  const revision = g.chance(0.7);
  let upstream = debPart(g, (revision ? '-' : '') + (epoch ? ':' : ''), !g.chance(0.05));
  if (!/^[0-9]/.test(upstream) && g.chance(0.5)) upstream = `1${upstream}`;
  const rev = revision ? `-${debPart(g, '', g.chance(0.8))}` : '';
  const ws = g.chance(0.03) ? ' ' : '';
  return ws + epoch + upstream + rev + ws;
}

function mutateDeb(g: Gen, v: string): string {
  return mutateWith(g, v, ['~', '~rc1', '+b1', '.0', '0', 'a', '-1', '-0', '~~', '+really1'], '.+~-:0aZ');
}

async function runChunks(script: string, input: string[], workers: number): Promise<string[]> {
  const per = Math.ceil(input.length / workers / 2) * 2;
  const chunks: string[][] = [];
  for (let i = 0; i < input.length; i += per) chunks.push(input.slice(i, i + per));
  const outs = await Promise.all(
    chunks.map(
      (chunk) =>
        new Promise<string[]>((resolve, reject) => {
          const p = spawn('bash', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
          let out = '';
          p.stdout.setEncoding('utf8');
          p.stdout.on('data', (d: string) => (out += d));
          p.on('error', reject);
          p.on('close', () => resolve(out.split('\n').filter((l) => l !== '')));
          p.stdin.end(`${chunk.join('\n')}\n`);
        }),
    ),
  );
  return outs.flat();
}

/** Pairs around non-ASCII characters, for the byte-level orders of dpkg and rpm. */
const NON_ASCII: [string, string][] = [
  ['1.0\u00e9', '1.0z'],
  ['1.0\u00e9', '1.0+'],
  ['1.0\u00e9', '1.0~'],
  ['1.0\u00e9', '1.0\u00fc'],
  ['1.0\u00e9', '1.0'],
  ['1.0-\u00e9', '1.0-a'],
  ['1.\u4e2d0', '1.0'],
  ['1.0\u{1f600}', '1.0.1'],
];

const DPKG_SCRIPT = `
while IFS= read -r a && IFS= read -r b; do
  dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; rc=$?
  if [ $rc -eq 0 ]; then echo -1; continue; fi
  if [ $rc -ne 1 ]; then echo invalid; continue; fi
  dpkg --compare-versions -- "$a" eq "$b" 2>/dev/null; rc=$?
  if [ $rc -eq 0 ]; then echo 0; elif [ $rc -eq 1 ]; then echo 1; else echo invalid; fi
done`;

const hasDpkg = toolAvailable('dpkg', ['--version']);

describe('deb against dpkg --compare-versions', () => {
  if (!hasDpkg) console.log('SKIP deb differential: dpkg is not installed');
  it.skipIf(!hasDpkg)('orders 2,500 generated pairs as dpkg does', async () => {
    const g = new Gen(SEED);
    const ps = pairs(g, 2500, genDeb, mutateDeb);
    // Non-ASCII bytes (dpkg warns, then compares them as signed chars: after letters, before '+').
    for (const [a, b] of NON_ASCII) ps.push([a, b], [b, a]);
    const out = await runChunks(DPKG_SCRIPT, ps.flat(), 2);
    expect(out.length).toBe(ps.length);
    const cases = ps.map(([a, b], i): Case => {
      const t = out[i] ?? '';
      return { a, b, ours: ours(deb, a, b), theirs: t === 'invalid' ? 'invalid' : Number(t) };
    });
    expect(report('dpkg', cases)).toEqual([]);
    // The generator must mostly produce versions dpkg accepts, or the test proves little.
    expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(2000);
  });
});

// ---------------------------------------------------------------------------------------------
// rpm

const RPM_WORDS = [
  'a',
  'b',
  'z',
  'A',
  'Z',
  'rc',
  'alpha',
  'beta',
  'el',
  'el9',
  'fc',
  'git',
  'p',
  'pre',
  'xyz',
];

function rpmPart(g: Gen): string {
  let s = g.chance(0.9) ? g.digits() : g.pick(RPM_WORDS);
  const n = g.int(5);
  for (let i = 0; i < n; i++) {
    const r = g.next();
    const sep = g.pick(['.', '.', '.', '_', '+', '~', '^', '', '%', '..']);
    if (r < 0.5) s += sep + g.digits();
    else s += sep + g.pick(RPM_WORDS);
  }
  return s;
}

function genRpm(g: Gen): string {
  const epoch = g.chance(0.25) ? `${g.pick(['', '0', '1', '2', '10', '01'])}:` : '';
  const release = g.chance(0.75) ? `-${g.chance(0.05) ? '' : rpmPart(g)}` : '';
  return epoch + rpmPart(g) + release;
}

function mutateRpm(g: Gen, v: string): string {
  return mutateWith(g, v, ['~', '~rc1', '^', '^git1', '.0', '0', 'a', '-1', '_1', '.el9'], '._+~^0a-');
}

const hasRpm = toolAvailable('rpm', ['--version']);

describe('rpm against rpm.vercmp', () => {
  if (!hasRpm) console.log('SKIP rpm differential: rpm is not installed');
  it.skipIf(!hasRpm)('orders 5,000 generated EVR pairs as rpm does', () => {
    const g = new Gen(SEED + 1);
    const ps = pairs(g, 5000, genRpm, mutateRpm);
    // Non-ASCII bytes are separators for rpm.
    for (const [a, b] of NON_ASCII) ps.push([a, b], [b, a]);
    const dir = scratch();
    writeFileSync(join(dir, 'pairs.txt'), ps.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n');
    writeFileSync(
      join(dir, 'cmp.lua'),
      `local out = {}
for line in io.lines(${JSON.stringify(join(dir, 'pairs.txt'))}) do
  local a, b = line:match("^(.-)\\t(.*)$")
  local ok, r = pcall(rpm.vercmp, a, b)
  out[#out + 1] = ok and tostring(r) or "invalid"
end
io.write(table.concat(out, "\\n"), "\\n")
`,
    );
    const r = spawnSync('rpm', ['--eval', `%{lua: dofile(${JSON.stringify(join(dir, 'cmp.lua'))})}`], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const out = r.stdout.split('\n').filter((l) => l !== '');
    expect(out.length).toBe(ps.length);
    const cases = ps.map(([a, b], i): Case => {
      const t = out[i] ?? '';
      return { a, b, ours: ours(rpm, a, b), theirs: t === 'invalid' ? 'invalid' : Number(t) };
    });
    expect(report('rpm.vercmp', cases)).toEqual([]);
    expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(4500);
  });
});

// ---------------------------------------------------------------------------------------------
// PEP 440 against Python's packaging

function caseMix(g: Gen, s: string): string {
  return g.chance(0.15) ? s.toUpperCase() : g.chance(0.1) ? s[0]?.toUpperCase() + s.slice(1) : s;
}

function genPep440(g: Gen, options: { local?: boolean } = {}): string {
  const sep = (): string => g.pick(['', '', '.', '-', '_']);
  let s = g.chance(0.1) ? 'v' : '';
  if (g.chance(0.15)) s += `${g.digits(12)}!`;
  const n = 1 + g.int(4);
  s += Array.from({ length: n }, () => g.digits(22)).join('.');
  if (g.chance(0.4)) {
    s += sep() + caseMix(g, g.pick(['a', 'b', 'c', 'rc', 'alpha', 'beta', 'pre', 'preview']));
    if (g.chance(0.8)) s += sep() + g.digits(12);
  }
  if (g.chance(0.3)) {
    if (g.chance(0.3)) s += `-${g.digits(12)}`;
    else {
      s += sep() + caseMix(g, g.pick(['post', 'rev', 'r']));
      if (g.chance(0.8)) s += sep() + g.digits(12);
    }
  }
  if (g.chance(0.3)) {
    s += `${sep()}${caseMix(g, 'dev')}`;
    if (g.chance(0.8)) s += sep() + g.digits(12);
  }
  if (options.local !== false && g.chance(0.2)) {
    const parts = Array.from({ length: 1 + g.int(3) }, () =>
      g.chance(0.5) ? g.digits(12) : g.pick(['ubuntu', 'abc', 'A1', 'x', 'cpu', 'cu118', '0a']),
    );
    s += `+${parts.map((p, i) => (i === 0 ? p : g.pick(['.', '-', '_']) + p)).join('')}`;
  }
  if (g.chance(0.03)) s = ` ${s}\t`;
  return s;
}

function mutatePep440(g: Gen, v: string): string {
  return mutateWith(g, v, ['.0', '0', 'a1', '.post1', '.dev0', '+local', 'rc', '-1', '.', '!'], '.-_0arb+!');
}

const PYTHON = '/usr/bin/python3';
const hasPackaging = toolAvailable(PYTHON, ['-c', 'import packaging.version, packaging.specifiers']);

function runPython(script: string, input: unknown): unknown {
  const dir = scratch();
  const file = join(dir, 'input.json');
  writeFileSync(file, JSON.stringify(input));
  const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

const PY_COMPARE = `
import json, sys
from packaging.version import Version, InvalidVersion
def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None
out = []
for a, b in json.load(open(sys.argv[1], encoding='utf-8')):
    va, vb = parse(a), parse(b)
    out.append('invalid' if va is None or vb is None else (va > vb) - (va < vb))
print(json.dumps(out))
`;

const PY_CONTAINS = `
import json, sys
from packaging.specifiers import SpecifierSet, InvalidSpecifier
from packaging.version import Version, InvalidVersion
out = []
for v, spec in json.load(open(sys.argv[1], encoding='utf-8')):
    try:
        out.append(SpecifierSet(spec).contains(Version(v), prereleases=True))
    except (InvalidSpecifier, InvalidVersion):
        out.append('invalid')
print(json.dumps(out))
`;

/**
 * A specifier packaging accepts, each clause's version in its normalized spelling. packaging 23.0
 * (Debian 12's) applies `~=` and `.*` to the clause's raw spelling (`~=1.0_REV.7` keeps `_REV` in
 * its prefix); packaging 26, the PEP and this code read the parsed version. The versions being
 * checked stay adversarial.
 */
function genSpecifier(g: Gen, near: string): string {
  const clause = (): string => {
    const op = g.pick(['==', '!=', '<=', '>=', '<', '>', '~=', '==*', '!=*', '===']);
    const v = parsePep440(g.chance(0.5) ? near : genPep440(g)) ?? parsePep440('1.0');
    if (!v) throw new Error('unreachable');
    const { local: _local, ...pub } = v;
    const epoch = v.epoch ? `${String(v.epoch)}!` : '';
    const prefix = g.chance(0.1) ? 'v' : '';
    switch (op) {
      case '==*':
        return `==${prefix}${epoch}${v.release.join('.')}.*`;
      case '!=*':
        return `!=${prefix}${epoch}${v.release.join('.')}.*`;
      case '~=':
        return `~=${pep440String(v.release.length < 2 ? { ...pub, release: [...v.release, 0n] } : pub)}`;
      case '<':
      case '>':
      case '<=':
      case '>=':
        return `${op}${prefix}${pep440String(pub)}`;
      case '===':
        return `===${pep440String(g.chance(0.7) ? v : pub)}`;
      default:
        return `${op}${prefix}${pep440String(v)}`;
    }
  };
  const n = 1 + g.int(2);
  return Array.from({ length: n }, clause).join(g.pick([',', ', ', ' ,']));
}

/**
 * Where packaging 23.0 (the one on this machine) is known to answer differently from the PEP and
 * from packaging >= 24: its prefix matching (`==X.*`, `!=X.*`, the prefix half of `~=`) splits
 * versions on dots without taking the epoch off first, so `2!63a1` is not under `==2!63.*` and
 * `2!2.4` is under `==0.*` there (pypa/packaging#683, fixed in 24.0). Returns the reason, or undefined.
 */
function packaging23Divergence(version: string, spec: string): string | undefined {
  const prefixClause = /(?:^|,)\s*(?:~=|[=!]=[^,]*\.\*)/.test(spec);
  const epoch = (parsePep440(version)?.epoch ?? 0n) !== 0n || /!/.test(spec.replace(/!=/g, ''));
  return prefixClause && epoch
    ? 'packaging < 24 does not split the epoch off before prefix matching'
    : undefined;
}

describe('PEP 440 against python3 packaging', () => {
  if (!hasPackaging)
    console.log(
      `SKIP pep440 differential: ${PYTHON} cannot import packaging (apt install python3-packaging)`,
    );

  it.skipIf(!hasPackaging)(
    'orders 5,000 generated pairs (and tells valid from invalid) as packaging does',
    () => {
      const g = new Gen(SEED + 2);
      const ps = pairs(g, 5000, genPep440, mutatePep440);
      const out = runPython(PY_COMPARE, ps) as Outcome[];
      const cases = ps.map(([a, b], i): Case => ({
        a,
        b,
        ours: ours(pep440, a, b),
        theirs: out[i] ?? 'invalid',
      }));
      expect(report('packaging', cases)).toEqual([]);
      expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(3500);
    },
  );

  it.skipIf(!hasPackaging)('decides 3,000 generated specifier checks as SpecifierSet.contains does', () => {
    const g = new Gen(SEED + 3);
    const checks: [string, string][] = [];
    for (let i = 0; i < 3000; i++) {
      const v = genPep440(g);
      checks.push([g.chance(0.6) ? mutatePep440(g, v) : v, genSpecifier(g, v)]);
    }
    const out = runPython(PY_CONTAINS, checks) as (boolean | 'invalid')[];
    const cases = checks.map(([v, spec], i): Case => {
      const pv = parsePep440(v);
      const ps = parsePep440Specifier(spec);
      const mine = pv && ps ? Number(satisfiesPep440(pv, ps)) : 'invalid';
      const t = out[i];
      return {
        a: v,
        b: spec,
        ours: mine,
        theirs: t === 'invalid' || t === undefined ? 'invalid' : Number(t),
      };
    });
    const expected = new Map<string, string>();
    for (const c of cases) {
      const reason = packaging23Divergence(c.a, c.b);
      if (reason) expected.set(`${c.a}\t${c.b}`, reason);
    }
    expect(report('SpecifierSet', cases, expected)).toEqual([]);
    expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(2000);
  });
});

// ---------------------------------------------------------------------------------------------
// SemVer / npm against node-semver

function genIdent(g: Gen): string {
  const r = g.next();
  if (r < 0.4) return String(g.pick([0, 1, 2, 3, 10, 11, 99, g.int(100000)]));
  if (r < 0.85)
    return g.pick(['alpha', 'beta', 'rc', 'a', 'b', 'A', 'RC', 'Beta', 'x', 'pre', 'dev', 'build', 'z9']);
  return g.pick(['-', '--', 'a-b', '0a', '1-x', 'x1', '-1', '9-', '00a']);
}

function genSemver(g: Gen): string {
  const num = (): string => String(g.pick([0, 1, 2, 3, 10, 99, g.int(1000), g.int(2 ** 40)]));
  let s = `${num()}.${num()}.${num()}`;
  if (g.chance(0.5)) s += `-${Array.from({ length: 1 + g.int(4) }, () => genIdent(g)).join('.')}`;
  if (g.chance(0.2)) s += `+${Array.from({ length: 1 + g.int(2) }, () => genIdent(g)).join('.')}`;
  return g.chance(0.1) ? `v${s}` : s;
}

/** Loose spellings node-semver's loose mode takes: prefixes, leading zeros, a pre-release without '-'. */
function genLooseNpm(g: Gen): string {
  let s = genSemver(g);
  if (g.chance(0.3)) s = s.replace(/^v?([0-9]+)/, (_m, d: string) => `0${d}`);
  if (g.chance(0.3)) s = s.replace('-', '');
  if (g.chance(0.3)) s = g.pick(['=', 'v', '=v', ' v', '= ', '  =']) + s;
  if (g.chance(0.1)) s = s.replace(/^([^.]*\.[^.]*\.[0-9]*)([0-9])/, '$1$2.x');
  return s;
}

function mutateSemver(g: Gen, v: string): string {
  return mutateWith(g, v, ['-0', '-alpha', '.1', '+build', '0', '-rc.1', '.x', '-'], '.-+0aZ');
}

describe('SemVer and npm against node-semver', () => {
  it('orders 5,000 generated SemVer 2.0 pairs (and tells valid from invalid) as semver.compare does', () => {
    const g = new Gen(SEED + 4);
    const ps = pairs(g, 5000, genSemver, mutateSemver);
    const cases = ps.map(([a, b]): Case => {
      const valid = semverLib.valid(a) !== null && semverLib.valid(b) !== null;
      return { a, b, ours: ours(semver, a, b), theirs: valid ? semverLib.compare(a, b) : 'invalid' };
    });
    expect(report('node-semver', cases)).toEqual([]);
    expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(3500);
  });

  it('reads and orders 5,000 generated loose npm versions as semver does with {loose: true}', () => {
    const g = new Gen(SEED + 5);
    const ps = pairs(g, 5000, genLooseNpm, mutateSemver);
    const cases = ps.map(([a, b]): Case => {
      const valid = semverLib.valid(a, true) !== null && semverLib.valid(b, true) !== null;
      return { a, b, ours: ours(npm, a, b), theirs: valid ? semverLib.compare(a, b, true) : 'invalid' };
    });
    expect(report('node-semver (loose)', cases)).toEqual([]);
    expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(3000);
  });
});

// ---------------------------------------------------------------------------------------------
// Maven against ComparableVersion

function mavenJar(): string | undefined {
  try {
    const dir = '/usr/share/maven/lib';
    const jar = readdirSync(dir).find((f) => /^maven-artifact-.*\.jar$/.test(f));
    return jar ? join(dir, jar) : undefined;
  } catch {
    return undefined;
  }
}

const MAVEN_WORDS = [
  'alpha',
  'a',
  'beta',
  'b',
  'milestone',
  'm',
  'rc',
  'cr',
  'RC',
  'CR',
  'snapshot',
  'SNAPSHOT',
  'ga',
  'GA',
  'final',
  'Final',
  'release',
  'RELEASE',
  'sp',
  'SP',
  'foo',
  'abc',
  'x',
  'jre',
  'android',
  'M',
];

function genMaven(g: Gen): string {
  let s = g.chance(0.93) ? g.digits() : g.pick(MAVEN_WORDS);
  const n = g.int(5);
  for (let i = 0; i < n; i++) {
    const sep = g.pick(['.', '.', '-', '-', '', '..', '.-', '-.']);
    s += sep + (g.chance(0.55) ? g.digits() : g.pick(MAVEN_WORDS));
  }
  return s;
}

function mutateMaven(g: Gen, v: string): string {
  return mutateWith(g, v, ['.0', '-0', '0', '-SNAPSHOT', '-sp', '.1', '-ga', 'a1', '-1', '.final'], '.-0aAx');
}

const jar = mavenJar();
const hasMaven = jar !== undefined && toolAvailable('java', ['-version']);

describe('Maven against ComparableVersion', () => {
  if (!hasMaven)
    console.log('SKIP maven differential: java or /usr/share/maven/lib/maven-artifact-*.jar is missing');
  it.skipIf(!hasMaven)('orders 6,000 generated adjacent pairs as maven-artifact does', () => {
    const g = new Gen(SEED + 6);
    const ps = pairs(g, 3000, genMaven, mutateMaven);
    const seq = ps.flat();
    const r = spawnSync(
      'java',
      ['-cp', jar ?? '', 'org.apache.maven.artifact.versioning.ComparableVersion', ...seq],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    // main() prints "   <prev> <op> <cur>" for each adjacent pair of its arguments.
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('   '));
    expect(lines.length).toBe(seq.length - 1);
    const cases = lines.map((line, i): Case => {
      const a = seq[i] ?? '';
      const b = seq[i + 1] ?? '';
      const op = line.slice(3 + a.length + 1).split(' ')[0];
      return { a, b, ours: ours(maven, a, b), theirs: op === '<' ? -1 : op === '>' ? 1 : 0 };
    });
    expect(report('ComparableVersion', cases)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// RubyGems against Ruby's Gem::Version

function genGem(g: Gen): string {
  let s = g.digits();
  const n = g.int(5);
  for (let i = 0; i < n; i++)
    s += `.${g.chance(0.6) ? g.digits() : g.pick(['a', 'b', 'rc', 'pre', 'beta', 'RC', 'x', 'alpha1', '1a', 'Z9'])}`;
  if (g.chance(0.25))
    s += `-${Array.from({ length: 1 + g.int(3) }, () => g.pick(['rc1', 'beta', '1', 'x-y', 'A', '0', 'pre'])).join('.')}`;
  if (g.chance(0.05)) s = ` ${s}\n`;
  return g.chance(0.02) ? '' : s;
}

function mutateGem(g: Gen, v: string): string {
  return mutateWith(g, v, ['.0', '.a', '-1', '.pre', '0', 'a', '.', '-', '..1'], '.-0aZ_+');
}

const RUBY_COMPARE = `
require 'json'
out = JSON.parse(File.read(ARGV[0])).map do |a, b|
  Gem::Version.correct?(a) && Gem::Version.correct?(b) ? (Gem::Version.new(a) <=> Gem::Version.new(b)) : 'invalid'
end
puts JSON.generate(out)
`;

const hasRuby = toolAvailable('ruby', ['-e', 'Gem::Version']);

describe('RubyGems against Gem::Version', () => {
  if (!hasRuby) console.log('SKIP rubygems differential: ruby is not installed');
  it.skipIf(!hasRuby)(
    'orders 4,000 generated pairs (and tells valid from invalid) as Gem::Version does',
    () => {
      const g = new Gen(SEED + 7);
      const ps = pairs(g, 4000, genGem, mutateGem);
      const dir = scratch();
      writeFileSync(join(dir, 'pairs.json'), JSON.stringify(ps));
      const r = spawnSync('ruby', ['-e', RUBY_COMPARE, join(dir, 'pairs.json')], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      const out = JSON.parse(r.stdout) as Outcome[];
      expect(out.length).toBe(ps.length);
      const cases = ps.map(([a, b], i): Case => ({
        a,
        b,
        ours: ours(rubygems, a, b),
        theirs: out[i] ?? 'invalid',
      }));
      expect(report('Gem::Version', cases)).toEqual([]);
      expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(2500);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Composer against composer/semver and PHP's version_compare

const COMPOSER_WORDS = [
  'stable',
  'beta',
  'b',
  'RC',
  'rc',
  'alpha',
  'a',
  'patch',
  'pl',
  'p',
  'Beta',
  'ALPHA',
  'dev',
];

function genComposer(g: Gen): string {
  const r = g.next();
  if (r < 0.08)
    return `${g.digits()}.${g.pick(['x', '*', String(g.int(9))])}${g.pick(['-dev', '.x-dev', '-dev'])}`;
  if (r < 0.14)
    return `${2000 + g.int(30)}${g.pick(['', '-', '.'])}${String(1 + g.int(12)).padStart(2, '0')}${g.pick(['', '-', '.'])}${String(1 + g.int(28)).padStart(2, '0')}`;
  let s = g.chance(0.15) ? 'v' : '';
  s += Array.from({ length: 1 + g.int(4) }, () => g.digits(8)).join('.');
  if (g.chance(0.45)) {
    s += g.pick(['', '-', '.', '_']) + g.pick(COMPOSER_WORDS);
    for (let i = g.int(3); i > 0; i--) s += g.pick(['', '.', '-']) + String(g.int(20));
  }
  if (g.chance(0.1)) s += g.pick(['-dev', '.dev', 'dev']);
  if (g.chance(0.08)) s += `+${g.pick(['build', 'foo.1', 'sha-123'])}`;
  if (g.chance(0.03)) s += g.pick(['@dev', '@beta', '@stable', ' as 1.0.0']);
  return s;
}

function mutateComposer(g: Gen, v: string): string {
  return mutateWith(g, v, ['-dev', '.0', 'RC1', '-beta', '-patch1', '.1', 'p', '-alpha.2'], '.-_0aRpv');
}

/** Raw strings for version_compare: digit runs, its special words and others, any separators. */
function genPhpRaw(g: Gen): string {
  let s = '';
  const n = 1 + g.int(6);
  for (let i = 0; i < n; i++) {
    s += g.pick(['', '.', '.', '-', '_', '+', '..', '#', ' ']);
    s += g.chance(0.55)
      ? g.digits(12)
      : g.pick([
          'dev',
          'alpha',
          'a',
          'beta',
          'b',
          'RC',
          'rc',
          'pl',
          'p',
          'patch',
          'pre',
          'foo',
          'Alpha',
          '#N#',
          'x',
        ]);
  }
  return s === '' ? '1' : s;
}

const PHP_COMPOSER = `<?php
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\\Semver\\VersionParser;
use Composer\\Semver\\Comparator;
$parser = new VersionParser();
$out = [];
foreach (json_decode(file_get_contents($argv[1]), true) as [$a, $b]) {
  try { $na = $parser->normalize($a); $nb = $parser->normalize($b); }
  catch (\\Throwable $e) { $out[] = 'invalid'; continue; }
  // Branches (dev-*) have no place in the order: not versions for us, by design.
  if (strpos($na, 'dev-') === 0 || strpos($nb, 'dev-') === 0) { $out[] = 'invalid'; continue; }
  $out[] = Comparator::lessThan($na, $nb) ? -1 : (Comparator::greaterThan($na, $nb) ? 1 : 0);
}
echo json_encode($out);
`;

const PHP_VERSION_COMPARE = `<?php
$out = [];
foreach (json_decode(file_get_contents($argv[1]), true) as [$a, $b]) $out[] = version_compare($a, $b);
echo json_encode($out);
`;

function runPhp(script: string, input: unknown): unknown {
  const dir = scratch();
  writeFileSync(join(dir, 'script.php'), script);
  writeFileSync(join(dir, 'input.json'), JSON.stringify(input));
  const r = spawnSync('php', [join(dir, 'script.php'), join(dir, 'input.json')], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`php failed: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as unknown;
}

const hasPhp = toolAvailable('php', ['-r', 'exit(0);']);
const hasComposerSemver =
  hasPhp && toolAvailable('php', ['-r', "require '/usr/share/php/Composer/Semver/autoload.php';"]);

describe('Composer against composer/semver and version_compare', () => {
  if (!hasComposerSemver)
    console.log('SKIP composer differential: php or php-composer-semver is not installed');
  it.skipIf(!hasComposerSemver)(
    'normalizes and orders 4,000 generated pairs as VersionParser and Comparator do',
    () => {
      const g = new Gen(SEED + 8);
      const ps = pairs(g, 4000, genComposer, mutateComposer);
      const out = runPhp(PHP_COMPOSER, ps) as Outcome[];
      const cases = ps.map(([a, b], i): Case => ({
        a,
        b,
        ours: ours(composer, a, b),
        theirs: out[i] ?? 'invalid',
      }));
      expect(report('composer/semver', cases)).toEqual([]);
      expect(cases.filter((c) => c.theirs !== 'invalid').length).toBeGreaterThan(2500);
    },
  );

  it.skipIf(!hasPhp)('compares 4,000 generated raw strings as PHP version_compare does', () => {
    const g = new Gen(SEED + 9);
    const ps = pairs(g, 4000, genPhpRaw, (gg, v) =>
      mutateWith(gg, v, ['.0', 'dev', 'pl1', '-1', '#', 'rc'], '.-_+0apR#'),
    );
    const out = runPhp(PHP_VERSION_COMPARE, ps) as number[];
    const cases = ps.map(([a, b], i): Case => ({
      a,
      b,
      ours: Math.sign(phpVersionCompare(a, b)),
      theirs: out[i] ?? 'invalid',
    }));
    expect(report('version_compare', cases)).toEqual([]);
  });
});
