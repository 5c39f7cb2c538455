/**
 * A small typed REST client for the Kubernetes API. Authentication comes from
 * `@kubernetes/client-node`'s KubeConfig (certificates, tokens, exec plugins); requests go over
 * node:https so that watches are plain line-delimited JSON streams we control (AbortSignal,
 * bounded lines, the HTTP status and `Status` bodies kept) — see docs/adr/0006-k8s-client-and-informer.md.
 *
 * Errors from the apiserver become `KubeApiError` (code E_K8S_API) with the HTTP status and the
 * `Status` reason, so callers can branch on `isGone` (410), `isConflict` (409), `isNotFound` (404).
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { AgentOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import { apiVersionOf } from './resources.js';
import type { KubeObject, ResourceType } from './resources.js';

/** A `meta/v1` Status, as the apiserver returns for errors and in watch ERROR events. */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
}

export class KubeApiError extends PalisadeError {
  readonly status: number;
  readonly reason: string;
  readonly body: KubeStatus | undefined;

  constructor(status: number, what: string, body: KubeStatus | undefined, cause?: unknown) {
    const reason = body?.reason ?? '';
    super(
      'E_K8S_API',
      `${what}: ${status}${reason ? ` ${reason}` : ''}${body?.message ? `: ${body.message}` : ''}`,
      {
        cause,
      },
    );
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.body = body;
  }

  get isGone(): boolean {
    return this.status === 410 || this.reason === 'Expired' || this.reason === 'Gone';
  }
  get isNotFound(): boolean {
    return this.status === 404;
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
  get isAlreadyExists(): boolean {
    return this.status === 409 && this.reason === 'AlreadyExists';
  }
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** `''` (default): a consistent read; `'0'`: any cached state; other values: "not older than". */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  limit?: number;
  continue?: string;
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** Server-side timeout; the server closes the stream cleanly after it. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: KubeStatus };

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface KubeClientOptions {
  /** Largest response body (bytes) read for a non-watch request; default 256 MiB. */
  maxResponseBytes?: number;
  /** Largest single watch event line, in characters; default 16 Mi. */
  maxWatchEventChars?: number;
  /** Per-request timeout for non-watch requests, ms; default 60 s. */
  requestTimeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** `/api/v1/namespaces/ns/configmaps[/name]` or `/apis/group/version/...`. */
export function resourcePath(r: ResourceType<KubeObject>, namespace?: string, name?: string): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const n = name !== undefined ? `/${encodeURIComponent(name)}` : '';
  return `${base}${ns}/${r.plural}${n}`;
}

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  private readonly agent: Agent | undefined;
  private readonly opts: Required<KubeClientOptions>;

