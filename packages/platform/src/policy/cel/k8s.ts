/**
 * The Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library) and the cel-go extensions
 * Kubernetes enables, registered on a @marcbachmann/cel-js Environment: lists, regex (RE2, linear
 * time), strings extensions the base library lacks, URLs, quantities, IP/CIDR, semver, sets,
 * base64 and math. Each function is a table entry: signature → handler.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compileRegex } from '../jmespath/regex.js';
import {
  addQuantities,
  compareQuantities,
  formatQuantity,
  parseQuantity,
  quantityToNumber,
  subtractQuantities,
  type Quantity,
} from '../jmespath/quantity.js';
import { compareSemver, parseSemver, type SemVer } from '../jmespath/semver.js';
import { celEquals } from './equals.js';

/** A library-level failure; surfaces as an evaluation error with this message. */
export class CelLibError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelLibError';
  }
}

export class KQuantity {
  constructor(readonly q: Quantity) {}
  toString(): string {
    return formatQuantity(this.q);
  }
}
export class KUrl {
  constructor(readonly u: URL) {}
}
export class KSemver {
  constructor(readonly v: SemVer) {}
}
export class KIP {
  constructor(
    readonly family: 4 | 6,
    readonly value: bigint,
    readonly text: string,
  ) {}
}
export class KCIDR {
  constructor(
    readonly ip: KIP,
    readonly prefix: number,
    readonly text: string,
  ) {}
}
/** Namespace objects for `sets.*`, `base64.*`, `math.*`, `strings.*`. */
export class SetsNS {}
export class Base64NS {}
export class MathNS {}
export class StringsNS {}

function cmpValues(a: unknown, b: unknown): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  throw new CelLibError(`no such overload: comparison of ${typeof a} and ${typeof b}`);
}

// ---- IP / CIDR -------------------------------------------------------------------------------

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined; // zones are rejected, as in Kubernetes
  let head = s;
  let v4tail: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    v4tail = parseIPv4(s.slice(lastColon + 1));
    if (v4tail === undefined) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const parse = (x: string): string[] => (x === '' ? [] : x.split(':'));
  const left = parse(dbl[0] ?? '');
  const right = dbl.length === 2 ? parse(dbl[1] ?? '') : [];
  const groups =
    dbl.length === 2 ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  if (groups.length !== 8 || (dbl.length === 2 && left.length + right.length > 7)) return undefined;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (v4tail !== undefined) v = (v & ~0xffffffffn) | v4tail;
  return v;
}

export function parseIP(s: string): KIP {
  if (s.includes('.') && !s.includes(':')) {
    const v = parseIPv4(s);
    if (v !== undefined) return new KIP(4, v, s);
  } else if (s.includes(':')) {
    const v = parseIPv6(s);
    if (v !== undefined) {
      // IPv4-mapped IPv6 addresses are rejected, as Kubernetes' ip() does
      if (v >> 32n === 0xffffn) throw new CelLibError(`IPv4-mapped IPv6 address ${s} is not allowed`);
      return new KIP(6, v, s);
    }
  }
  throw new CelLibError(`IP Address ${JSON.stringify(s)} parse error during conversion from string`);
}

function formatIP(ip: { family: 4 | 6; value: bigint }): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // longest run of zeros (length ≥ 2) becomes "::"
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parseCIDR(s: string): KCIDR {
  const i = s.indexOf('/');
  if (i === -1) throw new CelLibError(`network address parse error during conversion from string: ${s}`);
  const ip = parseIP(s.slice(0, i));
  const p = s.slice(i + 1);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]*)$/.test(p) || Number(p) > max)
    throw new CelLibError(`network address parse error during conversion from string: ${s}`);
  return new KCIDR(ip, Number(p), s);
}

function maskOf(c: KCIDR): bigint {
  const bits = BigInt(c.ip.family === 4 ? 32 : 128);
  const all = (1n << bits) - 1n;
  return (all >> (bits - BigInt(c.prefix))) << (bits - BigInt(c.prefix));
}

function cidrContains(c: KCIDR, ip: KIP): boolean {
  if (ip.family !== c.ip.family) return false;
  const m = maskOf(c);
  return (ip.value & m) === (c.ip.value & m);
}

