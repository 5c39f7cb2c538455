/**
 * The `alert:` section of palisade.yaml: where runtime alerts go. Unlike the
 * flat settings of settings.ts it is a list of outputs, each with its own
 * receiver options, so it is parsed here into typed output specs. `${VAR}` in
 * a string value is replaced from the environment passed in (keep webhook
 * URLs and tokens out of the file); TLS files are read here, as config/ is
 * the only code that reads files and env.
 */
import type { RetryOptions } from '../alert/backoff.js';
import type { AlertmanagerOutputOptions } from '../alert/alertmanager.js';
import type { ElasticsearchOutputOptions } from '../alert/elasticsearch.js';
import type { FileOutputOptions } from '../alert/file.js';
import type { TlsOptions } from '../alert/http.js';
import type { LokiOutputOptions } from '../alert/loki.js';
import type { OutputKind, QueueOptions } from '../alert/output.js';
import type { SlackOutputOptions } from '../alert/slack.js';
import type { StdoutOutputOptions } from '../alert/stdout.js';
import type { Priority } from '../alert/types.js';
import type { WebhookOutputOptions } from '../alert/webhook.js';
import { readFileSync } from 'node:fs';
import { PalisadeError } from '../core/errors.js';

interface SpecBase {
  name: string;
  queue: QueueOptions;
  retry: RetryOptions;
}

export type AlertOutputSpec = SpecBase &
  (
    | { kind: 'stdout'; options: Omit<StdoutOutputOptions, 'stream'> }
    | { kind: 'file'; options: FileOutputOptions }
    | { kind: 'webhook'; options: WebhookOutputOptions }
    | { kind: 'slack'; options: SlackOutputOptions }
    | { kind: 'loki'; options: LokiOutputOptions }
    | { kind: 'alertmanager'; options: AlertmanagerOutputOptions }
    | { kind: 'elasticsearch'; options: Omit<ElasticsearchOutputOptions, 'now'> }
  );

export interface AlertConfig {
  outputs: AlertOutputSpec[];
}

export interface AlertConfigInput {
  env: NodeJS.ProcessEnv;
  /** Reads a TLS file (default: fs.readFileSync as UTF-8). */
  readFile?: (path: string) => string;
}

const PRIORITY_NAMES: Record<string, Priority> = {
  emergency: 'Emergency',
  alert: 'Alert',
  critical: 'Critical',
  error: 'Error',
  warning: 'Warning',
  notice: 'Notice',
  informational: 'Informational',
  info: 'Informational',
  debug: 'Debug',
};

const QUEUE_KEYS = [
  'minimumPriority',
  'batchSize',
  'flushInterval',
  'queueSize',
  'dropPolicy',
  'dedupWindow',
];
const RETRY_KEY = 'retry';
const HTTP_KEYS = ['url', 'headers', 'tls', 'timeout'];
const KIND_KEYS: Record<OutputKind, string[]> = {
  stdout: ['format'],
  file: ['path', 'format'],
  webhook: [...HTTP_KEYS, 'method'],
  slack: [...HTTP_KEYS, 'outputFormat', 'username', 'icon', 'channel', 'footer', 'messageText'],
  loki: [...HTTP_KEYS, 'endpoint', 'extraLabels', 'tenant', 'user', 'apiKey'],
  alertmanager: [
    ...HTTP_KEYS,
    'endpoint',
    'expiresAfter',
    'extraLabels',
    'extraAnnotations',
    'customSeverityMap',
    'dropEventThresholds',
    'dropEventDefaultPriority',
  ],
  elasticsearch: [...HTTP_KEYS, 'index', 'type', 'suffix', 'username', 'password', 'bulk'],
};
const KINDS = Object.keys(KIND_KEYS) as OutputKind[];

function fail(where: string, message: string): never {
  throw new PalisadeError('E_CONFIG', `config key ${where}: ${message}`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Replaces `${NAME}` with env[NAME]; a missing variable is an error (a silent empty URL would be worse). */
export function expandEnv(s: string, env: NodeJS.ProcessEnv, where: string): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) fail(where, `environment variable ${name} is not set`);
    return v;
  });
}

