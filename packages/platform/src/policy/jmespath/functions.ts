/**
 * Kyverno's custom JMESPath functions, one table entry each, with Kyverno's
 * argument types and error messages (kyverno/pkg/engine/jmespath: functions.go,
 * arithmetic.go, time.go). The interpreter checks arity and argument types
 * from `args` before calling `handler`.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { parse as parseYamlText } from 'yaml';
import {
  argOutOfBounds,
  genericError,
  JmesPathRuntimeError,
  nonIntModulo,
  nonIntRound,
  typeMismatch,
  zeroDivision,
} from './errors.js';
import {
  clampDuration,
  durationFromSeconds,
  durationSeconds,
  formatDuration,
  parseDuration,
} from './duration.js';
import {
  addDuration,
  civil,
  compareTimes,
  formatRFC3339,
  nowTime,
  parseGoTime,
  RFC3339,
  subString,
  truncateTime,
  utc,
} from './gotime.js';
import type { GoTime } from './gotime.js';
import { parseImageReference } from './image.js';
import type { ImageOptions } from './image.js';
import {
  addQuantities,
  divideQuantities,
  formatQuantity,
  multiplyQuantities,
  parseQuantity,
  quantityFromNumber,
  quantityToNumber,
  subtractQuantities,
} from './quantity.js';
import type { Quantity } from './quantity.js';
import { generateFromRegex } from './randgen.js';
import { regexReplaceAll, regexTest } from './regex.js';
import { parseSemver, parseSemverRange, semverInRange } from './semver.js';
import type { SemVer } from './semver.js';
import { wildcardMatch } from './wildcard.js';

export type JpType = 'string' | 'number' | 'object' | 'array' | 'array[string]' | 'boolean' | 'any';

export interface FunctionEnv {
  /** Milliseconds since the epoch (time_now, time_since without an end). */
  now(): number;
  /** Offset of the local zone in seconds east of UTC (time_now). */
  localOffsetSeconds: number;
  /** Uniform random in [0, 1) (random). */
  random(): number;
  image: ImageOptions;
}

export interface KyvernoFunction {
  name: string;
  /** Allowed types per argument. */
  args: readonly (readonly JpType[])[];
  returns: readonly JpType[];
  note: string;
  handler(args: unknown[], env: FunctionEnv): unknown;
}

// ---------------------------------------------------------------- helpers

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function typeMatches(v: unknown, t: JpType): boolean {
  switch (t) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'array[string]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
  }
}

const TYPE_LABEL: Record<JpType, string> = {
  string: 'String',
  number: 'Number',
  object: 'Object',
  array: 'Array',
  'array[string]': 'StringArray',
  boolean: 'Boolean',
  any: 'Any',
};

export function typeLabel(types: readonly JpType[]): string {
  return types.map((t) => TYPE_LABEL[t]).join(' or ');
}

/** Go's strconv.FormatFloat(f, 'f', -1, 32): shortest float32 digits, no exponent. */
export function float32String(f: number): string {
  const x = Math.fround(f);
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  if (x === 0) return '0';
  let s = '';
  for (let p = 1; p <= 9; p++) {
    s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) break;
  }
  const n = Number(s);
  // Expand exponent notation into plain digits.
  if (/e/i.test(s)) {
    const [mant = '0', expText = '0'] = s.toLowerCase().split('e');
    const exp = Number(expText);
    const neg = mant.startsWith('-');
    const digits = mant.replace('-', '').replace('.', '');
    const pointAt =
      (mant.replace('-', '').indexOf('.') >= 0 ? mant.replace('-', '').indexOf('.') : digits.length) + exp;
    let out: string;
    if (pointAt <= 0) out = '0.' + '0'.repeat(-pointAt) + digits;
    else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
    else out = digits.slice(0, pointAt) + '.' + digits.slice(pointAt);
    return (neg ? '-' : '') + out;
  }
  return String(n) === s ? s : s.replace(/(\.[0-9]*?)0+$/, '$1').replace(/\.$/, '');
}

/** Kyverno's ifaceToString: numbers as float32 digits, booleans as true/false. */
function ifaceToString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return float32String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

function str(v: unknown): string {
  return v as string;
}
function num(v: unknown): number {
  return v as number;
}

function intNumber(f: number): number | undefined {
  return Number.isInteger(f) ? f : undefined;
}

