/**
 * Kyverno's JSON context: the document `{{ }}` variables and JMESPath queries
 * read (request.*, serviceAccountName, serviceAccountNamespace, images,
 * element/elementIndex in foreach, custom context entries).
 *
 * Updates are copy-on-write along the path, so checkpoint()/restore() are O(1)
 * snapshots of the root (Kyverno checkpoints around foreach iterations).
 */
import {
  cachedJmesPath,
  JmesPathMissing,
  JmesPathRuntimeError,
  parseImageReference,
  PolicyExpressionError,
} from '../jmespath/index.js';
import type { ImageInfo, ImageOptions, SearchOptions } from '../jmespath/index.js';
import { copyObject } from '../engine/copy.js';

export interface AdmissionRequestInput {
  object?: unknown;
  oldObject?: unknown;
  operation?: string;
  userInfo?: unknown;
  namespace?: string;
  name?: string;
  kind?: unknown;
  resource?: unknown;
  subResource?: string;
  dryRun?: boolean;
  options?: unknown;
  uid?: string;
  /** Kyverno's RequestInfo extras: roles and clusterRoles of the requester. */
  admissionInfo?: { roles?: string[]; clusterRoles?: string[]; userInfo?: unknown };
  /** Image defaults for request.images. */
  image?: ImageOptions;
  /**
   * A context built for an earlier state of the same request (before a mutation) and the object its
   * images were read from: its `images` are taken as they are when this request's object (oldObject on
   * DELETE) has containers with the same names and images in the same order.
   */
  previous?: { readonly object: unknown; readonly context: PolicyContext } | undefined;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Dotted paths are few and fixed ("request.object", "element", …): split once each, bounded.
const splitPaths = new Map<string, readonly string[]>();
function splitPath(path: string): readonly string[] {
  let parts = splitPaths.get(path);
  if (!parts) {
    parts = path.split('.').filter((p) => p !== '');
    if (splitPaths.size >= 1024) splitPaths.clear();
    splitPaths.set(path, parts);
  }
  return parts;
}

/**
 * Copy-on-write set of a dotted path; returns the new root. Copies by copyObject, not spread: the copy
 * usually gets a new key (element, a variable), which keeps a spread clone alive through scavenges.
 */
function setIn(root: Json, parts: readonly string[], value: unknown, i = 0): Json {
  const head = parts[i];
  if (head === undefined) return root;
  const copy: Json = copyObject(root);
  if (i === parts.length - 1) copy[head] = value;
  else copy[head] = setIn(isObject(root[head]) ? root[head] : {}, parts, value, i + 1);
  return copy;
}

// element<N> and elementIndex<N> for the usual nesting depths, made once
const ELEMENT_KEYS = Array.from({ length: 8 }, (_, i) => `element${i}`);
const ELEMENT_INDEX_KEYS = Array.from({ length: 8 }, (_, i) => `elementIndex${i}`);
function elementKey(nesting: number): string {
  return ELEMENT_KEYS[nesting] ?? `element${nesting}`;
}
function elementIndexKey(nesting: number): string {
  return ELEMENT_INDEX_KEYS[nesting] ?? `elementIndex${nesting}`;
}

const NO_DATA: Json = {};

/** True when a map has an own key (no list of its keys made). */
function hasKeys(o: Json): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

export class ContextQueryError extends Error {
  /** True when the query failed because a key was missing (Kyverno's NotFoundError). */
  readonly notFound: boolean;
  constructor(message: string, notFound: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContextQueryError';
    this.notFound = notFound;
  }
}

export class PolicyContext {
  private data: Json;
  /**
   * Checkpoints, used up to `depth` (an index, not push/pop: popping the last one freed the array's
   * storage, and every rule's checkpoint grew it again).
   */
  private readonly stack: Json[] = [];
  private depth = 0;
  private searchOptions: SearchOptions;

  constructor(initial: Json = {}, searchOptions: SearchOptions = {}) {
    this.data = initial;
    this.searchOptions = searchOptions;
  }