function isGlobalUnicast(ip: KIP): boolean {
  if (ip.family === 4) {
    return (
      ip.value !== 0xffffffffn &&
      ip.value !== 0n &&
      ip.value >> 24n !== 127n &&
      ip.value >> 28n !== 0xen &&
      ip.value >> 16n !== 0xa9fen
    );
  }
  return ip.value !== 0n && ip.value !== 1n && ip.value >> 120n !== 0xffn && ip.value >> 118n !== 0x3fan;
}

// ---- registration ---------------------------------------------------------------------------

function str(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}
function q(v: unknown): Quantity {
  if (v instanceof KQuantity) return v.q;
  if (typeof v === 'bigint') return parseQuantity(v.toString());
  throw new CelLibError('no such overload for quantity argument');
}

export function registerKubernetesLibraries(env: Environment): void {
  const fn = (sig: string, h: (...a: never[]) => unknown): void => {
    env.registerFunction(sig, h as (...a: unknown[]) => unknown);
  };
  // lists (k8s library/lists.go)
  fn('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || cmpValues(l[i - 1], x) <= 0));
  fn('list.sum(): dyn', (l: unknown[]) => {
    if (!l.length) return 0n;
    return l.reduce((a: unknown, b: unknown) => {
      if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
      return Number(a) + Number(b);
    });
  });
  fn('list.min(): dyn', (l: unknown[]) => {
    if (!l.length) throw new CelLibError('min called on empty list');
    return l.reduce((a, b) => (cmpValues(b, a) < 0 ? b : a));
  });
  fn('list.max(): dyn', (l: unknown[]) => {
    if (!l.length) throw new CelLibError('max called on empty list');
    return l.reduce((a, b) => (cmpValues(b, a) > 0 ? b : a));
  });
  fn('list.indexOf(dyn): int', (l: unknown[], x: unknown) => BigInt(l.findIndex((y) => celEquals(y, x))));
  fn('list.lastIndexOf(dyn): int', (l: unknown[], x: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i], x)) return BigInt(i);
    return -1n;
  });
  fn('list.slice(int, int): list', (l: unknown[], a: bigint, b: bigint) => {
    if (a < 0n || b < a || b > BigInt(l.length))
      throw new CelLibError(`cannot slice(${a}, ${b}), invalid range`);
    return l.slice(Number(a), Number(b));
  });
  fn('list.flatten(): list', (l: unknown[]) =>
    l.flatMap((x): unknown[] => (Array.isArray(x) ? (x as unknown[]) : [x])),
  );
  fn('list.distinct(): list', (l: unknown[]) =>
    l.filter((x, i) => l.findIndex((y) => celEquals(x, y)) === i),
  );
  fn('list.reverse(): list', (l: unknown[]) => [...l].reverse());
  fn('list.sort(): list', (l: unknown[]) => [...l].sort(cmpValues));

  // regex (k8s library/regex.go), RE2 semantics; `matches` is routed here too (see env.ts)
  fn('string.find(string): string', (s: string, re: string) => {
    const m = compileRegex(re).matcher(s);
    return m.find() ? (m.group() ?? '') : '';
  });
  const findAll = (s: string, re: string, n: number): string[] => {
    const out: string[] = [];
    const m = compileRegex(re).matcher(s);
    while ((n < 0 || out.length < n) && m.find()) {
      out.push(m.group() ?? '');
      if (out.length > 100000) break;
    }
    return out;
  };
  fn('string.findAll(string): list<string>', (s: string, re: string) => findAll(s, re, -1));
  fn('string.findAll(string, int): list<string>', (s: string, re: string, n: bigint) =>
    findAll(s, re, Number(n)),
  );
  fn('string.re2Matches(string): bool', (s: string, re: string) => compileRegex(re).matcher(s).find());
  fn('re2Matches(string, string): bool', (s: string, re: string) => compileRegex(re).matcher(s).find());

  // strings extensions cel-go has and the base library lacks
  const replace = (s: string, a: string, b: string, n: number): string => {
    if (n < 0) return s.split(a).join(b);
    let out = s;
    let from = 0;
    for (let i = 0; i < n; i++) {
      const k = out.indexOf(a, from);
      if (k === -1) break;
      out = out.slice(0, k) + b + out.slice(k + a.length);
      from = k + b.length + (a === '' ? 1 : 0);
    }
    return out;
  };
  fn('string.replace(string, string): string', (s: string, a: string, b: string) => replace(s, a, b, -1));
  fn('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) =>
    replace(s, a, b, Number(n)),
  );
  fn('string.charAt(int): string', (s: string, i: bigint) => {
    const cps = [...s];
    if (i < 0n || i > BigInt(cps.length)) throw new CelLibError(`index out of range: ${i}`);
    return cps[Number(i)] ?? '';
  });
  fn('string.reverse(): string', (s: string) => [...s].reverse().join(''));
  env.registerType('strings.NS', StringsNS).registerConstant('strings', 'strings.NS', new StringsNS());
  fn('strings.NS.quote(string): string', (_: unknown, s: string) => JSON.stringify(s));

  // URLs (k8s library/urls.go)
  env.registerType('kubernetes.URL', KUrl);
  const parseUrl = (s: string): KUrl => {
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && !s.startsWith('/'))
      throw new CelLibError(`URL parse error during conversion from string: ${s}`);
    try {
      return new KUrl(new URL(s, s.startsWith('/') ? 'relative:///' : undefined));
    } catch {
      throw new CelLibError(`URL parse error during conversion from string: ${s}`);
    }
  };
  fn('url(string): kubernetes.URL', (s: string) => parseUrl(s));
  fn('isURL(string): bool', (s: string) => {
    try {
      parseUrl(s);
      return true;
    } catch {
      return false;
    }
  });
  fn('kubernetes.URL.getScheme(): string', (u: KUrl) =>
    u.u.protocol === 'relative:' ? '' : u.u.protocol.replace(/:$/, ''),
  );
  fn('kubernetes.URL.getHost(): string', (u: KUrl) => u.u.host);
  fn('kubernetes.URL.getHostname(): string', (u: KUrl) => u.u.hostname.replace(/^\[(.*)\]$/, '$1'));
  fn('kubernetes.URL.getPort(): string', (u: KUrl) => u.u.port);
  fn('kubernetes.URL.getEscapedPath(): string', (u: KUrl) => u.u.pathname);
  fn('kubernetes.URL.getQuery(): map', (u: KUrl) => {
    const out: Record<string, string[]> = {};
    for (const [k, v] of u.u.searchParams) (out[k] ??= []).push(v);
    return out;
  });

  // quantities (k8s library/quantity.go)
  env.registerType('kubernetes.Quantity', KQuantity);
  const parseQ = (s: string): KQuantity => {
    try {
      return new KQuantity(parseQuantity(s));
    } catch (e) {
      throw new CelLibError(e instanceof Error ? e.message : String(e));
    }
  };
  fn('quantity(string): kubernetes.Quantity', parseQ);
  fn('isQuantity(string): bool', (s: string) => {
    try {
      parseQuantity(s);
      return true;
    } catch {
      return false;
    }
  });
  const Q = 'kubernetes.Quantity';
  fn(`${Q}.sign(): int`, (a: KQuantity) => BigInt(a.q.unscaled > 0n ? 1 : a.q.unscaled < 0n ? -1 : 0));
  fn(`${Q}.isInteger(): bool`, (a: KQuantity) => Number.isSafeInteger(quantityToNumber(a.q)));
  fn(`${Q}.asInteger(): int`, (a: KQuantity) => {
    const n = quantityToNumber(a.q);
    if (!Number.isSafeInteger(n)) throw new CelLibError('cannot convert value to integer');
    return BigInt(n);
  });
  fn(`${Q}.asApproximateFloat(): double`, (a: KQuantity) => quantityToNumber(a.q));
  fn(`${Q}.add(${Q}): ${Q}`, (a: KQuantity, b: KQuantity) => new KQuantity(addQuantities(a.q, b.q)));
  fn(`${Q}.add(int): ${Q}`, (a: KQuantity, b: bigint) => new KQuantity(addQuantities(a.q, q(b))));
  fn(`${Q}.sub(${Q}): ${Q}`, (a: KQuantity, b: KQuantity) => new KQuantity(subtractQuantities(a.q, b.q)));
  fn(`${Q}.sub(int): ${Q}`, (a: KQuantity, b: bigint) => new KQuantity(subtractQuantities(a.q, q(b))));
  fn(`${Q}.isGreaterThan(${Q}): bool`, (a: KQuantity, b: KQuantity) => compareQuantities(a.q, b.q) > 0);
  fn(`${Q}.isLessThan(${Q}): bool`, (a: KQuantity, b: KQuantity) => compareQuantities(a.q, b.q) < 0);
  fn(`${Q}.compareTo(${Q}): int`, (a: KQuantity, b: KQuantity) =>
    BigInt(Math.sign(compareQuantities(a.q, b.q))),
  );
  env.registerOperator(`${Q} == ${Q}`, (a: KQuantity, b: KQuantity) => compareQuantities(a.q, b.q) === 0);

  // semver (k8s library/semverlib.go)
  env.registerType('kubernetes.Semver', KSemver);
  const parseV = (s: string): KSemver => {
    try {
      return new KSemver(parseSemver(s));
    } catch (e) {
      throw new CelLibError(e instanceof Error ? e.message : String(e));
    }
  };
  fn('semver(string): kubernetes.Semver', parseV);
  fn('isSemver(string): bool', (s: string) => {
    try {
      parseSemver(s);
      return true;
    } catch {
      return false;
    }
  });
  const V = 'kubernetes.Semver';
  fn(`${V}.major(): int`, (a: KSemver) => a.v.major);
  fn(`${V}.minor(): int`, (a: KSemver) => a.v.minor);
  fn(`${V}.patch(): int`, (a: KSemver) => a.v.patch);
  fn(`${V}.isGreaterThan(${V}): bool`, (a: KSemver, b: KSemver) => compareSemver(a.v, b.v) > 0);
  fn(`${V}.isLessThan(${V}): bool`, (a: KSemver, b: KSemver) => compareSemver(a.v, b.v) < 0);
  fn(`${V}.compareTo(${V}): int`, (a: KSemver, b: KSemver) => BigInt(Math.sign(compareSemver(a.v, b.v))));

  // IP and CIDR (k8s library/ip.go, cidr.go)
  env.registerType('net.IP', KIP).registerType('net.CIDR', KCIDR);
  const safe = <T>(f: () => T): boolean => {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  };
  fn('ip(string): net.IP', (s: string) => parseIP(s));
  fn('isIP(string): bool', (s: string) => safe(() => parseIP(s)));
  env.registerType('net.IPNS', StringsNS).registerConstant('ip', 'net.IPNS', new StringsNS());
  fn('net.IPNS.isCanonical(string): bool', (_: unknown, s: string) => {
    const ip = parseIP(s);
    return formatIP(ip) === s;
  });
  fn('net.IP.family(): int', (ip: KIP) => BigInt(ip.family));
  fn('net.IP.isUnspecified(): bool', (ip: KIP) => ip.value === 0n);
  fn('net.IP.isLoopback(): bool', (ip: KIP) =>
    ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n,
  );
  fn('net.IP.isLinkLocalMulticast(): bool', (ip: KIP) =>
    ip.family === 4 ? ip.value >> 8n === 0xe00000n : ip.value >> 112n === 0xff02n,
  );
  fn('net.IP.isLinkLocalUnicast(): bool', (ip: KIP) =>
    ip.family === 4 ? ip.value >> 16n === 0xa9fen : ip.value >> 118n === 0x3fan,
  );
  fn('net.IP.isGlobalUnicast(): bool', (ip: KIP) => isGlobalUnicast(ip));
  fn('string(net.IP): string', (ip: KIP) => formatIP(ip));
  env.registerOperator('net.IP == net.IP', (a: KIP, b: KIP) => a.family === b.family && a.value === b.value);
  fn('cidr(string): net.CIDR', (s: string) => parseCIDR(s));
  fn('isCIDR(string): bool', (s: string) => safe(() => parseCIDR(s)));
  fn('net.CIDR.containsIP(string): bool', (c: KCIDR, s: string) => cidrContains(c, parseIP(s)));
  fn('net.CIDR.containsIP(net.IP): bool', (c: KCIDR, ip: KIP) => cidrContains(c, ip));
  fn('net.CIDR.containsCIDR(string): bool', (c: KCIDR, s: string) => {
    const o = parseCIDR(s);
    return o.prefix >= c.prefix && cidrContains(c, o.ip);
  });
  fn(
    'net.CIDR.containsCIDR(net.CIDR): bool',
    (c: KCIDR, o: KCIDR) => o.prefix >= c.prefix && cidrContains(c, o.ip),
  );
  fn('net.CIDR.ip(): net.IP', (c: KCIDR) => c.ip);
  fn('net.CIDR.prefixLength(): int', (c: KCIDR) => BigInt(c.prefix));
  fn('net.CIDR.masked(): net.CIDR', (c: KCIDR) => {
    const ip = new KIP(c.ip.family, c.ip.value & maskOf(c), '');
    const text = `${formatIP(ip)}/${c.prefix}`;
    return new KCIDR(new KIP(ip.family, ip.value, formatIP(ip)), c.prefix, text);
  });
  fn('string(net.CIDR): string', (c: KCIDR) => `${formatIP(c.ip)}/${c.prefix}`);

  // sets (cel-go ext/sets.go)
  env.registerType('sets.NS', SetsNS).registerConstant('sets', 'sets.NS', new SetsNS());
  const has = (l: unknown[], x: unknown): boolean => l.some((y) => celEquals(x, y));
  fn('sets.NS.contains(list, list): bool', (_: unknown, a: unknown[], b: unknown[]) =>
    b.every((x) => has(a, x)),
  );
  fn(
    'sets.NS.equivalent(list, list): bool',
    (_: unknown, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)) && a.every((x) => has(b, x)),
  );
  fn('sets.NS.intersects(list, list): bool', (_: unknown, a: unknown[], b: unknown[]) =>
    b.some((x) => has(a, x)),
  );

  // base64 (cel-go ext/encoders.go)
  env.registerType('base64.NS', Base64NS).registerConstant('base64', 'base64.NS', new Base64NS());
  fn('base64.NS.encode(bytes): string', (_: unknown, b: Uint8Array) => Buffer.from(b).toString('base64'));
  fn('base64.NS.decode(string): bytes', (_: unknown, s: string) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new CelLibError('illegal base64 data');
    return new Uint8Array(Buffer.from(s, 'base64'));
  });

  // math (cel-go ext/math.go), the common subset
  env.registerType('math.NS', MathNS).registerConstant('math', 'math.NS', new MathNS());
  const pick = (l: unknown[], dir: number): unknown => {
    if (!l.length) throw new CelLibError('math.greatest/least: no arguments');
    return l.reduce((a, b) => (cmpValues(b, a) * dir > 0 ? b : a));
  };
  fn('math.NS.greatest(list): dyn', (_: unknown, l: unknown[]) => pick(l, 1));
  fn('math.NS.least(list): dyn', (_: unknown, l: unknown[]) => pick(l, -1));
  fn('math.NS.greatest(dyn, dyn): dyn', (_: unknown, a: unknown, b: unknown) => pick([a, b], 1));
  fn('math.NS.least(dyn, dyn): dyn', (_: unknown, a: unknown, b: unknown) => pick([a, b], -1));
  fn('math.NS.abs(int): int', (_: unknown, a: bigint) => (a < 0n ? -a : a));
  fn('math.NS.abs(double): double', (_: unknown, a: number) => Math.abs(a));
  fn('math.NS.ceil(double): double', (_: unknown, a: number) => Math.ceil(a));
  fn('math.NS.floor(double): double', (_: unknown, a: number) => Math.floor(a));
  fn('math.NS.round(double): double', (_: unknown, a: number) => Math.sign(a) * Math.round(Math.abs(a)));

  fn('string(kubernetes.Quantity): string', (a: KQuantity) => formatQuantity(a.q));
  void str;
}