/** Go's strings.Replace(s, old, new, n): n < 0 means all; an empty `old` inserts between runes. */
function goReplace(s: string, old: string, rep: string, n: number): string {
  if (n === 0 || old === rep) return s;
  if (old === '') {
    const runes = [...s];
    let out = '';
    let count = 0;
    for (let i = 0; i <= runes.length; i++) {
      if (n < 0 || count < n) {
        out += rep;
        count++;
      }
      if (i < runes.length) out += runes[i];
    }
    return out;
  }
  let out = '';
  let from = 0;
  let count = 0;
  for (;;) {
    if (n >= 0 && count >= n) break;
    const at = s.indexOf(old, from);
    if (at < 0) break;
    out += s.slice(from, at) + rep;
    from = at + old.length;
    count++;
  }
  return out + s.slice(from);
}

/** Go's strings.Trim(s, cutset): strips runes in cutset from both ends. */
function goTrim(s: string, cutset: string): string {
  if (s === '' || cutset === '') return s;
  const set = new Set([...cutset]);
  const runes = [...s];
  let a = 0;
  let b = runes.length;
  while (a < b && set.has(runes[a] as string)) a++;
  while (b > a && set.has(runes[b - 1] as string)) b--;
  return runes.slice(a, b).join('');
}

/** Go's strings.Split: an empty separator splits into runes. */
function goSplit(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

/** Go's strings.ToUpper/ToLower are Unicode-aware per rune without locale. */
function goCompare(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

function goEqualFold(a: string, b: string): boolean {
  const x = [...a];
  const y = [...b];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p === q) continue;
    if (p.toLowerCase() === q.toLowerCase() || p.toUpperCase() === q.toUpperCase()) continue;
    return false;
  }
  return true;
}