  static forRequest(req: AdmissionRequestInput, searchOptions: SearchOptions = {}): PolicyContext {
    const userInfo = req.userInfo ?? req.admissionInfo?.userInfo ?? {};
    const request: Json = {
      operation: req.operation ?? 'CREATE',
      object: req.object ?? null,
      oldObject: req.oldObject ?? null,
      userInfo,
    };
    if (req.namespace !== undefined) request.namespace = req.namespace;
    else {
      const ns = namespaceOf(req.object) ?? namespaceOf(req.oldObject);
      if (ns !== undefined) request.namespace = ns;
    }
    if (req.name !== undefined) request.name = req.name;
    if (req.kind !== undefined) request.kind = req.kind;
    if (req.resource !== undefined) request.resource = req.resource;
    if (req.subResource !== undefined) request.subResource = req.subResource;
    if (req.dryRun !== undefined) request.dryRun = req.dryRun;
    if (req.options !== undefined) request.options = req.options;
    if (req.uid !== undefined) request.uid = req.uid;
    if (req.admissionInfo?.roles) request.roles = req.admissionInfo.roles;
    if (req.admissionInfo?.clusterRoles) request.clusterRoles = req.admissionInfo.clusterRoles;
    const data: Json = { request };
    const username = isObject(userInfo) && typeof userInfo.username === 'string' ? userInfo.username : '';
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
    data.serviceAccountName = sa?.[2] ?? '';
    data.serviceAccountNamespace = sa?.[1] ?? '';
    const obj = req.operation === 'DELETE' ? req.oldObject : req.object;
    const prev = req.previous;
    const images =
      prev !== undefined && sameContainerImages(obj, prev.object)
        ? (prev.context.get('images') as Json | undefined)
        : extractImages(obj, req.image ?? {});
    if (images) data.images = images;
    return new PolicyContext(data, searchOptions);
  }

  /** Sets a value at a dotted path ("request.object", "element", "myvar"). */
  set(path: string, value: unknown): void {
    this.data = setIn(this.data, splitPath(path), value);
  }

  /** set() of several paths at once: each container on the way is copied once, not once per path. */
  setMany(entries: ReadonlyArray<readonly [string, unknown]>): void {
    const root: Json = copyObject(this.data);
    const fresh: object[] = [root];
    for (const [path, value] of entries) {
      const parts = splitPath(path);
      if (parts.length === 0) continue;
      let cur = root;
      for (let i = 0; i < parts.length - 1; i++) {
        const k = parts[i] as string;
        const child = cur[k];
        let next: Json;
        if (!isObject(child)) next = {};
        else if (fresh.includes(child)) next = child;
        else next = copyObject(child);
        if (next !== child) {
          fresh.push(next);
          cur[k] = next;
        }
        cur = next;
      }
      cur[parts[parts.length - 1] as string] = value;
    }
    this.data = root;
  }

  /**
   * A foreach element's variables, as setMany of [request.object (when `requestObject` is not
   * undefined)], element, elementIndex, element<N>, elementIndex<N> would set them, without the
   * entries: foreach loops do this per element. request is not copied when request.object is already
   * that value.
   */
  setElement(element: unknown, index: number, nesting: number, requestObject?: unknown): void {
    const root: Json = copyObject(this.data);
    if (requestObject !== undefined) {
      const request = root.request;
      if (!isObject(request)) root.request = { object: requestObject };
      else if (request.object !== requestObject || !Object.prototype.hasOwnProperty.call(request, 'object')) {
        const copy = copyObject(request);
        copy.object = requestObject;
        root.request = copy;
      }
    }
    root.element = element;
    root.elementIndex = index;
    root[elementKey(nesting)] = element;
    root[elementIndexKey(nesting)] = index;
    this.data = root;
  }

  /** Reads a dotted path; undefined when absent. */
  get(path: string): unknown {
    let cur: unknown = this.data;
    for (const p of splitPath(path)) {
      if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, p)) return undefined;
      cur = cur[p];
    }
    return cur;
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  checkpoint(): void {
    if (this.depth >= 1024) throw new Error('PolicyContext: checkpoint stack too deep');
    this.stack[this.depth++] = this.data;
  }

  /** Returns to the last checkpoint and keeps it (Kyverno's Restore); see reset(). */
  restore(): void {
    if (this.depth > 0) this.data = this.stack[this.depth - 1] as Json;
  }

  /** Returns to the last checkpoint and drops it. */
  reset(): void {
    if (this.depth === 0) return;
    this.data = this.stack[--this.depth] as Json;
    this.stack[this.depth] = NO_DATA; // no reference kept to the dropped state
  }

  /** The whole context document (read-only by convention). */
  snapshot(): Json {
    return this.data;
  }

  /**
   * Evaluates a JMESPath query against the context, as Kyverno's Query:
   * throws ContextQueryError with Kyverno's messages ("invalid query (nil)",
   * "incorrect query X: …", `Unknown key "k" in path`).
   */
  query(jmespath: string): unknown {
    const r = this.tryQuery(jmespath);
    if ('error' in r) throw new ContextQueryError(r.error, r.notFound);
    return r.value;
  }

  /** query() that returns the outcome instead of throwing (a missing key costs no exception). */
  tryQuery(jmespath: string): { value: unknown } | { error: string; notFound: boolean } {
    const r = this.lookup(jmespath);
    return r instanceof QueryFailure ? { error: r.error, notFound: r.notFound } : { value: r };
  }

