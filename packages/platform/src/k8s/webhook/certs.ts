/**
 * Self-managed webhook certificates: a CA and a serving certificate signed by it (ECDSA P-256,
 * X.509 v3), rotated before expiry. The apiserver trusts the CA through the webhook
 * configurations' `caBundle`; while a new CA takes over, the bundle holds both so no call fails.
 *
 * Node's crypto signs but does not build certificates, and no X.509 library is a dependency of the
 * platform, so the DER is written here (see docs/adr: a few fixed structures, checked in tests with
 * Node's X509Certificate and the openssl CLI).
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';

// --- DER -------------------------------------------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(value.length), value]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);

function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && ((v[1] ?? 0) & 0x80) === 0) v = v.subarray(1);
  if (((v[0] ?? 0) & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0');
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y < 2050
    ? tlv(0x17, Buffer.from(`${p(y % 100)}${body}`, 'ascii'))
    : tlv(0x18, Buffer.from(`${y}${body}`, 'ascii'));
}

function name(cn: string, org?: string): Buffer {
  const rdn = (type: string, v: string): Buffer => set(seq(oid(type), tlv(0x0c, Buffer.from(v, 'utf8'))));
  return seq(...(org ? [rdn('2.5.4.10', org)] : []), rdn('2.5.4.3', cn));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function keyId(spki: Buffer): Buffer {
  // RFC 5280 method 1 over the whole SPKI: stable and unique, which is all a key identifier needs.
  return createHash('sha1').update(spki).digest();
}

// --- certificates ----------------------------------------------------------------------------

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateOptions {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** Signing CA; absent: self-signed CA. */
  issuer?: { certPem: string; keyPem: string };
  /** Serving certificate SANs: IPs and DNS names. */
  hosts?: readonly string[];
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand '::'
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff]));
}

