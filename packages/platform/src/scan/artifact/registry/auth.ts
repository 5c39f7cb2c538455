/**
 * Registry authentication (the distribution token protocol and Basic auth).
 * Requests start anonymous; a 401 carries a WWW-Authenticate challenge:
 * - `Bearer realm=…,service=…,scope=…`: fetch a token from the realm (GET with
 *   service/scope/account, with Basic credentials when we have them; or the
 *   OAuth2 POST `grant_type=refresh_token` for an identity token) and send it
 *   as `Authorization: Bearer`;
 * - `Basic realm=…`: send the credentials as `Authorization: Basic`.
 * Credentials are never sent over plain HTTP except to loopback hosts or
 * when the user asked for an insecure registry.
 */
import { PalisadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { RegistryCredentials } from './docker-config.js';
import type { HttpOptions } from './http.js';
import { readBounded, send } from './http.js';
import { isLoopbackHost } from './reference.js';

export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lower-cased. */
  params: Record<string, string>;
}

const MAX_TOKEN_RESPONSE = 1 << 20;

/**
 * Parses a WWW-Authenticate header (RFC 7235): one or more challenges, each a
 * scheme followed by comma-separated `name=value` or `name="quoted value"`.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const s = header.slice(0, 16_384);
  let i = 0;
  let current: Challenge | undefined;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && !/[\s,="]/.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const tok = readToken();
    if (tok === '') {
      i++;
      continue;
    }
    skipWs();
    if (s[i] === '=' && current) {
      i++;
      skipWs();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        value = readToken();
        // token68 padding (`Bearer abc==`) stays with the value
        while (s[i] === '=') {
          value += '=';
          i++;
        }
      }
      current.params[tok.toLowerCase()] = value;
    } else {
      current = { scheme: tok.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

export interface RegistryAuthOptions {
  /** Registry origin (`https://ghcr.io`): the only origin that gets the registry Authorization header. */
  origin: string;
  /** Registry as the user names it, for messages (`docker.io`, `localhost:5000`). */
  registry: string;
  /** Repository path, for the default pull scope. */
  repository: string;
  credentials?: RegistryCredentials | undefined;
  insecure: boolean;
  http: HttpOptions;
  logger: Logger;
}

export function authHint(registry: string, hasCredentials: boolean): string {
  return hasCredentials
    ? `check the credentials for ${registry} (docker login ${registry}, or --username/--password)`
    : `the image may be private: run \`docker login ${registry}\` or pass --username and --password`;
}

/** Holds the Authorization header for one registry repository and renews it on challenges. */
export class RegistryAuth {
  private authorization: string | undefined;
  private pending: Promise<boolean> | undefined;
  private readonly opts: RegistryAuthOptions;

  constructor(opts: RegistryAuthOptions) {
    this.opts = opts;
    if (opts.credentials?.registryToken) this.authorization = `Bearer ${opts.credentials.registryToken}`;
  }

  get header(): string | undefined {
    return this.authorization;
  }

  get hasCredentials(): boolean {
    const c = this.opts.credentials;
    return !!(c && (c.username !== undefined || c.identityToken || c.registryToken));
  }

  /**
   * Answers a 401. Resolves true when a new Authorization header was obtained
   * and the request is worth retrying; false when nothing more can be tried.
   * Throws E_AUTH when the token server refuses the credentials.
   */
  async respond(res: Response, usedHeader: string | undefined): Promise<boolean> {
    // Another request may already have renewed the header.
    if (this.authorization !== usedHeader) return true;
    if (this.pending) return this.pending;
    this.pending = this.renew(res.headers.get('www-authenticate') ?? '').finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async renew(header: string): Promise<boolean> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = this.opts.credentials;
    if (bearer) {
      const token = await this.fetchToken(bearer);
      const next = `Bearer ${token}`;
      if (next === this.authorization) return false;
      this.authorization = next;
      return true;
    }
    if (basic && creds?.username !== undefined && creds.password !== undefined) {
      this.assertSafeForCredentials(new URL(this.opts.origin));
      const next = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      if (next === this.authorization) return false;
      this.authorization = next;
      return true;
    }
    return false;
  }

  private assertSafeForCredentials(url: URL): void {
    if (url.protocol === 'https:' || this.opts.insecure || isLoopbackHost(url.host)) return;
    throw new PalisadeError(
      'E_AUTH',
      `refusing to send credentials for ${this.opts.registry} over plain HTTP to ${url.origin}`,
      { hint: 'use an HTTPS registry, or pass --insecure if this registry is trusted' },
    );
  }

  private async fetchToken(challenge: Challenge): Promise<string> {
    const { realm, service } = challenge.params;
    if (!realm) {
      throw new PalisadeError('E_REGISTRY', `${this.opts.registry} sent a Bearer challenge without a realm`);
    }
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new PalisadeError(
        'E_REGISTRY',
        `${this.opts.registry} sent an invalid token realm ${JSON.stringify(realm)}`,
      );
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new PalisadeError('E_REGISTRY', `${this.opts.registry} sent a token realm that is not HTTP(S)`);
    }
    const scope = challenge.params['scope'] || `repository:${this.opts.repository}:pull`;
    const creds = this.opts.credentials;
    const log = this.opts.logger;

    let res: Response;
    if (creds?.identityToken) {
      this.assertSafeForCredentials(realmUrl);
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.identityToken,
        client_id: 'palisade',
        scope,
      });
      if (service) form.set('service', service);
      log.debug(
        { realm: realmUrl.origin + realmUrl.pathname, scope },
        'fetching registry token (refresh token)',
      );
      ({ res } = await send(
        realmUrl,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: form.toString(),
        },
        this.opts.http,
      ));
    } else {
      const url = new URL(realmUrl);
      if (service) url.searchParams.set('service', service);
      for (const sc of scope.split(' ')) if (sc) url.searchParams.append('scope', sc);
      let authorization: string | undefined;
      if (creds?.username !== undefined && creds.password !== undefined) {
        this.assertSafeForCredentials(realmUrl);
        url.searchParams.set('account', creds.username);
        authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
      log.debug(
        { realm: realmUrl.origin + realmUrl.pathname, scope, anonymous: authorization === undefined },
        'fetching registry token',
      );
      ({ res } = await send(
        url,
        { headers: { accept: 'application/json' }, authorization, authOrigin: url.origin },
        this.opts.http,
      ));
    }

    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => undefined);
      throw new PalisadeError(
        'E_AUTH',
        `the token server for ${this.opts.registry} refused ${this.hasCredentials ? 'the credentials' : 'anonymous access'} (${res.status})`,
        { hint: authHint(this.opts.registry, this.hasCredentials) },
      );
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new PalisadeError(
        'E_REGISTRY',
        `the token server for ${this.opts.registry} answered ${res.status}`,
      );
    }
    const body = await readBounded(res, MAX_TOKEN_RESPONSE, 'token response');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new PalisadeError('E_REGISTRY', `the token server for ${this.opts.registry} did not answer JSON`);
    }
    const obj = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const token = typeof obj['token'] === 'string' && obj['token'] ? obj['token'] : obj['access_token'];
    if (typeof token !== 'string' || token.length === 0) {
      throw new PalisadeError('E_REGISTRY', `the token server for ${this.opts.registry} returned no token`);
    }
    if (/[\r\n]/.test(token)) {
      throw new PalisadeError(
        'E_REGISTRY',
        `the token server for ${this.opts.registry} returned a malformed token`,
      );
    }
    return token;
  }
}