  /**
   * tryQuery() whose result is the value itself, or a QueryFailure: no wrapper object per successful
   * query (variable substitution queries once per `{{ }}`).
   */
  lookup(jmespath: string): unknown {
    const q = jmespath.trim();
    if (q === '') return new QueryFailure('invalid query (nil)', false);
    let compiled;
    try {
      compiled = cachedJmesPath(q);
    } catch (err) {
      const msg = err instanceof PolicyExpressionError ? err.message : String(err);
      return new QueryFailure(`incorrect query ${q}: ${msg}`, false);
    }
    let value: unknown;
    try {
      value = compiled.find(this.data, this.searchOptions);
    } catch (err) {
      if (err instanceof JmesPathRuntimeError || err instanceof PolicyExpressionError) {
        return new QueryFailure(err.message, false);
      }
      throw err;
    }
    if (value instanceof JmesPathMissing) return new QueryFailure(value.message, true);
    return value;
  }
}

/** A query that failed (lookup): the message, and whether a key was missing (Kyverno's NotFoundError). */
export class QueryFailure {
  constructor(
    readonly error: string,
    readonly notFound: boolean,
  ) {}
}

function namespaceOf(obj: unknown): string | undefined {
  if (!isObject(obj) || !isObject(obj.metadata)) return undefined;
  const ns = obj.metadata.namespace;
  return typeof ns === 'string' ? ns : undefined;
}

/** The pod spec of a Pod, a pod controller's template, or a CronJob's job template. */
function podSpecOf(obj: Json): Json | undefined {
  const spec = obj.spec;
  if (!isObject(spec)) return undefined;
  if (obj.kind === 'Pod') return spec;
  if (obj.kind === 'CronJob') {
    const jt = spec.jobTemplate;
    const inner = isObject(jt) && isObject(jt.spec) ? jt.spec.template : undefined;
    return isObject(inner) && isObject(inner.spec) ? inner.spec : undefined;
  }
  const tpl = spec.template;
  return isObject(tpl) && isObject(tpl.spec) ? tpl.spec : undefined;
}

const IMAGE_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/**
 * True when two objects give the same `images`: same kind, and the containers of their pod specs have
 * the same names and images in the same order (what extractImages reads). A mutation that leaves the
 * images alone so keeps the images of the context before it instead of parsing and copying them again.
 */
function sameContainerImages(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isObject(a) || !isObject(b) || a.kind !== b.kind) return false;
  const sa = podSpecOf(a);
  const sb = podSpecOf(b);
  if (sa === undefined || sb === undefined) return sa === sb;
  for (const field of IMAGE_FIELDS) {
    const la = sa[field];
    const lb = sb[field];
    if (!Array.isArray(la) || !Array.isArray(lb)) {
      if (Array.isArray(la) || Array.isArray(lb)) return false;
      continue;
    }
    if (la.length !== lb.length) return false;
    for (let i = 0; i < la.length; i++) {
      const ca: unknown = la[i];
      const cb: unknown = lb[i];
      if (ca === cb) continue;
      if (!isObject(ca) || !isObject(cb) || ca.name !== cb.name || ca.image !== cb.image) return false;
    }
  }
  return true;
}

// Parsed image references by options and reference (null: unparseable). Admission requests repeat the
// same few images, and the parse (a large regular expression) was a visible share of each request.
const imageCache = new Map<string, ImageInfo | null>();
/** The same for default options, keyed by the reference alone (no key composed per lookup). */
const defaultImageCache = new Map<string, ImageInfo | null>();
const MAX_IMAGE_CACHE = 2048;

function cachedImage(image: string, opts: ImageOptions): ImageInfo | null {
  // default options (the usual case) need no composed key
  const defaults = opts.defaultRegistry === undefined && opts.enableDefaultRegistryMutation === undefined;
  const cache = defaults ? defaultImageCache : imageCache;
  const key = defaults
    ? image
    : `${opts.defaultRegistry ?? ''}|${opts.enableDefaultRegistryMutation ?? ''}|${image}`;
  let info = cache.get(key);
  if (info === undefined) {
    try {
      info = parseImageReference(image, opts);
    } catch {
      info = null;
    }
    if (cache.size >= MAX_IMAGE_CACHE) cache.clear();
    cache.set(key, info);
  }
  return info;
}

/**
 * Kyverno's `images` variable: images.{containers,initContainers,ephemeralContainers}.<name>
 * → {registry, name, path, tag, digest, reference, referenceWithTag}. Unparseable images are skipped.
 */
export function extractImages(obj: unknown, opts: ImageOptions = {}): Json | undefined {
  if (!isObject(obj)) return undefined;
  const spec = podSpecOf(obj);
  if (!spec) return undefined;
  const out: Json = {};
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    const group: Record<string, ImageInfo> = {};
    for (const c of list) {
      if (!isObject(c) || typeof c.name !== 'string' || typeof c.image !== 'string') continue;
      const info = cachedImage(c.image, opts);
      // Kyverno logs and skips images it cannot parse.
      if (info) group[c.name] = { ...info };
    }
    if (hasKeys(group)) out[field] = group;
  }
  return hasKeys(out) ? out : undefined;
}