/** Builds and signs one certificate (ECDSA P-256 / SHA-256). */
export function createCertificate(opts: CertificateOptions): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const isCA = opts.issuer === undefined;
  let issuerName: Buffer;
  let signer: KeyObject;
  let issuerSpki: Buffer;
  if (opts.issuer) {
    const ca = new X509Certificate(opts.issuer.certPem);
    issuerName = subjectDer(ca);
    signer = createPrivateKey(opts.issuer.keyPem);
    issuerSpki = ca.publicKey.export({ type: 'spki', format: 'der' });
  } else {
    issuerName = name(opts.commonName);
    signer = privateKey;
    issuerSpki = spki;
  }
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const exts: Buffer[] = [
    extension('2.5.29.19', true, seq(...(isCA ? [bool(true)] : []))),
    extension('2.5.29.15', true, isCA ? bitString(Buffer.from([0x06])) : bitString(Buffer.from([0xa0]))),
    extension('2.5.29.14', false, octets(keyId(spki))),
  ];
  if (!isCA) {
    exts.push(extension('2.5.29.35', false, seq(tlv(0x80, keyId(issuerSpki)))));
    exts.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    const sans = (opts.hosts ?? []).map((h) =>
      isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii')),
    );
    if (sans.length) exts.push(extension('2.5.29.17', false, seq(...sans)));
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    issuerName,
    seq(time(opts.notBefore), time(opts.notAfter)),
    isCA ? issuerName : name(opts.commonName),
    spki,
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, signer);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  return {
    certPem: toPem(der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** The DER of a certificate's subject Name (so the leaf's issuer equals it byte for byte). */
function subjectDer(cert: X509Certificate): Buffer {
  const der = cert.raw;
  // Certificate ::= SEQ { tbs SEQ { [0] version, serial, sigAlg, issuer, validity, subject, ... } }
  const read = (buf: Buffer, at: number): { start: number; end: number; headerEnd: number } => {
    let i = at + 1;
    let l = buf[i] ?? 0;
    i++;
    if (l & 0x80) {
      const n = l & 0x7f;
      l = 0;
      for (let k = 0; k < n; k++) l = l * 256 + (buf[i + k] ?? 0);
      i += n;
    }
    return { start: at, headerEnd: i, end: i + l };
  };
  const tbs = read(der, read(der, 0).headerEnd);
  let at = tbs.headerEnd;
  const fields: { start: number; end: number }[] = [];
  while (at < tbs.end && fields.length < 6) {
    const f = read(der, at);
    fields.push(f);
    at = f.end;
  }
  // with the explicit version: [0], serial, sigAlg, issuer, validity, subject
  const subject = fields[5];
  if (!subject) throw new Error('CA certificate has no subject');
  return der.subarray(subject.start, subject.end);
}

// --- rotation --------------------------------------------------------------------------------

export interface CertManagerOptions {
  /** SANs of the serving certificate (e.g. 127.0.0.1, the Service DNS names). */
  hosts: readonly string[];
  /** Serving certificate lifetime; default 30 days. */
  servingValidityMs?: number;
  /** CA lifetime; default 1 year. */
  caValidityMs?: number;
  /** Renew when less than this fraction of the lifetime is left; default 1/3. */
  renewFraction?: number;
  now?: () => Date;
}

export interface CertState {
  ca: KeyPairPem;
  /** CAs the apiserver should trust: the current one, plus the previous one until it expires. */
  caBundlePem: string;
  serving: KeyPairPem;
  servingNotAfter: Date;
  caNotAfter: Date;
}

const DAY = 86_400_000;

/** What is persisted (a Secret) so replicas and restarts share one CA and serving certificate. */
export interface PersistedCerts {
  ca: KeyPairPem;
  serving: KeyPairPem;
  /** The CA that is being replaced, trusted until it expires; absent outside a CA roll-over. */
  previousCaPem?: string;
}

function coversHost(cert: X509Certificate, host: string): boolean {
  return isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

/**
 * Keeps a CA and serving certificate valid. `ensure()` issues what is missing or due for renewal
 * and returns whether anything changed (then: reload the TLS context and patch the caBundle).
 */
export class CertManager {
  private state: CertState | undefined;
  private previousCa: { pem: string; notAfter: Date } | undefined;
  private readonly o: Required<Omit<CertManagerOptions, 'now'>> & { now: () => Date };

  constructor(opts: CertManagerOptions) {
    this.o = {
      hosts: opts.hosts,
      servingValidityMs: opts.servingValidityMs ?? 30 * DAY,
      caValidityMs: opts.caValidityMs ?? 365 * DAY,
      renewFraction: opts.renewFraction ?? 1 / 3,
      now: opts.now ?? (() => new Date()),
    };
  }

  get current(): CertState {
    if (!this.state) this.ensure();
    return this.state as CertState;
  }

  /** The certificates in use (CA key included) for persisting; issues them when there are none. */
  snapshot(): PersistedCerts {
    const st = this.current;
    return {
      ca: st.ca,
      serving: st.serving,
      ...(this.previousCa ? { previousCaPem: this.previousCa.pem } : {}),
    };
  }

  /**
   * Adopts persisted certificates (another replica's, or an earlier run's). Returns false, keeping
   * the current state, when they are unusable: unparsable, the serving certificate not issued by
   * the CA or not covering every host, or either already expired. `ensure()` afterwards renews
   * what is due.
   */
  adopt(p: PersistedCerts): boolean {
    let ca: X509Certificate;
    let leaf: X509Certificate;
    let prev: X509Certificate | undefined;
    try {
      ca = new X509Certificate(p.ca.certPem);
      leaf = new X509Certificate(p.serving.certPem);
      prev = p.previousCaPem ? new X509Certificate(p.previousCaPem) : undefined;
      createPrivateKey(p.ca.keyPem);
      if (!leaf.checkPrivateKey(createPrivateKey(p.serving.keyPem))) return false;
    } catch {
      return false;
    }
    const now = this.o.now().getTime();
    const caNotAfter = new Date(ca.validTo);
    const servingNotAfter = new Date(leaf.validTo);
    if (!ca.ca || !leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false;
    if (caNotAfter.getTime() <= now || servingNotAfter.getTime() <= now) return false;
    if (!this.o.hosts.every((h) => coversHost(leaf, h))) return false;
    const prevNotAfter = prev ? new Date(prev.validTo) : undefined;
    this.previousCa =
      p.previousCaPem && prevNotAfter && prevNotAfter.getTime() > now
        ? { pem: p.previousCaPem, notAfter: prevNotAfter }
        : undefined;
    this.state = {
      ca: p.ca,
      caBundlePem: p.ca.certPem + (this.previousCa?.pem ?? ''),
      serving: p.serving,
      servingNotAfter,
      caNotAfter,
    };
    return true;
  }

  /** Issues or renews; true when the serving certificate or the CA bundle changed. */
  ensure(): boolean {
    const now = this.o.now();
    const due = (notAfter: Date, validity: number): boolean =>
      notAfter.getTime() - now.getTime() < validity * this.o.renewFraction;
    let ca = this.state?.ca;
    let caNotAfter = this.state?.caNotAfter;
    let changed = false;
    if (!ca || !caNotAfter || due(caNotAfter, this.o.caValidityMs)) {
      if (ca && caNotAfter) this.previousCa = { pem: ca.certPem, notAfter: caNotAfter };
      caNotAfter = new Date(now.getTime() + this.o.caValidityMs);
      ca = createCertificate({
        commonName: 'palisade-webhook-ca',
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: caNotAfter,
      });
      changed = true;
    }
    if (this.previousCa && this.previousCa.notAfter.getTime() <= now.getTime()) {
      this.previousCa = undefined;
      changed = true;
    }
    let serving = this.state?.serving;
    let servingNotAfter = this.state?.servingNotAfter;
    if (changed || !serving || !servingNotAfter || due(servingNotAfter, this.o.servingValidityMs)) {
      servingNotAfter = new Date(Math.min(now.getTime() + this.o.servingValidityMs, caNotAfter.getTime()));
      serving = createCertificate({
        commonName: 'palisade-webhook',
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: servingNotAfter,
        issuer: ca,
        hosts: this.o.hosts,
      });
      changed = true;
    }
    if (changed) {
      this.state = {
        ca,
        caBundlePem: ca.certPem + (this.previousCa?.pem ?? ''),
        serving,
        servingNotAfter,
        caNotAfter,
      };
    }
    return changed;
  }
}
