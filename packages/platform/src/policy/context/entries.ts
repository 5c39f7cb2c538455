/**
 * Rule `context` entries, loaded into a PolicyContext the way Kyverno's
 * context loaders do, but from supplied data only (no cluster, no network):
 * variable (value / jmesPath / default), configMap (from supplied ConfigMaps),
 * apiCall and globalReference (from test-supplied responses), imageRegistry
 * (from supplied image data, else an error).
 */
import type { PolicyContext } from './context.js';
import { substituteVariables } from './substitute.js';
import { cachedJmesPath, JmesPathNotFoundError } from '../jmespath/index.js';

export interface ContextEntry {
  name: string;
  variable?: { value?: unknown; jmesPath?: string; default?: unknown };
  configMap?: { name: string; namespace?: string };
  apiCall?: {
    urlPath?: string;
    method?: string;
    data?: unknown;
    service?: { url?: string };
    jmesPath?: string;
    default?: unknown;
  };
  globalReference?: { name: string; jmesPath?: string };
  imageRegistry?: { reference: string; jmesPath?: string; imageRegistryCredentials?: unknown };
}

export interface ContextSources {
  /** ConfigMap objects (apiVersion v1, kind ConfigMap). */
  configMaps?: readonly unknown[];
  /** API call responses by URL path (or service URL), or a function answering them. */
  apiCalls?:
    | Readonly<Record<string, unknown>>
    | ((call: { urlPath: string; method: string; data?: unknown }) => unknown);
  /** Global context entries by name. */
  globalContext?: Readonly<Record<string, unknown>>;
  /** Image registry data by image reference. */
  imageRegistry?: Readonly<Record<string, unknown>>;
  /**
   * Values supplied by a test (`kyverno test` values/variables): an entry whose
   * name is supplied is not loaded; the supplied value is used.
   */
  variables?: Readonly<Record<string, unknown>>;
}