/** `500ms`, `1.5s`, `2m`, `1h`, or a number of seconds → milliseconds. */
export function parseDuration(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v * 1000);
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
    if (m) {
      const n = Number(m[1]);
      const unit = m[2] ?? 's';
      return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']);
    }
  }
  return fail(where, `expected a duration such as 500ms, 10s or 2m, got ${JSON.stringify(v)}`);
}

function str(v: unknown, where: string, env: NodeJS.ProcessEnv): string {
  if (typeof v === 'string') return expandEnv(v, env, where);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(where, `expected a string, got ${JSON.stringify(v)}`);
}

function int(v: unknown, where: string, min: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min)
    return fail(where, `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v === 'boolean') return v;
  return fail(where, `expected true or false, got ${JSON.stringify(v)}`);
}

function priority(v: unknown, where: string): Priority {
  const p = typeof v === 'string' ? PRIORITY_NAMES[v.trim().toLowerCase()] : undefined;
  if (!p) fail(where, `expected a Falco priority (emergency … debug), got ${JSON.stringify(v)}`);
  return p;
}

function oneOf<T extends string>(v: unknown, where: string, choices: readonly T[]): T {
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  return fail(where, `expected one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
}

function strMap(v: unknown, where: string, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!isMap(v)) fail(where, 'expected a mapping of strings');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = str(x, `${where}.${k}`, env);
  return out;
}

function strList(v: unknown, where: string, env: NodeJS.ProcessEnv): string[] {
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (!Array.isArray(v)) fail(where, 'expected a list of strings');
  return v.map((x, i) => str(x, `${where}[${i}]`, env));
}

function queueOptions(o: Record<string, unknown>, base: QueueOptions, where: string): QueueOptions {
  const q = { ...base };
  if (o['minimumPriority'] !== undefined)
    q.minimumPriority = priority(o['minimumPriority'], `${where}.minimumPriority`);
  if (o['batchSize'] !== undefined) q.batchSize = int(o['batchSize'], `${where}.batchSize`, 1);
  if (o['flushInterval'] !== undefined)
    q.flushIntervalMs = parseDuration(o['flushInterval'], `${where}.flushInterval`);
  if (o['queueSize'] !== undefined) q.queueSize = int(o['queueSize'], `${where}.queueSize`, 1);
  if (o['dropPolicy'] !== undefined)
    q.dropPolicy = oneOf(o['dropPolicy'], `${where}.dropPolicy`, ['oldest', 'newest']);
  if (o['dedupWindow'] !== undefined)
    q.dedupWindowMs = parseDuration(o['dedupWindow'], `${where}.dedupWindow`);
  return q;
}

function retryOptions(v: unknown, base: RetryOptions, where: string): RetryOptions {
  if (v === undefined) return base;
  if (!isMap(v)) fail(where, 'expected a mapping');
  const r = { ...base };
  for (const k of Object.keys(v)) {
    if (!['maxAttempts', 'initialBackoff', 'maxBackoff', 'maxRetryAfter'].includes(k))
      fail(`${where}.${k}`, 'unknown key');
  }
  if (v['maxAttempts'] !== undefined) r.maxAttempts = int(v['maxAttempts'], `${where}.maxAttempts`, 1);
  if (v['initialBackoff'] !== undefined)
    r.initialBackoffMs = parseDuration(v['initialBackoff'], `${where}.initialBackoff`);
  if (v['maxBackoff'] !== undefined) r.maxBackoffMs = parseDuration(v['maxBackoff'], `${where}.maxBackoff`);
  if (v['maxRetryAfter'] !== undefined)
    r.maxRetryAfterMs = parseDuration(v['maxRetryAfter'], `${where}.maxRetryAfter`);
  return r;
}

