/**
 * Registry credentials from a Docker client configuration file
 * (~/.docker/config.json), read the way the Docker CLI reads it:
 * - `credHelpers[<key>]`, else `credsStore`: runs `docker-credential-<name> get`
 *   with the server key on stdin (no shell, with a timeout);
 * - `auths[<key>]`: base64 `auth` ("user:password"), `username`/`password`,
 *   `identitytoken` (an OAuth2 refresh token) or `registrytoken` (a bearer token).
 * The key is `https://index.docker.io/v1/` for Docker Hub and `host[:port]`
 * otherwise; `auths` keys written as URLs (`https://host/v2/`) match by host.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { nullLogger } from '../../../core/logger.js';
import { DOCKER_HUB } from './reference.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker-credential helpers return it with username `<token>`). */
  identityToken?: string;
  /** A bearer token sent as is. */
  registryToken?: string;
  /** Where the credentials came from, for logs (never the secret). */
  source: string;
}

export interface DockerConfigOptions {
  logger?: Logger | undefined;
  /** Timeout for a credential helper, in milliseconds. */
  helperTimeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** The key Docker uses for Docker Hub in config.json and with credential helpers. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const MAX_CONFIG_BYTES = 1 << 20;
const MAX_HELPER_OUTPUT = 1 << 20;
const HELPER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function defaultDockerConfigPath(): string {
  return join(homedir(), '.docker', 'config.json');
}

/** The config.json key for a registry domain as Docker writes it. */
export function dockerConfigKey(domain: string): string {
  return domain === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : domain;
}

/** Docker's ConvertToHostname: strips the scheme and everything after the first `/`. */
function convertToHostname(key: string): string {
  let s = key;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  const slash = s.indexOf('/');
  return slash >= 0 ? s.slice(0, slash) : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Credentials for `domain` from the Docker config at `configPath`, or
 * undefined when there are none. A missing file means none; a malformed file or
 * a failing helper is logged as a warning and treated as none, as the Docker CLI does.
 */
export async function credentialsFromDockerConfig(
  configPath: string,
  domain: string,
  opts: DockerConfigOptions = {},
): Promise<RegistryCredentials | undefined> {
  const log = opts.logger ?? nullLogger;
  let text: string;
  try {
    const st = await stat(configPath);
    if (!st.isFile()) return undefined;
    if (st.size > MAX_CONFIG_BYTES) {
      log.warn({ path: configPath, size: st.size }, 'docker config file too large; ignored');
      return undefined;
    }
    text = await readFile(configPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      log.warn({ path: configPath, err: errorMessage(err) }, 'cannot read docker config file');
    }
    return undefined;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    log.warn({ path: configPath, err: errorMessage(err) }, 'docker config file is not valid JSON; ignored');
    return undefined;
  }
  if (!isRecord(config)) return undefined;

  const key = dockerConfigKey(domain);
  const helpers = isRecord(config['credHelpers']) ? config['credHelpers'] : {};
  const helper = str(helpers[key]) ?? str(helpers[convertToHostname(key)]) ?? str(config['credsStore']);
  if (helper !== undefined) {
    const fromHelper = await runCredentialHelper(helper, key, opts);
    if (fromHelper) return fromHelper;
  }

  const auths = isRecord(config['auths']) ? config['auths'] : {};
  let entry: unknown = auths[key];
  if (!isRecord(entry)) {
    const want = convertToHostname(key);
    const aliases =
      domain === DOCKER_HUB ? new Set([want, 'docker.io', 'registry-1.docker.io']) : new Set([want]);
    for (const [k, v] of Object.entries(auths)) {
      if (isRecord(v) && aliases.has(convertToHostname(k))) {
        entry = v;
        break;
      }
    }
  }
  if (!isRecord(entry)) return undefined;
  return credentialsFromAuthEntry(entry, `${configPath} (auths)`, log);
}

function credentialsFromAuthEntry(
  entry: Record<string, unknown>,
  source: string,
  log: Logger,
): RegistryCredentials | undefined {
  const out: RegistryCredentials = { source };
  const auth = str(entry['auth']);
  if (auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      log.warn({ source }, 'docker config auth entry is not base64 "user:password"; ignored');
    } else {
      out.username = decoded.slice(0, colon);
      out.password = decoded.slice(colon + 1);
    }
  } else {
    const u = str(entry['username']);
    const p = str(entry['password']);
    if (u !== undefined && p !== undefined) {
      out.username = u;
      out.password = p;
    }
  }
  const identity = str(entry['identitytoken']);
  if (identity !== undefined) out.identityToken = identity;
  const registryToken = str(entry['registrytoken']);
  if (registryToken !== undefined) out.registryToken = registryToken;
  if (out.username === undefined && out.identityToken === undefined && out.registryToken === undefined) {
    return undefined;
  }
  return out;
}

/** Runs `docker-credential-<helper> get`; undefined when the helper has nothing for the key. */
export async function runCredentialHelper(
  helper: string,
  serverKey: string,
  opts: DockerConfigOptions = {},
): Promise<RegistryCredentials | undefined> {
  const log = opts.logger ?? nullLogger;
  if (!HELPER_NAME_RE.test(helper)) {
    log.warn({ helper }, 'docker credential helper name is not valid; ignored');
    return undefined;
  }
  const program = `docker-credential-${helper}`;
  const timeout = opts.helperTimeoutMs ?? 15_000;
  let stdout: string;
  try {
    stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        program,
        ['get'],
        {
          timeout,
          maxBuffer: MAX_HELPER_OUTPUT,
          shell: false,
          windowsHide: true,
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (err, out, errOut) => {
          if (err) {
            const text = `${String(out)}${String(errOut)}`.trim();
            const failure: Error & { helperOutput?: string } = err;
            failure.helperOutput = text;
            reject(failure);
          } else {
            resolve(String(out));
          }
        },
      );
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(serverKey);
    });
  } catch (err) {
    const output = (err as { helperOutput?: string }).helperOutput ?? '';
    if (/credentials not found/i.test(output)) return undefined;
    const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
    const why =
      e.code === 'ENOENT'
        ? `${program} not found on PATH`
        : e.killed
          ? `${program} timed out after ${timeout} ms`
          : `${program} failed: ${output.slice(0, 200) || errorMessage(err)}`;
    log.warn({ helper, server: serverKey }, `docker credential helper: ${why}`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    log.warn({ helper }, `${program} did not print JSON; ignored`);
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const username = str(parsed['Username']);
  const secret = str(parsed['Secret']);
  if (secret === undefined) return undefined;
  const source = `credential helper ${program}`;
  if (username === undefined) return undefined;
  if (username === '<token>') return { identityToken: secret, source };
  return { username, password: secret, source };
}