export interface ContextLoadResult {
  ok: boolean;
  /** Names loaded, in order. */
  loaded: string[];
  /** First failure (Kyverno stops at the first entry that fails). */
  error?: { entry: string; message: string };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class LoadError extends Error {}

function subst(value: unknown, ctx: PolicyContext, path: string): unknown {
  const r = substituteVariables(value, ctx, { path, references: false });
  if ('error' in r) throw new LoadError(r.error);
  return r.value;
}

function applyJmesPath(expr: string, data: unknown, what: string): unknown {
  try {
    return cachedJmesPath(expr).search(data);
  } catch (err) {
    if (err instanceof JmesPathNotFoundError) return null;
    throw new LoadError(
      `failed to apply JMESPath ${expr} to ${what}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function loadVariable(entry: ContextEntry, ctx: PolicyContext, i: number): unknown {
  const v = entry.variable ?? {};
  const path = `/context/${i}/variable`;
  const hasValue = v.value !== undefined;
  const value = hasValue ? subst(v.value, ctx, `${path}/value`) : undefined;
  const jmesPath =
    v.jmesPath !== undefined ? (subst(v.jmesPath, ctx, `${path}/jmesPath`) as string) : undefined;
  let result: unknown = value;
  if (jmesPath !== undefined && jmesPath !== '') {
    try {
      result = hasValue ? cachedJmesPath(jmesPath).search(value) : ctx.query(jmesPath);
    } catch (err) {
      if (v.default === undefined) {
        throw new LoadError(
          `failed to fetch data for context entry ${entry.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      result = null;
    }
  } else if (!hasValue && v.default === undefined) {
    throw new LoadError(`variable ${entry.name} has missing value or jmesPath`);
  }
  if ((result === null || result === undefined) && v.default !== undefined) {
    result = subst(v.default, ctx, `${path}/default`);
  }
  return result ?? null;
}

function loadConfigMap(entry: ContextEntry, ctx: PolicyContext, sources: ContextSources, i: number): unknown {
  const ref = subst(entry.configMap ?? {}, ctx, `/context/${i}/configMap`) as {
    name?: string;
    namespace?: string;
  };
  const name = ref.name ?? '';
  const namespace = ref.namespace ?? 'default';
  const cm = (sources.configMaps ?? []).find((o) => {
    if (!isObject(o) || !isObject(o.metadata)) return false;
    const ns = typeof o.metadata.namespace === 'string' ? o.metadata.namespace : 'default';
    return o.metadata.name === name && ns === namespace && (o.kind === undefined || o.kind === 'ConfigMap');
  });
  if (!cm) {
    throw new LoadError(
      `failed to retrieve config map for context entry ${entry.name}: configmaps "${name}" not found`,
    );
  }
  return cm;
}

function loadApiCall(entry: ContextEntry, ctx: PolicyContext, sources: ContextSources, i: number): unknown {
  const call = subst(entry.apiCall ?? {}, ctx, `/context/${i}/apiCall`) as NonNullable<
    ContextEntry['apiCall']
  >;
  const urlPath = call.urlPath ?? call.service?.url ?? '';
  const method = call.method ?? 'GET';
  let response: unknown;
  const src = sources.apiCalls;
  if (typeof src === 'function') response = src({ urlPath, method, data: call.data });
  else if (src && Object.prototype.hasOwnProperty.call(src, urlPath)) response = src[urlPath];
  if (response === undefined) {
    if (call.default !== undefined) return call.default;
    throw new LoadError(
      `failed to load context entry ${entry.name}: no response supplied for API call ${method} ${urlPath}`,
    );
  }
  if (call.jmesPath) {
    const r = applyJmesPath(call.jmesPath, response, `API call ${urlPath}`);
    if ((r === null || r === undefined) && call.default !== undefined) return call.default;
    return r;
  }
  return response;
}

function loadGlobal(entry: ContextEntry, sources: ContextSources): unknown {
  const ref = entry.globalReference ?? { name: '' };
  const g = sources.globalContext;
  if (!g || !Object.prototype.hasOwnProperty.call(g, ref.name)) {
    throw new LoadError(
      `failed to load global context entry ${ref.name} for context entry ${entry.name}: not supplied`,
    );
  }
  const data = g[ref.name];
  return ref.jmesPath ? applyJmesPath(ref.jmesPath, data, `global context entry ${ref.name}`) : data;
}

function loadImageRegistry(
  entry: ContextEntry,
  ctx: PolicyContext,
  sources: ContextSources,
  i: number,
): unknown {
  const ir = subst(entry.imageRegistry ?? {}, ctx, `/context/${i}/imageRegistry`) as NonNullable<
    ContextEntry['imageRegistry']
  >;
  const data = sources.imageRegistry?.[ir.reference];
  if (data === undefined) {
    throw new LoadError(
      `failed to fetch image reference: ${ir.reference}: image registry data is not supplied (Palisade does not contact registries while evaluating policies)`,
    );
  }
  return ir.jmesPath ? applyJmesPath(ir.jmesPath, data, `image ${ir.reference}`) : data;
}

export function loadContextEntries(
  entries: readonly ContextEntry[],
  ctx: PolicyContext,
  sources: ContextSources = {},
): ContextLoadResult {
  const loaded: string[] = [];
  for (const [i, entry] of entries.entries()) {
    try {
      if (sources.variables && Object.prototype.hasOwnProperty.call(sources.variables, entry.name)) {
        ctx.set(entry.name, sources.variables[entry.name]);
      } else if (entry.variable) ctx.set(entry.name, loadVariable(entry, ctx, i));
      else if (entry.configMap) ctx.set(entry.name, loadConfigMap(entry, ctx, sources, i));
      else if (entry.apiCall) ctx.set(entry.name, loadApiCall(entry, ctx, sources, i));
      else if (entry.globalReference) ctx.set(entry.name, loadGlobal(entry, sources));
      else if (entry.imageRegistry) ctx.set(entry.name, loadImageRegistry(entry, ctx, sources, i));
      else throw new LoadError(`context entry ${entry.name} has no supported source`);
      loaded.push(entry.name);
    } catch (err) {
      if (!(err instanceof LoadError)) throw err;
      return { ok: false, loaded, error: { entry: entry.name, message: err.message } };
    }
  }
  return { ok: true, loaded };
}