  private constructor(kc: KubeConfig, opts: KubeClientOptions) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new PalisadeError('E_CONFIG', 'kubeconfig has no current cluster');
    this.kubeConfig = kc;
    this.server = cluster.server.replace(/\/+$/, '');
    this.agent = this.server.startsWith('https:')
      ? new Agent({ keepAlive: true, maxSockets: 32 })
      : undefined;
    this.opts = {
      maxResponseBytes: opts.maxResponseBytes ?? 256 * 1024 * 1024,
      maxWatchEventChars: opts.maxWatchEventChars ?? 16 * 1024 * 1024,
      requestTimeoutMs: opts.requestTimeoutMs ?? 60_000,
    };
  }

  static fromKubeConfig(kc: KubeConfig, opts: KubeClientOptions = {}): KubeClient {
    return new KubeClient(kc, opts);
  }

  /** Loads a kubeconfig file (the caller decides which: flag, KUBECONFIG, ~/.kube/config). */
  static fromFile(path: string, opts: KubeClientOptions = {}): KubeClient {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(path);
    } catch (err) {
      throw new PalisadeError('E_CONFIG', `cannot load kubeconfig ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return new KubeClient(kc, opts);
  }

  static fromString(yaml: string, opts: KubeClientOptions = {}): KubeClient {
    const kc = new KubeConfig();
    try {
      kc.loadFromString(yaml);
    } catch (err) {
      throw new PalisadeError('E_CONFIG', `cannot parse kubeconfig: ${errorMessage(err)}`, { cause: err });
    }
    return new KubeClient(kc, opts);
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent?.destroy();
  }

  private async open(
    method: string,
    path: string,
    body: string | undefined,
    contentType: string | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    pooled: boolean,
  ): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    const options: RequestOptions & AgentOptions = {
      method,
      headers: {
        accept: 'application/json',
        ...(contentType ? { 'content-type': contentType } : {}),
        // Always sized: Node sends a DELETE body unchunked, and without a length the server would
        // read it as the next request on a kept-alive connection.
        ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
      },
    };
    // Sets ca/cert/key/headers and a fresh agent (a proxy agent when the kubeconfig names a proxy).
    try {
      await this.kubeConfig.applyToHTTPSOptions(options);
    } catch (err) {
      throw new PalisadeError('E_CONFIG', `kubeconfig: ${errorMessage(err)}`, { cause: err });
    }
    if (pooled && this.agent && !this.kubeConfig.getCurrentCluster()?.proxyUrl) {
      // Keep-alive for short requests; sockets are keyed by the per-request TLS options.
      options.agent = this.agent;
    }
    if (signal) options.signal = signal;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, options, resolve);
      if (timeoutMs !== undefined) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(new PalisadeError('E_IO', `${method} ${path}: timed out`)),
        );
      }
      req.on('error', (err) => {
        if (signal?.aborted)
          reject(new PalisadeError('E_ABORTED', 'request was cancelled', { cause: signal.reason }));
        else
          reject(
            err instanceof PalisadeError
              ? err
              : new PalisadeError('E_IO', `${method} ${path}: ${errorMessage(err)}`, { cause: err }),
          );
      });
      req.end(body);
    });
  }

  private async readBody(res: IncomingMessage, what: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > this.opts.maxResponseBytes) {
        res.destroy();
        throw new PalisadeError(
          'E_LIMIT',
          `${what}: response larger than ${this.opts.maxResponseBytes} bytes`,
        );
      }
      chunks.push(b);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** One JSON request; throws KubeApiError for a non-2xx answer. */
  async request<R>(
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<R> {
    const what = `${method} ${path}`;
    const body =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    let res: IncomingMessage;
    let text: string;
    try {
      res = await this.open(
        method,
        path,
        body,
        body === undefined ? undefined : (opts.contentType ?? 'application/json'),
        opts.signal,
        this.opts.requestTimeoutMs,
        true,
      );
      text = await this.readBody(res, what);
    } catch (err) {
      if (err instanceof PalisadeError) throw err;
      throw new PalisadeError('E_IO', `${what}: ${errorMessage(err)}`, { cause: err });
    }
    const status = res.statusCode ?? 0;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      if (status >= 200 && status < 300)
        throw new PalisadeError('E_PARSE', `${what}: response is not JSON`, { cause: err });
      parsed = { message: text.slice(0, 500) };
    }
    if (status < 200 || status >= 300) throw new KubeApiError(status, what, parsed as KubeStatus | undefined);
    return parsed as R;
  }

  // --- typed verbs --------------------------------------------------------------------------

  async get<T extends KubeObject>(r: ResourceType<T>, name: string, namespace?: string): Promise<T> {
    return await this.request<T>('GET', resourcePath(r, namespace, name));
  }

  /** One page (or all, without `limit`) of a list. */
  async list<T extends KubeObject>(
    r: ResourceType<T>,
    namespace?: string,
    o: ListOptions = {},
  ): Promise<ObjectList<T>> {
    const q = queryString({
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      resourceVersion: o.resourceVersion,
      resourceVersionMatch: o.resourceVersionMatch,
      limit: o.limit,
      continue: o.continue,
    });
    const list = await this.request<ObjectList<T>>('GET', resourcePath(r, namespace) + q, {
      ...(o.signal ? { signal: o.signal } : {}),
    });
    list.items ??= [];
    list.metadata ??= {};
    return list;
  }

  /** Every page of a list, followed through `continue` tokens. */
  async listAll<T extends KubeObject>(
    r: ResourceType<T>,
    namespace?: string,
    o: Omit<ListOptions, 'continue'> = {},
  ): Promise<ObjectList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let first: ObjectList<T> | undefined;
    do {
      const page = await this.list(r, namespace, { ...o, ...(cont ? { continue: cont } : {}) });
      first ??= page;
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
    } while (cont);
    const meta: ListMeta = {};
    if (first?.metadata.resourceVersion !== undefined) meta.resourceVersion = first.metadata.resourceVersion;
    return { apiVersion: first?.apiVersion ?? apiVersionOf(r), kind: `${r.kind}List`, metadata: meta, items };
  }

  async create<T extends KubeObject>(r: ResourceType<T>, obj: T, namespace?: string): Promise<T> {
    const ns = namespace ?? obj.metadata?.namespace;
    return await this.request<T>('POST', resourcePath(r, ns), {
      body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj },
    });
  }

  /** PUT; `obj.metadata.resourceVersion` makes it conditional (409 Conflict when stale). */
  async replace<T extends KubeObject>(r: ResourceType<T>, obj: T): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new PalisadeError('E_USAGE', `replace ${r.kind}: metadata.name is required`);
    return await this.request<T>('PUT', resourcePath(r, obj.metadata?.namespace, name), {
      body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj },
    });
  }

  async patch<T extends KubeObject>(
    r: ResourceType<T>,
    name: string,
    patch: unknown,
    o: {
      namespace?: string;
      type?: PatchType;
      fieldManager?: string;
      force?: boolean;
      subresource?: string;
    } = {},
  ): Promise<T> {
    const type = o.type ?? 'merge';
    const q = queryString({ fieldManager: o.fieldManager, force: o.force });
    const sub = o.subresource ? `/${o.subresource}` : '';
    return await this.request<T>('PATCH', resourcePath(r, o.namespace, name) + sub + q, {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  /** DELETE; returns the object (or a Status) the apiserver answered with. */
  async delete(
    r: ResourceType<KubeObject>,
    name: string,
    namespace?: string,
    o: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; resourceVersion?: string } = {},
  ): Promise<unknown> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (o.propagationPolicy) body['propagationPolicy'] = o.propagationPolicy;
    if (o.resourceVersion) body['preconditions'] = { resourceVersion: o.resourceVersion };
    return await this.request('DELETE', resourcePath(r, namespace, name), { body });
  }

  /**
   * A watch stream: yields events until the server ends it (timeoutSeconds), the signal aborts,
   * or the connection fails (then it throws E_IO). A non-200 answer throws KubeApiError; a 410
   * arrives either that way or as an ERROR event, depending on where the apiserver detects it.
   */
  async *watch<T extends KubeObject>(
    r: ResourceType<T>,
    namespace?: string,
    o: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const q = queryString({
      watch: 1,
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      resourceVersion: o.resourceVersion,
      allowWatchBookmarks: o.allowWatchBookmarks,
      timeoutSeconds: o.timeoutSeconds,
    });
    const path = resourcePath(r, namespace) + q;
    const what = `watch ${path}`;
    const res = await this.open('GET', path, undefined, undefined, o.signal, undefined, false);
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const text = await this.readBody(res, what);
      let parsed: KubeStatus | undefined;
      try {
        parsed = JSON.parse(text) as KubeStatus;
      } catch {
        parsed = { message: text.slice(0, 500) };
      }
      throw new KubeApiError(status, what, parsed);
    }
    const max = this.opts.maxWatchEventChars;
    const tooLarge = (): PalisadeError =>
      new PalisadeError('E_LIMIT', `${what}: watch event larger than ${max} characters`);
    let buf = '';
    try {
      res.setEncoding('utf8');
      for await (const chunk of res) {
        buf += chunk as string;
        let start = 0;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          if (nl - start > max) throw tooLarge();
          const line = buf.slice(start, nl).trim();
          if (line) yield parseEvent<T>(line, what);
          start = nl + 1;
          nl = buf.indexOf('\n', start);
        }
        buf = buf.slice(start);
        // The rest is one partial event: bounded while it grows.
        if (buf.length > max) throw tooLarge();
      }
      if (buf.trim()) yield parseEvent<T>(buf.trim(), what);
    } catch (err) {
      if (o.signal?.aborted) return;
      if (err instanceof PalisadeError) throw err;
      throw new PalisadeError('E_IO', `${what}: ${errorMessage(err)}`, { cause: err });
    } finally {
      res.destroy();
    }
  }
}

function parseEvent<T>(line: string, what: string): WatchEvent<T> {
  let ev: { type?: unknown; object?: unknown };
  try {
    ev = JSON.parse(line) as { type?: unknown; object?: unknown };
  } catch (err) {
    throw new PalisadeError('E_PARSE', `${what}: watch event is not JSON`, { cause: err });
  }
  const type = ev.type;
  if (
    (type !== 'ADDED' &&
      type !== 'MODIFIED' &&
      type !== 'DELETED' &&
      type !== 'BOOKMARK' &&
      type !== 'ERROR') ||
    typeof ev.object !== 'object' ||
    ev.object === null
  ) {
    throw new PalisadeError('E_PARSE', `${what}: malformed watch event (type ${String(type)})`);
  }
  return ev as WatchEvent<T>;
}
