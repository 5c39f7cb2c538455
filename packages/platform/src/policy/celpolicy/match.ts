/**
 * admissionregistration.k8s.io MatchResources as the API server (and Kyverno's CEL engine) apply them:
 * resourceRules / excludeResourceRules (apiGroups, apiVersions, resources incl. subresources and
 * wildcards, operations, resourceNames), namespaceSelector and objectSelector (label selectors).
 */
import { pluralOf } from '../cel/kyverno.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
function labelsOf(o: Obj | undefined): Record<string, string> {
  const md = o && isObj(o['metadata']) ? o['metadata'] : {};
  return isObj(md['labels']) ? (md['labels'] as Record<string, string>) : {};
}

export interface MatchInput {
  readonly resource: Obj;
  readonly operation: string;
  readonly subresource?: string;
  /** Labels of the resource's namespace (or of the Namespace itself). */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

export function groupVersionOf(o: Obj): { group: string; version: string } {
  const av = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
  const i = av.indexOf('/');
  return i === -1 ? { group: '', version: av } : { group: av.slice(0, i), version: av.slice(i + 1) };
}

/** Label selector (matchLabels + matchExpressions) as metav1.LabelSelectorAsSelector. */
export function selectorMatches(sel: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (!isObj(sel)) return true;
  if (isObj(sel['matchLabels']))
    for (const [k, v] of Object.entries(sel['matchLabels'])) if (labels[k] !== v) return false;
  for (const e of Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : []) {
    if (!isObj(e)) continue;
    const key = String(e['key']);
    const vals = strs(e['values']);
    const has = Object.hasOwn(labels, key);
    switch (e['operator']) {
      case 'In':
        if (!has || !vals.includes(labels[key] ?? '')) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(labels[key] ?? '')) return false;
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
}

function ruleMatches(rule: unknown, input: MatchInput): boolean {
  if (!isObj(rule)) return false;
  const { group, version } = groupVersionOf(input.resource);
  const kind = typeof input.resource['kind'] === 'string' ? input.resource['kind'] : '';
  const plural = pluralOf(kind);
  const md = isObj(input.resource['metadata']) ? input.resource['metadata'] : {};
  const any = (list: string[], v: string): boolean => list.includes('*') || list.includes(v);
  if (!any(strs(rule['apiGroups']), group)) return false;
  if (!any(strs(rule['apiVersions']), version)) return false;
  const ops = strs(rule['operations']);
  if (ops.length && !any(ops, input.operation)) return false;
  const full = input.subresource ? `${plural}/${input.subresource}` : plural;
  const resources = strs(rule['resources']);
  const resOk = resources.some(
    (r) =>
      r === '*' ||
      r === full ||
      r === '*/*' ||
      (r.endsWith('/*') && !!input.subresource && r.slice(0, -2) === plural) ||
      (r.startsWith('*/') && r.slice(2) === (input.subresource ?? '')),
  );
  if (!resOk) return false;
  const names = strs(rule['resourceNames']);
  if (names.length && !names.includes(typeof md['name'] === 'string' ? md['name'] : '')) return false;
  return true;
}

/** Whether MatchResources select the request. */
export function matchResources(mr: unknown, input: MatchInput): boolean {
  if (!isObj(mr)) return false;
  if (!(Array.isArray(mr['resourceRules']) && mr['resourceRules'].some((r) => ruleMatches(r, input))))
    return false;
  if (
    Array.isArray(mr['excludeResourceRules']) &&
    mr['excludeResourceRules'].some((r) => ruleMatches(r, input))
  )
    return false;
  if (mr['objectSelector'] !== undefined && !selectorMatches(mr['objectSelector'], labelsOf(input.resource)))
    return false;
  if (mr['namespaceSelector'] !== undefined) {
    const kind = input.resource['kind'];
    const md = isObj(input.resource['metadata']) ? input.resource['metadata'] : {};
    const namespaced = kind === 'Namespace' || typeof md['namespace'] === 'string';
    if (namespaced) {
      const labels = kind === 'Namespace' ? labelsOf(input.resource) : (input.namespaceLabels ?? {});
      if (!selectorMatches(mr['namespaceSelector'], labels)) return false;
    }
  }
  return true;
}
