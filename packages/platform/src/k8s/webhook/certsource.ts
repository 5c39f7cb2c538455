/**
 * Where the webhook's serving certificate and the caBundle come from:
 *
 * - `SelfManagedCerts`: a CertManager (own CA, rotated before expiry), optionally persisted in a
 *   Secret so replicas and restarts share one CA and serving certificate. Every `refresh()` reads
 *   the Secret, adopts what another replica wrote, renews what is due and writes back with the
 *   Secret's resourceVersion (a conflict means another replica wrote first: read again, adopt).
 * - `FileCerts`: a certificate and key from files (cert-manager, a mounted Secret), reloaded when
 *   the files change; the caBundle is the `--ca-bundle` file, or the certificate file itself.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { PalisadeError } from '../../core/errors.js';
import { nullLogger, type Logger } from '../../core/logger.js';
import { KubeApiError, Secrets, type KubeClient } from '../client/index.js';
import { CertManager, type CertManagerOptions, type KeyPairPem, type PersistedCerts } from './certs.js';

export interface CertProvider {
  serving(): KeyPairPem;
  caBundlePem(): string;
  /** Re-reads / renews; true when the serving certificate or the caBundle changed. */
  refresh(): Promise<boolean>;
}

/** Secret keys (`tls.crt`/`tls.key` as in a kubernetes.io/tls Secret). */
const KEYS = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  cert: 'tls.crt',
  key: 'tls.key',
  previousCa: 'previous-ca.crt',
} as const;

function toData(p: PersistedCerts): Record<string, string> {
  const b = (s: string): string => Buffer.from(s).toString('base64');
  return {
    [KEYS.caCert]: b(p.ca.certPem),
    [KEYS.caKey]: b(p.ca.keyPem),
    [KEYS.cert]: b(p.serving.certPem),
    [KEYS.key]: b(p.serving.keyPem),
    ...(p.previousCaPem ? { [KEYS.previousCa]: b(p.previousCaPem) } : {}),
  };
}

/** Key order differs between what we build and what the apiserver returns (sorted). */
function sameData(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function fromData(data: Record<string, string> | undefined): PersistedCerts | undefined {
  if (!data) return undefined;
  const s = (k: string): string | undefined => {
    const v = data[k];
    return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
  };
  const caCert = s(KEYS.caCert);
  const caKey = s(KEYS.caKey);
  const cert = s(KEYS.cert);
  const key = s(KEYS.key);
  if (!caCert || !caKey || !cert || !key) return undefined;
  const prev = s(KEYS.previousCa);
  return {
    ca: { certPem: caCert, keyPem: caKey },
    serving: { certPem: cert, keyPem: key },
    ...(prev ? { previousCaPem: prev } : {}),
  };
}

export interface SelfManagedOptions extends CertManagerOptions {
  client?: KubeClient;
  /** Persist in this Secret; absent: in memory only (one process). */
  secret?: { namespace: string; name: string };
  logger?: Logger;
}

export class SelfManagedCerts implements CertProvider {
  readonly manager: CertManager;
  private readonly o: SelfManagedOptions;
  private readonly log: Logger;

  constructor(o: SelfManagedOptions) {
    this.o = o;
    this.manager = new CertManager(o);
    this.log = (o.logger ?? nullLogger).child({ component: 'webhook-certs' });
  }

  serving(): KeyPairPem {
    return this.manager.current.serving;
  }
  caBundlePem(): string {
    return this.manager.current.caBundlePem;
  }

  async refresh(): Promise<boolean> {
    const { client, secret } = this.o;
    if (!client || !secret) return this.manager.ensure();
    const before = JSON.stringify(this.manager.snapshot());
    for (let attempt = 0; attempt < 5; attempt++) {
      let existing:
        { metadata?: Record<string, unknown>; type?: string; data?: Record<string, string> } | undefined;
      try {
        existing = await client.get(Secrets, secret.name, secret.namespace);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      }
      const stored = fromData(existing?.data);
      if (stored && !this.manager.adopt(stored))
        this.log.warn({}, 'certificates in the Secret are unusable; reissuing');
      this.manager.ensure();
      const data = toData(this.manager.snapshot());
      if (sameData(existing?.data ?? {}, data)) break;
      // an existing Secret (the Helm chart creates it empty) keeps its labels and annotations
      const body = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: existing?.type ?? 'Opaque',
        metadata: existing?.metadata
          ? { ...existing.metadata, name: secret.name, namespace: secret.namespace }
          : {
              name: secret.name,
              namespace: secret.namespace,
              labels: { 'app.kubernetes.io/managed-by': 'palisade' },
            },
        data,
      };
      try {
        if (existing) await client.replace(Secrets, body);
        else await client.create(Secrets, body, secret.namespace);
        this.log.info({ secret: `${secret.namespace}/${secret.name}` }, 'webhook certificates written');
        break;
      } catch (err) {
        // another replica wrote first: read its certificates and adopt them
        if (!(err instanceof KubeApiError && (err.status === 409 || err.status === 404))) throw err;
      }
    }
    return JSON.stringify(this.manager.snapshot()) !== before;
  }
}

/** Largest certificate, key or bundle file read (a bundle of a few hundred certificates). */
export const MAX_PEM_BYTES = 1024 * 1024;

export interface FileCertsOptions {
  certFile: string;
  keyFile: string;
  /** PEM bundle the apiserver should trust; default: the certificate file itself. */
  caBundleFile?: string;
}

export class FileCerts implements CertProvider {
  private cur: { serving: KeyPairPem; ca: string } | undefined;
  constructor(private readonly o: FileCertsOptions) {}

  private async read(): Promise<{ serving: KeyPairPem; ca: string }> {
    const rd = async (f: string): Promise<string> => {
      let size: number;
      try {
        size = (await stat(f)).size;
      } catch (err) {
        throw new PalisadeError(
          'E_IO',
          `cannot read ${f}: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      }
      if (size > MAX_PEM_BYTES)
        throw new PalisadeError(
          'E_LIMIT',
          `${f} is ${size} bytes; a PEM file here is at most ${MAX_PEM_BYTES}`,
        );
      try {
        return await readFile(f, 'utf8');
      } catch (err) {
        throw new PalisadeError(
          'E_IO',
          `cannot read ${f}: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      }
    };
    const certPem = await rd(this.o.certFile);
    const keyPem = await rd(this.o.keyFile);
    const ca = this.o.caBundleFile ? await rd(this.o.caBundleFile) : certPem;
    try {
      const cert = new X509Certificate(certPem);
      if (!cert.checkPrivateKey(createPrivateKey(keyPem)))
        throw new Error(`${this.o.keyFile} is not the key of ${this.o.certFile}`);
      new X509Certificate(ca);
    } catch (err) {
      throw new PalisadeError(
        'E_PARSE',
        `webhook certificate: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
    return { serving: { certPem, keyPem }, ca };
  }

  /** Loads the files; must be called before serving(). */
  async load(): Promise<void> {
    this.cur = await this.read();
  }

  serving(): KeyPairPem {
    if (!this.cur) throw new PalisadeError('E_INTERNAL', 'FileCerts.load() not called');
    return this.cur.serving;
  }
  caBundlePem(): string {
    if (!this.cur) throw new PalisadeError('E_INTERNAL', 'FileCerts.load() not called');
    return this.cur.ca;
  }

  /** Reloads when the files changed; a half-written or mismatched pair keeps the old one (throws). */
  async refresh(): Promise<boolean> {
    const next = await this.read();
    const changed = JSON.stringify(next) !== JSON.stringify(this.cur);
    this.cur = next;
    return changed;
  }
}
