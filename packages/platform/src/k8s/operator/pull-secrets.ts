/**
 * Registry credentials from image pull secrets, matched the way the kubelet matches them
 * (pkg/credentialprovider): a key is `host[:port][/path]`, with or without a scheme; it matches
 * an image when the hosts are equal (a `*` in a key's host matches one DNS label) and the image's
 * repository starts with the key's path. Docker Hub keys (`https://index.docker.io/v1/`,
 * `docker.io`, `index.docker.io`, `registry-1.docker.io`) match images on Docker Hub.
 *
 * Secrets of type `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`, `{"auths": {...}}`) and
 * `kubernetes.io/dockercfg` (`.dockercfg`, the auths map itself) are read; an entry gives a
 * username and password (`auth` = base64 "user:password", or `username`/`password`). Malformed
 * secrets are skipped with a diagnostic, never thrown.
 */
import { parseReference } from '../../scan/artifact/registry/reference.js';

export interface PullCredential {
  /** The key as written in the secret. */
  key: string;
  host: string;
  path: string;
  username: string;
  password: string;
  /** `namespace/name` of the secret, for logs (never the secret itself). */
  source: string;
}

export interface PullSecretObject {
  metadata?: { name?: string; namespace?: string };
  type?: string;
  data?: { [key: string]: string };
}

/** Largest decoded docker config read from one secret. */
export const MAX_DOCKER_CONFIG_BYTES = 1 << 20;

const HUB_HOSTS = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `https://host:5000/v2/x` → host `host:5000`, path `x` (lower-case host; `/v1/`,`/v2/` dropped). */
export function parseKey(key: string): { host: string; path: string } {
  let s = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = s.indexOf('/');
  const host = (slash >= 0 ? s.slice(0, slash) : s).toLowerCase();
  s = slash >= 0 ? s.slice(slash + 1) : '';
  s = s.replace(/^v[12]\/?/, '').replace(/\/+$/, '');
  return { host: HUB_HOSTS.has(host) ? 'docker.io' : host, path: s };
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.includes('*')) return false;
  const [pHost, pPort] = pattern.split(':');
  const [hHost, hPort] = host.split(':');
  if ((pPort ?? '') !== (hPort ?? '')) return false;
  const pl = (pHost ?? '').split('.');
  const hl = (hHost ?? '').split('.');
  if (pl.length !== hl.length) return false;
  return pl.every((p, i) => {
    const re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*')}$`);
    return re.test(hl[i] ?? '');
  });
}

export interface ParsedSecret {
  credentials: PullCredential[];
  problems: string[];
}

/** The credentials in one pull secret. */
export function credentialsFromSecret(secret: PullSecretObject): ParsedSecret {
  const source = `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  const problems: string[] = [];
  const data = secret.data ?? {};
  let encoded: string | undefined;
  let legacy = false;
  if (typeof data['.dockerconfigjson'] === 'string') encoded = data['.dockerconfigjson'];
  else if (typeof data['.dockercfg'] === 'string') {
    encoded = data['.dockercfg'];
    legacy = true;
  }
  if (encoded === undefined) {
    problems.push(`${source}: no .dockerconfigjson or .dockercfg key`);
    return { credentials: [], problems };
  }
  if (encoded.length > (MAX_DOCKER_CONFIG_BYTES * 4) / 3 + 4) {
    problems.push(`${source}: docker config larger than ${MAX_DOCKER_CONFIG_BYTES} bytes`);
    return { credentials: [], problems };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    problems.push(`${source}: docker config is not JSON`);
    return { credentials: [], problems };
  }
  const auths = legacy ? parsed : isRecord(parsed) ? parsed['auths'] : undefined;
  if (!isRecord(auths)) {
    problems.push(`${source}: docker config has no auths`);
    return { credentials: [], problems };
  }
  const credentials: PullCredential[] = [];
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    let username: string | undefined;
    let password: string | undefined;
    if (typeof entry['auth'] === 'string' && entry['auth'] !== '') {
      const decoded = Buffer.from(entry['auth'], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      } else problems.push(`${source}: auth of ${key} is not base64 "user:password"`);
    } else if (typeof entry['username'] === 'string' && typeof entry['password'] === 'string') {
      username = entry['username'];
      password = entry['password'];
    }
    if (username === undefined || password === undefined) continue;
    const { host, path } = parseKey(key);
    credentials.push({ key, host, path, username, password, source });
  }
  return { credentials, problems };
}

/**
 * The credential for an image among the secrets' credentials (in the order the secrets are
 * given: the Pod's imagePullSecrets, then its service account's): the first secret with a
 * matching key wins, and within it the key with the longest path.
 */
export function credentialFor(image: string, creds: readonly PullCredential[]): PullCredential | undefined {
  const ref = parseReference(image);
  const host = ref.domain.toLowerCase();
  const repo = ref.path;
  let best: PullCredential | undefined;
  for (const c of creds) {
    if (best && c.source !== best.source) break;
    if (!hostMatches(c.host, host)) continue;
    if (c.path !== '' && repo !== c.path && !repo.startsWith(`${c.path}/`)) continue;
    if (!best || c.path.length > best.path.length) best = c;
  }
  return best;
}