function tlsOptions(v: unknown, where: string, input: AlertConfigInput): TlsOptions {
  if (!isMap(v)) fail(where, 'expected a mapping');
  const t: TlsOptions = {};
  const read = (key: string): string => {
    const path = str(v[key], `${where}.${key}`, input.env);
    try {
      return (input.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
    } catch (e) {
      throw new PalisadeError('E_CONFIG', `config key ${where}.${key}: cannot read ${path}`, { cause: e });
    }
  };
  for (const k of Object.keys(v)) {
    if (!['caFile', 'certFile', 'keyFile', 'serverName', 'insecureSkipVerify'].includes(k))
      fail(`${where}.${k}`, 'unknown key');
  }
  if (v['caFile'] !== undefined) t.ca = read('caFile');
  if (v['certFile'] !== undefined) t.cert = read('certFile');
  if (v['keyFile'] !== undefined) t.key = read('keyFile');
  if ((t.cert === undefined) !== (t.key === undefined)) fail(where, 'certFile and keyFile go together');
  if (v['serverName'] !== undefined) t.serverName = str(v['serverName'], `${where}.serverName`, input.env);
  if (v['insecureSkipVerify'] !== undefined)
    t.insecureSkipVerify = bool(v['insecureSkipVerify'], `${where}.insecureSkipVerify`);
  return t;
}

function urlOf(v: unknown, where: string, env: NodeJS.ProcessEnv): string {
  const s = str(v, where, env);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    // The value may hold a secret: say what is wrong without echoing it.
    return fail(where, 'not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(where, 'expected an http or https URL');
  return s;
}

const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  minimumPriority: 'Debug',
  batchSize: 100,
  flushIntervalMs: 1000,
  queueSize: 10_000,
  dropPolicy: 'oldest',
  dedupWindowMs: 0,
};
const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  maxAttempts: 5,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Parses `alert:` of a parsed config file; no section → no outputs. */
export function parseAlertConfig(
  file: Record<string, unknown> | undefined,
  input: AlertConfigInput,
): AlertConfig {
  const section = file?.['alert'];
  if (section === undefined || section === null) return { outputs: [] };
  if (!isMap(section)) fail('alert', 'expected a mapping');
  for (const k of Object.keys(section))
    if (!['defaults', 'outputs'].includes(k)) fail(`alert.${k}`, 'unknown key');
  const defaults = section['defaults'] ?? {};
  if (!isMap(defaults)) fail('alert.defaults', 'expected a mapping');
  for (const k of Object.keys(defaults))
    if (![...QUEUE_KEYS, RETRY_KEY, 'timeout'].includes(k)) fail(`alert.defaults.${k}`, 'unknown key');
  const baseQueue = queueOptions(defaults, DEFAULT_QUEUE_OPTIONS, 'alert.defaults');
  const baseRetry = retryOptions(defaults[RETRY_KEY], DEFAULT_RETRY_OPTIONS, 'alert.defaults.retry');
  const baseTimeout =
    defaults['timeout'] === undefined
      ? undefined
      : parseDuration(defaults['timeout'], 'alert.defaults.timeout');
  const list = section['outputs'] ?? [];
  if (!Array.isArray(list)) fail('alert.outputs', 'expected a list');
  const names = new Set<string>();
  const outputs = list.map((raw, i): AlertOutputSpec => {
    const where = `alert.outputs[${i}]`;
    if (!isMap(raw)) fail(where, 'expected a mapping');
    const kind = oneOf(raw['type'], `${where}.type`, KINDS);
    const allowed = new Set(['type', 'name', RETRY_KEY, ...QUEUE_KEYS, ...KIND_KEYS[kind]]);
    for (const k of Object.keys(raw))
      if (!allowed.has(k)) fail(`${where}.${k}`, `unknown key for a ${kind} output`);
    const name = raw['name'] === undefined ? kind : str(raw['name'], `${where}.name`, input.env);
    if (names.has(name))
      fail(`${where}.name`, `output name '${name}' is used twice (set name: to tell them apart)`);
    names.add(name);
    const base = {
      name,
      queue: queueOptions(raw, baseQueue, where),
      retry: retryOptions(raw[RETRY_KEY], baseRetry, `${where}.retry`),
    };
    const s = (k: string): string | undefined =>
      raw[k] === undefined ? undefined : str(raw[k], `${where}.${k}`, input.env);
    const http = (): {
      url: string;
      headers?: Record<string, string>;
      tls?: TlsOptions;
      timeoutMs?: number;
    } => {
      if (raw['url'] === undefined) fail(`${where}.url`, `a ${kind} output needs a url`);
      const h: { url: string; headers?: Record<string, string>; tls?: TlsOptions; timeoutMs?: number } = {
        url: urlOf(raw['url'], `${where}.url`, input.env),
      };
      if (raw['headers'] !== undefined) h.headers = strMap(raw['headers'], `${where}.headers`, input.env);
      if (raw['tls'] !== undefined) h.tls = tlsOptions(raw['tls'], `${where}.tls`, input);
      const timeout =
        raw['timeout'] === undefined ? baseTimeout : parseDuration(raw['timeout'], `${where}.timeout`);
      if (timeout !== undefined) h.timeoutMs = timeout;
      return h;
    };
    const pick = <T extends object>(o: T, keys: string[]): T => {
      for (const k of keys) {
        const v = s(k);
        if (v !== undefined) (o as Record<string, unknown>)[k] = v;
      }
      return o;
    };
    const format = (): { format?: 'json' | 'text' } =>
      raw['format'] === undefined
        ? {}
        : { format: oneOf(raw['format'], `${where}.format`, ['json', 'text']) };
    switch (kind) {
      case 'stdout':
        return { ...base, kind, options: { name, ...format() } };
      case 'file': {
        const path = s('path');
        if (!path) fail(`${where}.path`, 'a file output needs a path');
        return { ...base, kind, options: { name, path, ...format() } };
      }
      case 'webhook': {
        const options: WebhookOutputOptions = { name, ...http() };
        if (raw['method'] !== undefined)
          options.method = oneOf(raw['method'], `${where}.method`, ['POST', 'PUT']);
        return { ...base, kind, options };
      }
      case 'slack': {
        const options: SlackOutputOptions = pick({ name, ...http() }, [
          'username',
          'icon',
          'channel',
          'footer',
          'messageText',
        ]);
        if (raw['outputFormat'] !== undefined)
          options.outputFormat = oneOf(raw['outputFormat'], `${where}.outputFormat`, [
            'all',
            'text',
            'fields',
          ]);
        return { ...base, kind, options };
      }
      case 'loki': {
        const options: LokiOutputOptions = pick({ name, ...http() }, [
          'endpoint',
          'tenant',
          'user',
          'apiKey',
        ]);
        if (raw['extraLabels'] !== undefined)
          options.extraLabels = strList(raw['extraLabels'], `${where}.extraLabels`, input.env);
        return { ...base, kind, options };
      }
      case 'alertmanager': {
        const options: AlertmanagerOutputOptions = pick({ name, ...http() }, ['endpoint']);
        if (raw['expiresAfter'] !== undefined)
          options.expiresAfter = parseDuration(raw['expiresAfter'], `${where}.expiresAfter`) / 1000;
        if (raw['extraLabels'] !== undefined)
          options.extraLabels = strMap(raw['extraLabels'], `${where}.extraLabels`, input.env);
        if (raw['extraAnnotations'] !== undefined)
          options.extraAnnotations = strMap(raw['extraAnnotations'], `${where}.extraAnnotations`, input.env);
        if (raw['customSeverityMap'] !== undefined) {
          const m = strMap(raw['customSeverityMap'], `${where}.customSeverityMap`, input.env);
          const out: Partial<Record<Priority, string>> = {};
          for (const [k, v] of Object.entries(m)) out[priority(k, `${where}.customSeverityMap.${k}`)] = v;
          options.customSeverityMap = out;
        }
        if (raw['dropEventThresholds'] !== undefined) {
          // falcosidekick's form: "10000:critical, 1000:critical, 10:warning"
          options.dropEventThresholds = strList(
            raw['dropEventThresholds'],
            `${where}.dropEventThresholds`,
            input.env,
          ).map((t, j) => {
            const [value, prio] = t.split(':').map((x) => x.trim());
            const w = `${where}.dropEventThresholds[${j}]`;
            return { value: int(value, w, 0), priority: priority(prio, w) };
          });
        }
        if (raw['dropEventDefaultPriority'] !== undefined)
          options.dropEventDefaultPriority = priority(
            raw['dropEventDefaultPriority'],
            `${where}.dropEventDefaultPriority`,
          );
        return { ...base, kind, options };
      }
      case 'elasticsearch': {
        const options: Omit<ElasticsearchOutputOptions, 'now'> = pick({ name, ...http() }, [
          'index',
          'type',
          'username',
          'password',
        ]);
        if (raw['suffix'] !== undefined)
          options.suffix = oneOf(raw['suffix'], `${where}.suffix`, ['daily', 'monthly', 'annually', 'none']);
        if (raw['bulk'] !== undefined) options.bulk = bool(raw['bulk'], `${where}.bulk`);
        return { ...base, kind, options };
      }
    }
  });
  return { outputs };
}
