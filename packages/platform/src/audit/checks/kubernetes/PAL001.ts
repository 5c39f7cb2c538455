/**
 * PAL001 Namespace without a default-deny NetworkPolicy (Palisade's own check; Trivy has none,
 * Polaris' missingNetworkPolicy is the closest).
 *
 * A cross-object check: it sees every object, remembers the namespaces that hold objects and
 * the namespaces that have a default-deny ingress policy (podSelector {} selecting every pod,
 * policyTypes containing Ingress, no ingress rules), and reports each namespace without one,
 * at its Namespace object when the input has it, else at the first object seen in it.
 */
import type { AuditObject, CrossCheck, Failure } from '../../types.js';
import { arr, isRec, rec, strs } from '../../util.js';

function selectsAll(sel: unknown): boolean {
  const s = rec(sel);
  return Object.keys(rec(s['matchLabels'])).length === 0 && arr(s['matchExpressions']).length === 0;
}

export function isDefaultDeny(obj: AuditObject): boolean {
  if (obj.kind !== 'NetworkPolicy') return false;
  const spec = rec(obj.object['spec']);
  if (!isRec(spec['podSelector']) || !selectsAll(spec['podSelector'])) return false;
  const types = strs(spec['policyTypes']);
  const ingressDenied =
    (types.includes('Ingress') || types.length === 0) && arr(spec['ingress']).length === 0;
  return ingressDenied;
}

const SYSTEM = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/** Kinds that live in no namespace: they do not put a namespace in the input (not even 'default'). */
const CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'VolumeAttachment',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'PodSecurityPolicy',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'GatewayClass',
  'DeviceClass',
]);

export function createPAL001(): CrossCheck {
  let seen = new Map<string, AuditObject>();
  let covered = new Set<string>();
  return {
    id: 'PAL001',
    avdId: '',
    aliases: [],
    title: 'Namespace without a default-deny NetworkPolicy',
    severity: 'MEDIUM',
    description:
      'Without a default-deny NetworkPolicy every pod of the namespace accepts traffic from anywhere in the cluster; lateral movement is unrestricted.',
    remediation:
      "Add a NetworkPolicy with 'podSelector: {}' and 'policyTypes: [Ingress]' (and Egress) to the namespace, then allow the traffic each workload needs.",
    kinds: ['*'],
    category: 'network',
    observe(obj) {
      if (CLUSTER_SCOPED.has(obj.kind)) return;
      const ns = obj.kind === 'Namespace' ? obj.name : obj.namespace || 'default';
      if (obj.kind === 'Namespace' || !seen.has(ns)) {
        if (!seen.has(ns) || obj.kind === 'Namespace') seen.set(ns, obj);
      }
      if (isDefaultDeny(obj)) covered.add(ns);
    },
    finish() {
      const out: { target: AuditObject; failures: Failure[] }[] = [];
      for (const [ns, obj] of seen) {
        if (SYSTEM.has(ns) || covered.has(ns)) continue;
        out.push({
          target:
            obj.kind === 'Namespace'
              ? obj
              : { ...obj, kind: 'Namespace', apiVersion: 'v1', name: ns, namespace: '' },
          failures: [{ message: `Namespace '${ns}' has no default-deny ingress NetworkPolicy`, path: [] }],
        });
      }
      return out;
    },
    reset() {
      seen = new Map();
      covered = new Set();
    },
  };
}