/** Go's path/filepath.Join(p) on Linux = Clean(p) (empty stays empty). */
function cleanPath(p: string): string {
  if (p === '') return '';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** base64.StdEncoding.DecodeString: strict padding; error names the first bad byte. */
function base64Decode(s: string): string {
  const clean = s.replace(/[\r\n]/g, '');
  if (!B64_RE.test(clean) || clean.length % 4 !== 0) {
    let bad = 0;
    const m = /[^A-Za-z0-9+/=\r\n]/.exec(s);
    if (m) bad = m.index;
    else {
      const eq = s.indexOf('=');
      bad = eq >= 0 && eq < s.length - 2 ? eq : Math.floor(clean.length / 4) * 4;
    }
    throw new JmesPathRuntimeError(`illegal base64 data at input byte ${bad}`);
  }
  return Buffer.from(clean, 'base64').toString('utf8');
}

const MAX_DECODE_TEXT = 4 << 20;

function parseJsonText(name: string, s: string): unknown {
  if (s.length > MAX_DECODE_TEXT) throw genericError(name, `input too large (${s.length} characters)`);
  try {
    return JSON.parse(s) as unknown;
  } catch (err) {
    throw new JmesPathRuntimeError(err instanceof Error ? err.message : String(err));
  }
}

function parseYamlToJson(s: string): unknown {
  if (s.length > MAX_DECODE_TEXT)
    throw genericError('parse_yaml', `input too large (${s.length} characters)`);
  let doc: unknown;
  try {
    doc = parseYamlText(s, { maxAliasCount: 100, merge: true, uniqueKeys: false });
  } catch (err) {
    throw new JmesPathRuntimeError(
      `error converting YAML to JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  // YAMLToJSON: keys become strings; the result is plain JSON data.
  return JSON.parse(JSON.stringify(doc ?? null)) as unknown;
}

// ---------------------------------------------------------------- arithmetic

type Operand =
  { kind: 'scalar'; v: number } | { kind: 'quantity'; v: Quantity } | { kind: 'duration'; v: bigint };

interface Candidate {
  scalar?: number;
  quantity?: Quantity;
  duration?: bigint;
}

/**
 * Kyverno's parseCandidate/resolveOperand: a string may read as a quantity
 * ("30m" is 30 milli) and as a duration (30 minutes); when the other operand
 * is only a duration, the ambiguous one is taken as a duration too.
 */
function parseCandidate(a: unknown, op: string): Candidate {
  if (typeof a === 'number') return { scalar: a };
  if (typeof a === 'string') {
    const c: Candidate = {};
    try {
      c.quantity = parseQuantity(a);
    } catch {
      // not a quantity
    }
    try {
      c.duration = parseDuration(a);
    } catch {
      // not a duration
    }
    if (c.quantity !== undefined || c.duration !== undefined) return c;
  }
  throw genericError(op, 'invalid operand');
}

function resolveOperand(c: Candidate, durationContext: boolean): Operand {
  if (c.scalar !== undefined) return { kind: 'scalar', v: c.scalar };
  if (c.duration !== undefined && c.quantity === undefined) return { kind: 'duration', v: c.duration };
  if (c.quantity !== undefined && c.duration === undefined) return { kind: 'quantity', v: c.quantity };
  if (durationContext) return { kind: 'duration', v: c.duration as bigint };
  return { kind: 'quantity', v: c.quantity as Quantity };
}

function parseOperands(args: unknown[], op: string): [Operand, Operand] {
  const c1 = parseCandidate(args[0], op);
  const c2 = parseCandidate(args[1], op);
  const onlyDuration = (c: Candidate): boolean => c.duration !== undefined && c.quantity === undefined;
  const ctx = onlyDuration(c1) || onlyDuration(c2);
  return [resolveOperand(c1, ctx), resolveOperand(c2, ctx)];
}

function arithAdd(args: unknown[], op: string, sign: 1 | -1): unknown {
  const [a, b] = parseOperands(args, op);
  if (a.kind === 'quantity' && b.kind === 'quantity') {
    return formatQuantity(sign === 1 ? addQuantities(a.v, b.v) : subtractQuantities(a.v, b.v));
  }
  if (a.kind === 'duration' && b.kind === 'duration') {
    return formatDuration(clampDuration(sign === 1 ? a.v + b.v : a.v - b.v));
  }
  if (a.kind === 'scalar' && b.kind === 'scalar') return sign === 1 ? a.v + b.v : a.v - b.v;
  throw typeMismatch(op);
}

function quantityTimesScalar(q: Quantity, s: number): string {
  const sq = quantityFromNumber(s);
  return formatQuantity(multiplyQuantities(q, sq, q.format));
}

function arithMultiply(args: unknown[]): unknown {
  const [a, b] = parseOperands(args, 'multiply');
  if (a.kind === 'scalar' && b.kind === 'scalar') return a.v * b.v;
  if (a.kind === 'quantity' && b.kind === 'scalar') return quantityTimesScalar(a.v, b.v);
  if (a.kind === 'scalar' && b.kind === 'quantity') return quantityTimesScalar(b.v, a.v);
  if (a.kind === 'duration' && b.kind === 'scalar')
    return formatDuration(durationFromSeconds(durationSeconds(a.v) * b.v));
  if (a.kind === 'scalar' && b.kind === 'duration')
    return formatDuration(durationFromSeconds(durationSeconds(b.v) * a.v));
  throw typeMismatch('multiply');
}

function arithDivide(args: unknown[]): unknown {
  const [a, b] = parseOperands(args, 'divide');
  if (a.kind === 'quantity' && b.kind === 'quantity') {
    const divisor = quantityToNumber(b.v);
    if (divisor === 0) throw zeroDivision('divide');
    return quantityToNumber(a.v) / divisor;
  }
  if (a.kind === 'quantity' && b.kind === 'scalar') {
    if (b.v === 0) throw zeroDivision('divide');
    const q = quantityFromNumber(b.v);
    return formatQuantity(divideQuantities(a.v, q, Math.max(a.v.scale, q.scale), a.v.format));
  }
  if (a.kind === 'duration' && b.kind === 'duration') {
    if (b.v === 0n) throw zeroDivision('divide');
    return durationSeconds(a.v) / durationSeconds(b.v);
  }
  if (a.kind === 'duration' && b.kind === 'scalar') {
    if (b.v === 0) throw zeroDivision('divide');
    return formatDuration(durationFromSeconds(durationSeconds(a.v) / b.v));
  }
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    if (b.v === 0) throw zeroDivision('divide');
    return a.v / b.v;
  }
  throw typeMismatch('divide');
}

function arithModulo(args: unknown[]): unknown {
  const [a, b] = parseOperands(args, 'modulo');
  if (a.kind === 'quantity' && b.kind === 'quantity') {
    const f1 = quantityToNumber(a.v);
    const f2 = quantityToNumber(b.v);
    if (!Number.isInteger(f1) || !Number.isInteger(f2)) throw nonIntModulo('modulo');
    if (f2 === 0) throw zeroDivision('modulo');
    return formatQuantity({ unscaled: BigInt(f1) % BigInt(f2), scale: 0, format: a.v.format });
  }
  if (a.kind === 'duration' && b.kind === 'duration') {
    if (b.v === 0n) throw zeroDivision('modulo');
    return formatDuration(a.v % b.v);
  }
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    const i1 = Math.trunc(a.v);
    const i2 = Math.trunc(b.v);
    if (a.v !== i1 || b.v !== i2) throw nonIntModulo('modulo');
    if (i2 === 0) throw zeroDivision('modulo');
    return i1 % i2 === 0 ? 0 : i1 % i2;
  }
  throw typeMismatch('modulo');
}

// ---------------------------------------------------------------- time

function timeArg(v: unknown): GoTime {
  return parseTime(RFC3339, str(v));
}

function parseTime(layout: string, value: string): GoTime {
  try {
    return parseGoTime(layout, value);
  } catch (err) {
    throw new JmesPathRuntimeError(err instanceof Error ? err.message : String(err));
  }
}

function durationArg(v: unknown): bigint {
  try {
    return parseDuration(str(v));
  } catch (err) {
    throw new JmesPathRuntimeError(err instanceof Error ? err.message : String(err));
  }
}

function rfc3339(t: GoTime): string {
  try {
    return formatRFC3339(t);
  } catch (err) {
    throw new JmesPathRuntimeError(err instanceof Error ? err.message : String(err));
  }
}

function goParseInt(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new JmesPathRuntimeError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  const v = BigInt(s);
  if (v > (1n << 63n) - 1n || v < -(1n << 63n)) {
    throw new JmesPathRuntimeError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return v;
}

// ---------------------------------------------------------------- x509

const NAME_OIDS: Record<string, [string, number[]]> = {
  C: ['Country', [2, 5, 4, 6]],
  O: ['Organization', [2, 5, 4, 10]],
  OU: ['OrganizationalUnit', [2, 5, 4, 11]],
  L: ['Locality', [2, 5, 4, 7]],
  ST: ['Province', [2, 5, 4, 8]],
  street: ['StreetAddress', [2, 5, 4, 9]],
  postalCode: ['PostalCode', [2, 5, 4, 17]],
  serialNumber: ['SerialNumber', [2, 5, 4, 5]],
  CN: ['CommonName', [2, 5, 4, 3]],
};

function pkixName(text: string): Record<string, unknown> {
  const name: Record<string, unknown> = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: [] as unknown[],
    ExtraNames: null,
  };
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    const entry = NAME_OIDS[key];
    if (!entry) continue;
    const [field, oid] = entry;
    (name.Names as unknown[]).push({ Type: oid, Value: value });
    if (field === 'CommonName' || field === 'SerialNumber') name[field] = value;
    else name[field] = [...((name[field] as string[] | null) ?? []), value];
  }
  return name;
}

function x509Decode(pem: string): unknown {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem);
  if (!m) throw new JmesPathRuntimeError('failed to decode PEM block');
  const type = m[1];
  if (type === 'CERTIFICATE REQUEST') {
    throw new JmesPathRuntimeError('x509_decode: certificate requests are not supported by Palisade');
  }
  if (type !== 'CERTIFICATE') {
    throw new JmesPathRuntimeError('PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new JmesPathRuntimeError(
      `x509: malformed certificate: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw new JmesPathRuntimeError('certificate should use rsa algorithm');
  }
  const jwk = cert.publicKey.export({ format: 'jwk' });
  const n = BigInt('0x' + Buffer.from(jwk.n ?? '', 'base64url').toString('hex'));
  const e = Number(BigInt('0x' + Buffer.from(jwk.e ?? '', 'base64url').toString('hex')));
  const san = cert.subjectAltName ?? '';
  const sans = san === '' ? [] : san.split(', ');
  const pick = (prefix: string): string[] | null => {
    const v = sans.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
    return v.length > 0 ? v : null;
  };
  const goTime = (d: string): string => new Date(d).toISOString().replace('.000Z', 'Z');
  return {
    Version: 3,
    SerialNumber: Number(BigInt('0x' + cert.serialNumber)),
    Issuer: pkixName(cert.issuer),
    Subject: pkixName(cert.subject),
    NotBefore: goTime(cert.validFrom),
    NotAfter: goTime(cert.validTo),
    PublicKey: { N: n.toString(), E: e },
    PublicKeyAlgorithm: 1,
    IsCA: cert.ca,
    BasicConstraintsValid: cert.ca ? true : false,
    DNSNames: pick('DNS:'),
    EmailAddresses: pick('email:'),
    IPAddresses: pick('IP Address:'),
    URIs: pick('URI:'),
  };
}

// ---------------------------------------------------------------- is_external_url

function ipv4Private(ip: string): { loopback: boolean; private: boolean } {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return {
    loopback: a === 127,
    private: a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168),
  };
}

function isExternalUrl(text: string): boolean {
  let host: string;
  try {
    host = new URL(text).hostname;
  } catch {
    // Go's url.Parse accepts relative references; they have no host.
    host = '';
  }
  host = host.replace(/^\[|\]$/g, '');
  const kind = isIP(host);
  if (kind === 4) {
    const r = ipv4Private(host);
    return !(r.loopback || r.private);
  }
  if (kind === 6) {
    const lower = host.toLowerCase();
    const mapped = /^::ffff:([0-9.]+)$/.exec(lower);
    if (mapped?.[1]) {
      const r = ipv4Private(mapped[1]);
      return !(r.loopback || r.private);
    }
    const loopback = lower === '::1';
    const priv = /^f[cd]/.test(lower);
    return !(loopback || priv);
  }
  throw new JmesPathRuntimeError(
    `lookup ${host}: name resolution is not available in Palisade's policy engine (only IP literals can be judged)`,
  );
}

// ---------------------------------------------------------------- the table

const S = ['string'] as const;
const N = ['number'] as const;
const A = ['any'] as const;
const SN = ['string', 'number'] as const;

export const KYVERNO_FUNCTIONS: readonly KyvernoFunction[] = [
  {
    name: 'compare',
    args: [S, S],
    returns: N,
    note: 'compares two strings lexicographically',
    handler: ([a, b]) => goCompare(str(a), str(b)),
  },
  {
    name: 'equal_fold',
    args: [S, S],
    returns: ['boolean'],
    note: 'allows comparing two strings for equivalency where the only differences are letter cases',
    handler: ([a, b]) => goEqualFold(str(a), str(b)),
  },
  {
    name: 'replace',
    args: [S, S, S, N],
    returns: S,
    note: 'replaces a specified number of instances of the source string with the replacement string in a parent',
    handler: ([s, o, n, c]) => goReplace(str(s), str(o), str(n), Math.trunc(num(c))),
  },
  {
    name: 'replace_all',
    args: [S, S, S],
    returns: S,
    note: 'replace all instances of one string with another in an overall parent string',
    handler: ([s, o, n]) => goReplace(str(s), str(o), str(n), -1),
  },
  {
    name: 'to_upper',
    args: [S],
    returns: S,
    note: 'takes in a string and outputs the same string with all upper-case letters',
    handler: ([s]) => str(s).toUpperCase(),
  },
  {
    name: 'to_lower',
    args: [S],
    returns: S,
    note: 'takes in a string and outputs the same string with all lower-case letters',
    handler: ([s]) => str(s).toLowerCase(),
  },
  {
    name: 'trim',
    args: [S, S],
    returns: S,
    note: 'trims both ends of the source string by characters appearing in the second string',
    handler: ([s, c]) => goTrim(str(s), str(c)),
  },
  {
    name: 'trim_prefix',
    args: [S, S],
    returns: S,
    note: 'trims the second string prefix from the first string if the first string starts with the prefix',
    handler: ([s, p]) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  },
  {
    name: 'split',
    args: [S, S],
    returns: ['array[string]'],
    note: 'splits the first string when the second string is found and converts it into an array',
    handler: ([s, sep]) => goSplit(str(s), str(sep)),
  },
  {
    name: 'regex_replace_all',
    args: [S, SN, SN],
    returns: S,
    note: 'converts all parameters to string',
    handler: ([re, src, repl]) => {
      try {
        return regexReplaceAll(str(re), ifaceToString(src) ?? '', ifaceToString(repl) ?? '', false);
      } catch (err) {
        throw genericError('regex_replace_all', err instanceof Error ? err.message : String(err));
      }
    },
  },
  {
    name: 'regex_replace_all_literal',
    args: [S, SN, SN],
    returns: S,
    note: 'converts all parameters to string',
    handler: ([re, src, repl]) => {
      try {
        return regexReplaceAll(str(re), ifaceToString(src) ?? '', ifaceToString(repl) ?? '', true);
      } catch (err) {
        throw genericError('regex_replace_all_literal', err instanceof Error ? err.message : String(err));
      }
    },
  },
  {
    name: 'regex_match',
    args: [S, SN],
    returns: ['boolean'],
    note: 'first string is the regular exression which is compared with second input which can be a number or string',
    handler: ([re, src]) => {
      try {
        return regexTest(str(re), ifaceToString(src) ?? '');
      } catch (err) {
        // regexp.Match returns the compile error unwrapped.
        throw new JmesPathRuntimeError(err instanceof Error ? err.message : String(err));
      }
    },
  },
  {
    name: 'pattern_match',
    args: [S, SN],
    returns: ['boolean'],
    note: "'*' matches zero or more alphanumeric characters, '?' matches a single alphanumeric character",
    handler: ([p, src]) => wildcardMatch(str(p), ifaceToString(src) ?? ''),
  },
  {
    name: 'label_match',
    args: [['object'], ['object']],
    returns: ['boolean'],
    note: 'object arguments must be enclosed in backticks; ex. `{{request.object.spec.template.metadata.labels}}`',
    handler: ([labels, match]) => {
      const l = labels as Record<string, unknown>;
      const m = match as Record<string, unknown>;
      for (const [k, v] of Object.entries(l)) {
        if (!Object.prototype.hasOwnProperty.call(m, k) || m[k] !== v) return false;
      }
      return true;
    },
  },
  {
    name: 'to_boolean',
    args: [S],
    returns: ['boolean'],
    note: "It returns true or false for any string, such as 'True', 'TruE', 'False', 'FAlse', 'faLSE', etc.",
    handler: ([s]) => {
      const v = str(s).toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      throw genericError(
        'to_boolean',
        `lowercase argument must be 'true' or 'false' (provided: '${str(s)}')`,
      );
    },
  },
  {
    name: 'add',
    args: [A, A],
    returns: A,
    note: 'does arithmetic addition of two specified values of numbers, quantities, and durations',
    handler: (args) => arithAdd(args, 'add', 1),
  },
  {
    name: 'sum',
    args: [['array']],
    returns: A,
    note: 'does arithmetic addition of specified array of values of numbers, quantities, and durations',
    handler: ([items]) => {
      const list = items as unknown[];
      if (list.length === 0) throw genericError('sum', 'at least one element in the array is required');
      let result = list[0];
      for (const item of list.slice(1)) result = arithAdd([result, item], 'sum', 1);
      return result;
    },
  },
  {
    name: 'subtract',
    args: [A, A],
    returns: A,
    note: 'does arithmetic subtraction of two specified values of numbers, quantities, and durations',
    handler: (args) => arithAdd(args, 'subtract', -1),
  },
  {
    name: 'multiply',
    args: [A, A],
    returns: A,
    note: 'does arithmetic multiplication of two specified values of numbers, quantities, and durations',
    handler: (args) => arithMultiply(args),
  },
  {
    name: 'divide',
    args: [A, A],
    returns: A,
    note: 'divisor must be non zero',
    handler: (args) => arithDivide(args),
  },
  {
    name: 'modulo',
    args: [A, A],
    returns: A,
    note: 'divisor must be non-zero, arguments must be integers',
    handler: (args) => arithModulo(args),
  },
  {
    name: 'round',
    args: [N, N],
    returns: N,
    note: 'does roundoff to upto the given decimal places',
    handler: ([v, digits]) => {
      const d = intNumber(num(digits));
      if (d === undefined) throw nonIntRound('round');
      if (d < 0) throw argOutOfBounds('round');
      const shift = 10 ** d;
      const x = num(v) * shift;
      // math.Round: half away from zero.
      const r = Math.sign(x) * Math.round(Math.abs(x));
      return r / shift;
    },
  },
  {
    name: 'base64_decode',
    args: [S],
    returns: S,
    note: 'decodes a base 64 string',
    handler: ([s]) => base64Decode(str(s)),
  },
  {
    name: 'base64_encode',
    args: [S],
    returns: S,
    note: 'encodes a regular, plaintext and unencoded string to base64',
    handler: ([s]) => Buffer.from(str(s), 'utf8').toString('base64'),
  },
  {
    name: 'time_since',
    args: [S, S, S],
    returns: S,
    note: 'calculate the difference between a start and end period of time where the end may either be a static definition or the then-current time',
    handler: ([layout, t1, t2], env) => {
      const l = str(layout) === '' ? RFC3339 : str(layout);
      const start = parseTime(l, str(t1));
      const end = str(t2) === '' ? nowTime(env.now(), env.localOffsetSeconds) : parseTime(l, str(t2));
      return subString(end, start);
    },
  },
  {
    name: 'time_now',
    args: [],
    returns: S,
    note: 'returns current time in RFC 3339 format',
    handler: (_a, env) => rfc3339(nowTime(env.now(), env.localOffsetSeconds)),
  },
  {
    name: 'time_now_utc',
    args: [],
    returns: S,
    note: 'returns current UTC time in RFC 3339 format',
    handler: (_a, env) => rfc3339(nowTime(env.now(), 0)),
  },
  {
    name: 'path_canonicalize',
    args: [S],
    returns: S,
    note: 'normalizes or canonicalizes a given path by removing excess slashes',
    handler: ([p]) => cleanPath(str(p)),
  },
  {
    name: 'truncate',
    args: [S, N],
    returns: S,
    note: 'length argument must be enclosed in backticks; ex. "{{request.object.metadata.name | truncate(@, `9`)}}"',
    handler: ([s, n]) => {
      const len = Math.max(0, Math.trunc(num(n)));
      const runes = [...str(s)];
      return runes.length <= len ? str(s) : runes.slice(0, len).join('');
    },
  },
  {
    name: 'semver_compare',
    args: [S, S],
    returns: ['boolean'],
    note: 'compares two strings which comply with the semantic versioning schema and outputs a boolean response as to the position of the second relative to the first',
    handler: ([version, range]) => {
      let v: SemVer;
      try {
        v = parseSemver(str(version));
      } catch {
        // Kyverno ignores the parse error: an invalid version is 0.0.0.
        v = { major: 0n, minor: 0n, patch: 0n, pre: [] };
      }
      try {
        return semverInRange(v, parseSemverRange(str(range)));
      } catch (err) {
        throw new JmesPathRuntimeError(err instanceof Error ? err.message : String(err));
      }
    },
  },
  {
    name: 'parse_json',
    args: [S],
    returns: A,
    note: 'decodes a valid JSON encoded string to the appropriate type. Opposite of `to_string` function',
    handler: ([s]) => parseJsonText('parse_json', str(s)),
  },
  {
    name: 'parse_yaml',
    args: [S],
    returns: A,
    note: 'decodes a valid YAML encoded string to the appropriate type provided it can be represented as JSON',
    handler: ([s]) => parseYamlToJson(str(s)),
  },
  {
    name: 'lookup',
    args: [
      ['object', 'array'],
      ['string', 'number'],
    ],
    returns: A,
    note: 'returns the value corresponding to the given key/index in the given object/array',
    handler: ([input, key]) => {
      if (Array.isArray(input)) {
        if (typeof key !== 'number') throw genericError('lookup', 'argument #2 is not of type Number');
        if (!Number.isInteger(key)) {
          throw new JmesPathRuntimeError(
            `JMESPath function 'lookup': argument #2: expected an integer number but got: ${key}`,
          );
        }
        const list = input as unknown[];
        return key < 0 || key > list.length - 1 ? null : (list[key] ?? null);
      }
      if (typeof key !== 'string') throw genericError('lookup', 'argument #2 is not of type String');
      const obj = input as Record<string, unknown>;
      return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : null;
    },
  },
  {
    name: 'items',
    args: [['object', 'array'], S, S],
    returns: ['array'],
    note: 'converts a map or array to an array of objects where each key:value is an item in the array',
    handler: ([input, keyName, valName]) => {
      const k = str(keyName);
      const v = str(valName);
      if (Array.isArray(input))
        return (input as unknown[]).map((value, index) => ({ [k]: index, [v]: value }));
      const obj = input as Record<string, unknown>;
      return Object.keys(obj)
        .sort((a, b) => goCompare(a, b))
        .map((key) => ({ [k]: key, [v]: obj[key] }));
    },
  },
  {
    name: 'object_from_lists',
    args: [['array'], ['array']],
    returns: ['object'],
    note: 'converts a pair of lists containing keys and values to an object',
    handler: ([keys, values]) => {
      const out: Record<string, unknown> = {};
      const vals = values as unknown[];
      (keys as unknown[]).forEach((ikey, i) => {
        const key = ifaceToString(ikey);
        if (key === undefined)
          throw genericError('object_from_lists', 'argument #1 is not of type StringArray');
        out[key] = i < vals.length ? vals[i] : null;
      });
      return out;
    },
  },
  {
    name: 'random',
    args: [S],
    returns: S,
    note: 'Generates a random sequence of characters',
    handler: ([p], env) => {
      if (str(p) === '') throw new JmesPathRuntimeError('no pattern provided');
      return generateFromRegex(str(p), () => env.random());
    },
  },
  {
    name: 'x509_decode',
    args: [S],
    returns: ['object'],
    note: 'decodes an x.509 certificate to an object. you may also use this in conjunction with `base64_decode` jmespath function to decode a base64-encoded certificate',
    handler: ([s]) => x509Decode(str(s)),
  },
  {
    name: 'time_to_cron',
    args: [S],
    returns: S,
    note: 'converts a time (RFC 3339) to a cron expression (string).',
    handler: ([t]) => {
      const c = civil(timeArg(t));
      return `${c.minute} ${c.hour} ${c.day} ${c.month} ${c.weekday}`;
    },
  },
  {
    name: 'time_add',
    args: [S, S],
    returns: S,
    note: 'adds duration (second string) to a time value (first string)',
    handler: ([t, d]) => rfc3339(addDuration(timeArg(t), durationArg(d))),
  },
  {
    name: 'time_parse',
    args: [S, S],
    returns: S,
    note: 'changes a time value of a given layout to RFC 3339',
    handler: ([layout, ts]) => {
      if (/^[+-]?[0-9]+$/.test(str(layout))) {
        const epoch = goParseInt(str(ts));
        return rfc3339({ sec: epoch, nsec: 0, offset: 0 });
      }
      return rfc3339(parseTime(str(layout), str(ts)));
    },
  },
  {
    name: 'time_utc',
    args: [S],
    returns: S,
    note: 'calcutes time in UTC from a given time in RFC 3339 format',
    handler: ([t]) => rfc3339(utc(timeArg(t))),
  },
  {
    name: 'time_diff',
    args: [S, S],
    returns: S,
    note: 'calculate the difference between a start and end date in RFC3339 format',
    handler: ([a, b]) => subString(timeArg(b), timeArg(a)),
  },
  {
    name: 'time_before',
    args: [S, S],
    returns: ['boolean'],
    note: 'checks if a time is before another time, both in RFC3339 format',
    handler: ([a, b]) => compareTimes(timeArg(a), timeArg(b)) < 0,
  },
  {
    name: 'time_after',
    args: [S, S],
    returns: ['boolean'],
    note: 'checks if a time is after another time, both in RFC3339 format',
    handler: ([a, b]) => compareTimes(timeArg(a), timeArg(b)) > 0,
  },
  {
    name: 'time_between',
    args: [S, S, S],
    returns: ['boolean'],
    note: 'checks if a time is between a start and end time, all in RFC3339 format',
    handler: ([t, s, e]) => {
      const x = timeArg(t);
      return compareTimes(x, timeArg(s)) > 0 && compareTimes(x, timeArg(e)) < 0;
    },
  },
  {
    name: 'time_truncate',
    args: [S, S],
    returns: S,
    note: 'returns the result of rounding time down to a multiple of duration',
    handler: ([t, d]) => rfc3339(truncateTime(timeArg(t), durationArg(d))),
  },
  {
    name: 'image_normalize',
    args: [S],
    returns: S,
    note: 'normalizes an image reference',
    handler: ([s], env) => {
      try {
        return parseImageReference(str(s), env.image).reference;
      } catch (err) {
        throw genericError('image_normalize', err instanceof Error ? err.message : String(err));
      }
    },
  },
  {
    name: 'is_external_url',
    args: [S],
    returns: ['boolean'],
    note: 'determine if a URL points to an external network address',
    handler: ([s]) => isExternalUrl(str(s)),
  },
  {
    name: 'sha256',
    args: [S],
    returns: S,
    note: 'hex-encoded SHA-256 digest of the UTF-8 string',
    handler: ([s]) => createHash('sha256').update(str(s), 'utf8').digest('hex'),
  },
  {
    name: 'md5',
    args: [S],
    returns: S,
    note: 'hex-encoded MD5 digest of the UTF-8 string',
    handler: ([s]) => createHash('md5').update(str(s), 'utf8').digest('hex'),
  },
];

export const KYVERNO_FUNCTION_MAP: ReadonlyMap<string, KyvernoFunction> = new Map(
  KYVERNO_FUNCTIONS.map((f) => [f.name, f]),
);
