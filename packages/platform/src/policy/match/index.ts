/**
 * Rule match/exclude (Kyverno's pkg/engine/utils.MatchesResourceDescription): resource descriptions
 * (kinds with group/version and subresources, names, namespaces, annotations, label selector, namespace
 * selector, operations) and user info (roles, clusterRoles, subjects), combined with any/all.
 *
 * compileMatch() turns a rule's match and exclude blocks into one predicate, so the hot path does no
 * parsing. It returns the reason when the resource does not match (for messages and debugging).
 */
import { wildcardMatch } from '../pattern/wildcard.js';

type Obj = Record<string, unknown>;

/** What a rule is matched against. */
export interface MatchRequest {
  readonly resource: Obj;
  /** Kind and apiVersion (group/version) of the resource; taken from the resource when absent. */
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly subresource?: string;
  readonly operation: string;
  /** Labels of the resource's namespace (for namespaceSelector). */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  readonly userInfo?: {
    readonly username?: string;
    readonly groups?: readonly string[];
    readonly roles?: readonly string[];
    readonly clusterRoles?: readonly string[];
  };
}

/** undefined when the rule applies; otherwise why not. */
export type CompiledMatch = (req: MatchRequest) => string | undefined;

type Check = (req: MatchRequest) => string | undefined;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function meta(res: Obj): Obj {
  return isObj(res['metadata']) ? res['metadata'] : {};
}

function labelsOf(res: Obj): Record<string, string> {
  const l = meta(res)['labels'];
  return isObj(l) ? (l as Record<string, string>) : {};
}

/** A parsed kind selector: `Pod`, `Pod/exec`, `v1/Pod`, `apps/v1/Deployment`, `apps/*\/Deployment`, `*`. */
interface KindSpec {
  group: string | undefined;
  version: string | undefined;
  kind: string;
  subresource: string | undefined;
}

export function parseKind(spec: string): KindSpec {
  const parts = spec.split('/');
  // Kind, Kind/sub, version/Kind, group/version/Kind, group/version/Kind/sub
  const isKindLike = (s: string | undefined): boolean => !!s && (/^[A-Z*?]/.test(s) || s === '*');
  if (parts.length === 1) return { group: undefined, version: undefined, kind: spec, subresource: undefined };
  if (parts.length === 2) {
    if (isKindLike(parts[0]) && !isKindLike(parts[1]))
      return { group: undefined, version: undefined, kind: parts[0] as string, subresource: parts[1] };
    return { group: '', version: parts[0], kind: parts[1] as string, subresource: undefined };
  }
  if (parts.length === 3) {
    if (isKindLike(parts[1]) && !isKindLike(parts[2]))
      return { group: '', version: parts[0], kind: parts[1] as string, subresource: parts[2] };
    return { group: parts[0], version: parts[1], kind: parts[2] as string, subresource: undefined };
  }
  return {
    group: parts[0],
    version: parts[1],
    kind: parts[2] as string,
    subresource: parts.slice(3).join('/'),
  };
}

function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

function kindMatcher(kinds: string[]): Check {
  const specs = kinds.map(parseKind);
  const list = kinds.join(',');
  return (req) => {
    const kind = req.kind ?? (typeof req.resource['kind'] === 'string' ? req.resource['kind'] : '');
    // group and version only when a spec names them (most name a Kind alone)
    let gv: [string, string] | undefined;
    const sub = req.subresource ?? '';
    for (const s of specs) {
      if (s.kind === '*' && s.group === undefined && s.subresource === undefined) return undefined;
      if (!wildcardMatch(s.kind, kind)) continue;
      if (s.group !== undefined || s.version !== undefined) {
        gv ??= splitApiVersion(
          req.apiVersion ??
            (typeof req.resource['apiVersion'] === 'string' ? req.resource['apiVersion'] : ''),
        );
      }
      const group = gv?.[0] ?? '';
      const version = gv?.[1] ?? '';
      if (s.group !== undefined && s.group !== '*' && !wildcardMatch(s.group, group)) continue;
      if (s.version !== undefined && s.version !== '*' && !wildcardMatch(s.version, version)) continue;
      if (
        s.subresource === undefined
          ? sub !== '' && sub !== 'ephemeralcontainers'
          : !wildcardMatch(s.subresource, sub)
      )
        continue;
      return undefined;
    }
    return `kind ${kind} does not match ${list}`;
  };
}

