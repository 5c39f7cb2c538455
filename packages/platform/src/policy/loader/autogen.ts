/**
 * Auto-generated rules for Pod controllers, as Kyverno's pkg/autogen (v1) computes them: a rule that
 * matches Pods gets an `autogen-<name>` twin for DaemonSet, Deployment, Job, StatefulSet, ReplicaSet and
 * ReplicationController (pattern under spec.template, `request.object.spec` rewritten to
 * `request.object.spec.template.spec`) and an `autogen-cronjob-<name>` twin for CronJob (under
 * spec.jobTemplate.spec.template). The `pod-policies.kyverno.io/autogen-controllers` annotation selects
 * controllers (`none` turns it off). Rules that name resources, use selectors or annotations, mix Pod with
 * other kinds, or a policy with a generate or JSON-patch rule, get no twins.
 */

type Obj = Record<string, unknown>;

export const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';
const POD_CONTROLLERS = [
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'CronJob',
];
const NON_CRON = new Set([
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
]);
const PODISH = new Set([...POD_CONTROLLERS, 'Pod']);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function clone<T>(v: T): T {
  return structuredClone(v);
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The Kind part of `group/version/Kind`. */
function kindPart(k: string): string {
  const parts = k.split('/');
  if (parts.length >= 3) return parts[2] as string;
  if (parts.length === 2)
    return /^[A-Z*]/.test(parts[0] as string) ? (parts[0] as string) : (parts[1] as string);
  return k;
}
function containsKind(kinds: string[], kind: string): boolean {
  return kinds.some((k) => kindPart(k) === kind);
}

function descriptions(block: unknown): Obj[] {
  if (!isObj(block)) return [];
  const out: Obj[] = [];
  if (isObj(block['resources'])) out.push(block['resources']);
  for (const k of ['any', 'all']) {
    if (Array.isArray(block[k]))
      for (const f of block[k] as unknown[]) if (isObj(f) && isObj(f['resources'])) out.push(f['resources']);
  }
  return out;
}

function getKinds(block: unknown): string[] {
  return descriptions(block).flatMap((d) => strings(d['kinds']));
}

function supports(rd: Obj, needed: { v: boolean }): boolean {
  const kinds = strings(rd['kinds']);
  if (
    (typeof rd['name'] === 'string' && rd['name'] !== '') ||
    strings(rd['names']).length > 0 ||
    rd['selector'] !== undefined ||
    rd['annotations'] !== undefined ||
    (kinds.length > 1 && containsKind(kinds, 'Pod'))
  )
    return false;
  if (kinds.some((k) => PODISH.has(kindPart(k)))) needed.v = true;
  return true;
}

/** Kyverno's CanAutoGen. */
export function canAutoGen(rules: readonly Obj[]): boolean {
  const needed = { v: false };
  for (const rule of rules) {
    if (rule['generate'] !== undefined) return false;
    const m = rule['mutate'];
    if (isObj(m)) {
      if (m['patchesJson6902']) return false;
      if (Array.isArray(m['foreach']) && m['foreach'].some((f) => isObj(f) && f['patchesJson6902']))
        return false;
    }
    for (const rd of descriptions(rule['match'])) if (!supports(rd, needed)) return false;
    for (const rd of descriptions(rule['exclude'])) if (!supports(rd, needed)) return false;
  }
  return needed.v;
}

function ruleName(prefix: string, name: string): string {
  const n = `${prefix}-${name}`;
  return n.length > 63 ? n.slice(0, 63) : n;
}

type Filters = (list: unknown[], kinds: string[]) => unknown[];

function generateRule(
  name: string,
  ruleIn: Obj | undefined,
  tplKey: string,
  kinds: string[],
  grf: Filters,
): Obj | undefined {
  if (!ruleIn) return undefined;
  const rule = clone(ruleIn);
  rule['name'] = name;
  const match: Obj = isObj(rule['match']) ? rule['match'] : {};
  rule['match'] = match;
  if (Array.isArray(match['any']) && match['any'].length) match['any'] = grf(match['any'], kinds);
  else if (Array.isArray(match['all']) && match['all'].length) match['all'] = grf(match['all'], kinds);
  else match['resources'] = { ...(isObj(match['resources']) ? match['resources'] : {}), kinds: [...kinds] };
  const ex = rule['exclude'];
  if (isObj(ex)) {
    if (Array.isArray(ex['any']) && ex['any'].length) ex['any'] = grf(ex['any'], kinds);
    else if (Array.isArray(ex['all']) && ex['all'].length) ex['all'] = grf(ex['all'], kinds);
    else if (isObj(ex['resources']) && strings(ex['resources']['kinds']).length)
      ex['resources']['kinds'] = [...kinds];
  }
  const wrap = (p: unknown): Obj => ({ spec: { [tplKey]: p } });
  const mut = rule['mutate'];
  if (isObj(mut)) {
    if (mut['patchStrategicMerge'] !== undefined) {
      rule['mutate'] = { patchStrategicMerge: wrap(mut['patchStrategicMerge']) };
      return rule;
    }
    if (Array.isArray(mut['foreach']) && mut['foreach'].length) {
      rule['mutate'] = {
        foreach: mut['foreach'].map((f) => {
          const fo = isObj(f) ? f : {};
          const out: Obj = { list: fo['list'] };
          if (fo['context'] !== undefined) out['context'] = fo['context'];
          if (fo['preconditions'] !== undefined) out['preconditions'] = fo['preconditions'];
          out['patchStrategicMerge'] = wrap(fo['patchStrategicMerge']);
          return out;
        }),
      };
      return rule;
    }
  }
  const val = rule['validate'];
  if (isObj(val)) {
    const common: Obj = {};
    for (const k of ['message', 'failureAction', 'failureActionOverrides', 'allowExistingViolations'])
      if (val[k] !== undefined) common[k] = val[k];
    if (val['pattern'] !== undefined) {
      rule['validate'] = { ...common, pattern: wrap(val['pattern']) };
      return rule;
    }
    if (val['deny'] !== undefined) {
      rule['validate'] = { ...common, deny: val['deny'] };
      return rule;
    }
    if (val['podSecurity'] !== undefined) {
      rule['validate'] = { ...common, podSecurity: val['podSecurity'] };
      return rule;
    }
    if (val['anyPattern'] !== undefined) {
      rule['validate'] = {
        ...common,
        anyPattern: Array.isArray(val['anyPattern']) ? val['anyPattern'].map(wrap) : [],
      };
      return rule;
    }
    if (Array.isArray(val['foreach']) && val['foreach'].length) {
      rule['validate'] = { ...common, foreach: val['foreach'] };
      return rule;
    }
    if (val['cel'] !== undefined) return rule;
    if (val['assert'] !== undefined) return rule;
  }
  if (rule['verifyImages'] !== undefined) return rule;
  return undefined;
}

function splitKinds(controllers: string): string[] {
  return controllers.split(',').sort();
}

function forControllers(rule: Obj, controllersIn: string): Obj | undefined {
  const name = typeof rule['name'] === 'string' ? rule['name'] : '';
  if (name.startsWith('autogen-') || controllersIn === '') return undefined;
  const matchKinds = getKinds(rule['match']);
  const excludeKinds = getKinds(rule['exclude']);
  if (!containsKind(matchKinds, 'Pod') || (excludeKinds.length && !containsKind(excludeKinds, 'Pod')))
    return undefined;
  let controllers = controllersIn;
  if (controllers === 'all')
    controllers = 'DaemonSet,Deployment,Job,StatefulSet,ReplicaSet,ReplicationController';
  else if (controllers !== 'none') {
    const validated = splitKinds(controllers).filter((c) => NON_CRON.has(c));
    if (validated.length) controllers = validated.join(',');
  }
  return generateRule(ruleName('autogen', name), rule, 'template', splitKinds(controllers), (list, kinds) =>
    list.map((f) => {
      const c = clone(f);
      if (isObj(c) && isObj(c['resources']) && containsKind(strings(c['resources']['kinds']), 'Pod'))
        c['resources']['kinds'] = [...kinds];
      return c;
    }),
  );
}

function forCronJob(rule: Obj, controllers: string): Obj | undefined {
  if (!controllers.includes('CronJob') && !controllers.includes('all')) return undefined;
  const name = typeof rule['name'] === 'string' ? rule['name'] : '';
  return generateRule(
    ruleName('autogen-cronjob', name),
    forControllers(rule, controllers),
    'jobTemplate',
    ['CronJob'],
    (list, kinds) =>
      list.map((f) => {
        const c = clone(f);
        if (isObj(c))
          c['resources'] = { ...(isObj(c['resources']) ? c['resources'] : {}), kinds: [...kinds] };
        return c;
      }),
  );
}

const POD_REPLACE: Array<[string, string]> = [
  ['request.object.spec', 'request.object.spec.template.spec'],
  ['request.oldObject.spec', 'request.oldObject.spec.template.spec'],
  ['request.object.metadata', 'request.object.spec.template.metadata'],
  ['request.oldObject.metadata', 'request.oldObject.spec.template.metadata'],
];
const POD_CEL_REPLACE: Array<[string, string]> = [
  ['object.spec', 'object.spec.template.spec'],
  ['oldObject.spec', 'oldObject.spec.template.spec'],
  ['object.metadata', 'object.spec.template.metadata'],
  ['oldObject.metadata', 'oldObject.spec.template.metadata'],
];
const CRON_REPLACE: Array<[string, string]> = [
  ['request.object.spec', 'request.object.spec.jobTemplate.spec.template.spec'],
  ['request.oldObject.spec', 'request.oldObject.spec.jobTemplate.spec.template.spec'],
  ['request.object.metadata', 'request.object.spec.jobTemplate.spec.template.metadata'],
  ['request.oldObject.metadata', 'request.oldObject.spec.jobTemplate.spec.template.metadata'],
];
const CRON_CEL_REPLACE: Array<[string, string]> = [
  ['object.spec', 'object.spec.jobTemplate.spec.template.spec'],
  ['oldObject.spec', 'oldObject.spec.jobTemplate.spec.template.spec'],
  ['object.metadata', 'object.spec.jobTemplate.spec.template.metadata'],
  ['oldObject.metadata', 'oldObject.spec.jobTemplate.spec.template.metadata'],
];

function convert(rule: Obj, cron: boolean): Obj {
  const cel = isObj(rule['validate']) && rule['validate']['cel'] !== undefined;
  const table = cron ? (cel ? CRON_CEL_REPLACE : CRON_REPLACE) : cel ? POD_CEL_REPLACE : POD_REPLACE;
  let json = JSON.stringify(rule);
  for (const [from, to] of table) json = json.split(from).join(to);
  return JSON.parse(json) as Obj;
}

/**
 * The rules Kyverno evaluates for a policy: its own rules (minus stale `autogen-` ones when twins are
 * generated) followed by the generated twins.
 */
export function computeRules(rules: readonly Obj[], annotations: Readonly<Record<string, unknown>>): Obj[] {
  const apply = canAutoGen(rules);
  let actual: string[];
  const ann = annotations[AUTOGEN_ANNOTATION];
  if (!apply) actual = ['none'];
  else if (typeof ann === 'string') actual = ann.split(',');
  else actual = [...POD_CONTROLLERS];
  const kind = actual.join(',');
  if (kind === 'none') return [...rules];
  const stripped = actual.filter((c) => c !== 'CronJob').join(',');
  const generated: Obj[] = [];
  for (const rule of rules) {
    const g = forControllers(rule, stripped);
    if (g) generated.push(convert(g, false));
    const c = forCronJob(rule, kind);
    if (c) generated.push(convert(c, true));
  }
  if (!generated.length) return [...rules];
  return [
    ...rules.filter((r) => !(typeof r['name'] === 'string' && r['name'].startsWith('autogen-'))),
    ...generated,
  ];
}
