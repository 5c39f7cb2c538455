/**
 * Autogen for CEL policies that match Pods (Kyverno's pkg/cel/autogen): a twin for Deployments,
 * DaemonSets, StatefulSets, ReplicaSets and Jobs (object.spec → object.spec.template.spec,
 * object.metadata → object.spec.template.metadata) and one for CronJobs (…jobTemplate.spec.template…),
 * with match conditions guarded by the controller's apiVersion/kind. `object.metadata.name` and
 * `.namespace` stay on the controller. `spec.autogen.podControllers.controllers` narrows the set.
 */
type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Target {
  readonly group: string;
  readonly resource: string;
  readonly kind: string;
  readonly ref: 'defaults' | 'cronjobs';
}

const TARGETS: readonly Target[] = [
  { group: 'apps', resource: 'daemonsets', kind: 'DaemonSet', ref: 'defaults' },
  { group: 'apps', resource: 'deployments', kind: 'Deployment', ref: 'defaults' },
  { group: 'apps', resource: 'replicasets', kind: 'ReplicaSet', ref: 'defaults' },
  { group: 'apps', resource: 'statefulsets', kind: 'StatefulSet', ref: 'defaults' },
  { group: 'batch', resource: 'jobs', kind: 'Job', ref: 'defaults' },
  { group: 'batch', resource: 'cronjobs', kind: 'CronJob', ref: 'cronjobs' },
];

const REPLACEMENTS: Record<Target['ref'], Array<[string, string]>> = {
  defaults: [
    ['spec', 'spec.template.spec'],
    ['metadata', 'spec.template.metadata'],
  ],
  cronjobs: [
    ['spec', 'spec.jobTemplate.spec.template.spec'],
    ['metadata', 'spec.jobTemplate.spec.template.metadata'],
  ],
};

function replaceProtected(text: string, from: string, to: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const k = text.indexOf(from, i);
    if (k === -1) return out + text.slice(i);
    // only at an identifier boundary (not "myobject.spec")
    const before = k > 0 ? (text[k - 1] ?? '') : '';
    const rest = text.slice(k + from.length);
    const protectedSuffix = /^\.(name|namespace)(?![A-Za-z0-9_])/.test(rest);
    const boundary = !/[A-Za-z0-9_]/.test(before) && !/^[A-Za-z0-9_]/.test(rest);
    out += text.slice(i, k) + (boundary && !protectedSuffix ? to : from);
    i = k + from.length;
  }
}

function rewrite(value: unknown, ref: Target['ref']): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const [from, to] of REPLACEMENTS[ref]) {
      s = replaceProtected(s, `object.${from}`, `object.${to}`);
      s = replaceProtected(s, `oldObject.${from}`, `oldObject.${to}`);
    }
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, ref));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, ref)]));
  return value;
}

/** Whether the match constraints select only v1 Pods in the way that allows autogen (support.go). */
export function canAutogen(match: unknown): boolean {
  if (!isObj(match)) return false;
  const sel = (s: unknown): boolean =>
    isObj(s) &&
    ((isObj(s['matchLabels']) && Object.keys(s['matchLabels']).length > 0) ||
      (Array.isArray(s['matchExpressions']) && s['matchExpressions'].length > 0));
  if (sel(match['namespaceSelector']) || sel(match['objectSelector'])) return false;
  if (Array.isArray(match['excludeResourceRules']) && match['excludeResourceRules'].length) return false;
  const rules = match['resourceRules'];
  if (!Array.isArray(rules) || rules.length !== 1 || !isObj(rules[0])) return false;
  const r = rules[0];
  const one = (v: unknown, want: string): boolean => Array.isArray(v) && v.length === 1 && v[0] === want;
  if (Array.isArray(r['resourceNames']) && r['resourceNames'].length) return false;
  return one(r['apiGroups'], '') && one(r['apiVersions'], 'v1') && one(r['resources'], 'pods');
}

export interface Variant {
  readonly name: string;
  readonly spec: Obj;
}

/** The policy's own spec plus its autogen twins (named autogen-<policy>, autogen-cronjobs-<policy>). */
export function autogenVariants(name: string, spec: Obj): Variant[] {
  const out: Variant[] = [{ name, spec }];
  if (!canAutogen(spec['matchConstraints'])) return out;
  const ag =
    isObj(spec['autogen']) && isObj(spec['autogen']['podControllers'])
      ? spec['autogen']['podControllers']
      : undefined;
  const wanted = ag && Array.isArray(ag['controllers']) ? new Set(ag['controllers'].map(String)) : undefined;
  const targets = TARGETS.filter((t) => !wanted || wanted.has(t.resource));
  const rule0 = (spec['matchConstraints'] as Obj)['resourceRules'] as Obj[];
  const operations = rule0[0]?.['operations'];
  for (const ref of ['cronjobs', 'defaults'] as const) {
    const ts = targets.filter((t) => t.ref === ref);
    if (!ts.length) continue;
    const groups = [...new Set(ts.map((t) => t.group))].sort();
    const matchConstraints = {
      resourceRules: groups.map((g) => ({
        apiGroups: [g],
        apiVersions: ['v1'],
        resources: ts
          .filter((t) => t.group === g)
          .map((t) => t.resource)
          .sort(),
        ...(operations !== undefined ? { operations } : {}),
      })),
    };
    const guard = [
      ...new Set(ts.map((t) => `(object.apiVersion == '${t.group}/v1' && object.kind =='${t.kind}')`)),
    ]
      .sort()
      .join('||');
    const prefix = ref === 'defaults' ? 'autogen' : `autogen-${ref}`;
    const conds = Array.isArray(spec['matchConditions']) ? spec['matchConditions'] : [];
    const rewritten = rewrite({ ...spec, matchConditions: conds }, ref) as Obj;
    const matchConditions = (rewritten['matchConditions'] as unknown[]).filter(isObj).map((c) => ({
      name: `${prefix}-${String(c['name'])}`,
      expression: `!(${guard}) || (${String(c['expression'])})`,
    }));
    out.push({ name: `${prefix}-${name}`, spec: { ...rewritten, matchConstraints, matchConditions } });
  }
  return out;
}