/** A Kubernetes label selector (matchLabels values may hold Kyverno wildcards). */
export function compileSelector(sel: unknown): (labels: Readonly<Record<string, string>>) => boolean {
  if (!isObj(sel)) return () => true;
  const ml = isObj(sel['matchLabels']) ? Object.entries(sel['matchLabels']) : [];
  const exprs = Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'].filter(isObj) : [];
  return (labels) => {
    for (const [k, v] of ml) {
      const keys =
        k.includes('*') || k.includes('?') ? Object.keys(labels).filter((lk) => wildcardMatch(k, lk)) : [k];
      if (!keys.some((lk) => labels[lk] !== undefined && wildcardMatch(String(v), labels[lk]))) return false;
    }
    for (const e of exprs) {
      const key = String(e['key']);
      const op = String(e['operator']);
      const values = strings(e['values']);
      const has = Object.prototype.hasOwnProperty.call(labels, key);
      const val = labels[key];
      switch (op) {
        case 'In':
          if (!has || !values.includes(val as string)) return false;
          break;
        case 'NotIn':
          if (has && values.includes(val as string)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
    return true;
  };
}

function compileDescription(rd: Obj, ui: Obj): Check[] {
  const checks: Check[] = [];
  const kinds = strings(rd['kinds']);
  if (kinds.length) checks.push(kindMatcher(kinds));
  const names = strings(rd['names']);
  if (typeof rd['name'] === 'string' && rd['name'] !== '') names.push(rd['name']);
  if (names.length) {
    checks.push((req) => {
      const m = meta(req.resource);
      const name = typeof m['name'] === 'string' && m['name'] ? m['name'] : str(m['generateName']);
      return names.some((n) => wildcardMatch(n, name)) ? undefined : `name ${name} does not match`;
    });
  }
  const namespaces = strings(rd['namespaces']);
  if (namespaces.length) {
    checks.push((req) => {
      const m = meta(req.resource);
      const ns = str(req.resource['kind'] === 'Namespace' ? m['name'] : m['namespace']);
      return namespaces.some((n) => wildcardMatch(n, ns)) ? undefined : `namespace ${ns} does not match`;
    });
  }
  if (isObj(rd['annotations'])) {
    const want = Object.entries(rd['annotations']);
    checks.push((req) => {
      const a = meta(req.resource)['annotations'];
      const have = isObj(a) ? Object.entries(a) : [];
      for (const [k, v] of want) {
        if (!have.some(([hk, hv]) => wildcardMatch(k, hk) && wildcardMatch(String(v), String(hv))))
          return `annotation ${k} does not match`;
      }
      return undefined;
    });
  }
  if (rd['selector'] !== undefined && rd['selector'] !== null) {
    const sel = compileSelector(rd['selector']);
    checks.push((req) => (sel(labelsOf(req.resource)) ? undefined : 'selector does not match'));
  }
  if (rd['namespaceSelector'] !== undefined && rd['namespaceSelector'] !== null) {
    const sel = compileSelector(rd['namespaceSelector']);
    checks.push((req) => {
      const kind = req.resource['kind'];
      if (kind === 'Namespace' || !kind) return undefined;
      return sel(req.namespaceLabels ?? {}) ? undefined : 'namespace selector does not match';
    });
  }
  const operations = strings(rd['operations']);
  if (operations.length) {
    checks.push((req) =>
      operations.includes(req.operation) ? undefined : `operation ${req.operation} does not match`,
    );
  }
  const roles = strings(ui['roles']);
  if (roles.length) {
    checks.push((req) =>
      (req.userInfo?.roles ?? []).some((r) => roles.includes(r)) ? undefined : 'roles do not match',
    );
  }
  const clusterRoles = strings(ui['clusterRoles']);
  if (clusterRoles.length) {
    checks.push((req) =>
      (req.userInfo?.clusterRoles ?? []).some((r) => clusterRoles.includes(r))
        ? undefined
        : 'cluster roles do not match',
    );
  }
  const subjects = Array.isArray(ui['subjects']) ? ui['subjects'].filter(isObj) : [];
  if (subjects.length) {
    checks.push((req) => {
      const user = req.userInfo?.username ?? '';
      const groups = req.userInfo?.groups ?? [];
      for (const s of subjects) {
        const name = str(s['name']);
        switch (s['kind']) {
          case 'ServiceAccount':
            if (user === `system:serviceaccount:${str(s['namespace'])}:${name}`) return undefined;
            break;
          case 'User':
            if (wildcardMatch(name, user)) return undefined;
            break;
          case 'Group':
            if (groups.some((g) => wildcardMatch(name, g))) return undefined;
            break;
        }
      }
      return 'subjects do not match';
    });
  }
  return checks;
}

const UI_KEYS = ['roles', 'clusterRoles', 'subjects'];
const RD_KEYS = [
  'kinds',
  'name',
  'names',
  'namespaces',
  'annotations',
  'selector',
  'namespaceSelector',
  'operations',
];

function isEmptyFilter(rd: Obj, ui: Obj): boolean {
  const empty = (o: Obj, keys: string[]): boolean =>
    keys.every((k) => {
      const v = o[k];
      return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
    });
  return empty(rd, RD_KEYS) && empty(ui, UI_KEYS);
}

/** One filter (an entry of any/all, or the block itself): matches when every check passes. */
function compileFilter(filter: Obj): Check {
  const rd = isObj(filter['resources']) ? filter['resources'] : {};
  const ui: Obj = {};
  for (const k of UI_KEYS) if (filter[k] !== undefined) ui[k] = filter[k];
  if (isEmptyFilter(rd, ui)) return () => 'match cannot be empty';
  const checks = compileDescription(rd, ui);
  return (req) => {
    for (const c of checks) {
      const why = c(req);
      if (why !== undefined) return why;
    }
    return undefined;
  };
}

/** True when one of the checks passes (a loop: `some` with a closure made one closure per request). */
function anyPasses(checks: readonly Check[], req: MatchRequest): boolean {
  for (let i = 0; i < checks.length; i++) if ((checks[i] as Check)(req) === undefined) return true;
  return false;
}

/** True when every check passes. */
function allPass(checks: readonly Check[], req: MatchRequest): boolean {
  for (let i = 0; i < checks.length; i++) if ((checks[i] as Check)(req) !== undefined) return false;
  return true;
}

function filters(block: Obj, key: 'any' | 'all'): Check[] {
  const list = block[key];
  return Array.isArray(list) ? list.filter(isObj).map(compileFilter) : [];
}

/** Compiles a rule's `match` and optional `exclude` into one predicate. */
export function compileMatch(match: unknown, exclude: unknown): CompiledMatch {
  const m = isObj(match) ? match : {};
  const anyM = filters(m, 'any');
  const allM = filters(m, 'all');
  const single = anyM.length === 0 && allM.length === 0 ? compileFilter(m) : undefined;
  const matchFn: Check = anyM.length
    ? (req) => (anyPasses(anyM, req) ? undefined : 'no resource matched')
    : allM.length
      ? (req) => {
          for (const f of allM) {
            const why = f(req);
            if (why !== undefined) return why;
          }
          return undefined;
        }
      : (single as Check);
  let excludeFn: Check | undefined;
  if (isObj(exclude)) {
    const anyE = filters(exclude, 'any');
    const allE = filters(exclude, 'all');
    if (anyE.length) {
      excludeFn = (req) => (anyPasses(anyE, req) ? 'resource excluded' : undefined);
    } else if (allE.length) {
      excludeFn = (req) => (allPass(allE, req) ? 'resource excluded' : undefined);
    } else {
      const rd = isObj(exclude['resources']) ? exclude['resources'] : {};
      const ui: Obj = {};
      for (const k of UI_KEYS) if (exclude[k] !== undefined) ui[k] = exclude[k];
      if (!isEmptyFilter(rd, ui)) {
        const f = compileFilter(exclude);
        excludeFn = (req) => (f(req) === undefined ? 'resource excluded' : undefined);
      }
    }
  }
  return (req) => matchFn(req) ?? excludeFn?.(req);
}

/**
 * The Kind names a resource must have for a match block to possibly pass (a necessary condition, so a
 * rule can be skipped before its match runs); undefined when a resource of any kind may pass (a filter
 * without kinds, or a wildcard kind).
 */
export function matchKindFilter(match: unknown): ReadonlySet<string> | undefined {
  if (!isObj(match)) return undefined;
  const filterKinds = (f: unknown): Set<string> | undefined => {
    const kinds = isObj(f) && isObj(f['resources']) ? strings(f['resources']['kinds']) : [];
    if (!kinds.length) return undefined;
    const out = new Set<string>();
    for (const k of kinds) {
      const kind = parseKind(k).kind;
      if (/[*?]/.test(kind)) return undefined;
      out.add(kind);
    }
    return out;
  };
  const anyList = Array.isArray(match['any']) ? (match['any'] as unknown[]).filter(isObj) : [];
  const allList = Array.isArray(match['all']) ? (match['all'] as unknown[]).filter(isObj) : [];
  if (anyList.length) {
    // one passing filter is enough: every filter must name kinds
    const union = new Set<string>();
    for (const f of anyList) {
      const ks = filterKinds(f);
      if (!ks) return undefined;
      for (const k of ks) union.add(k);
    }
    return union;
  }
  if (allList.length) {
    // every filter must pass: any one filter's kinds are necessary
    for (const f of allList) {
      const ks = filterKinds(f);
      if (ks) return ks;
    }
    return undefined;
  }
  return filterKinds(match);
}

/** Every kind a match block names (resources.kinds plus any/all), for dispatch by kind. */
export function kindsOf(match: unknown): string[] {
  if (!isObj(match)) return [];
  const out: string[] = [];
  const add = (f: unknown): void => {
    if (isObj(f) && isObj(f['resources'])) out.push(...strings(f['resources']['kinds']));
  };
  add(match);
  for (const k of ['any', 'all']) if (Array.isArray(match[k])) for (const f of match[k] as unknown[]) add(f);
  return out;
}
