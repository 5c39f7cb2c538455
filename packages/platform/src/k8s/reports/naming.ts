/**
 * Trivy Operator's naming rules for report objects, so that tools which look reports up by
 * name or label find Palisade's.
 *
 * - Report name: `<kind>-<workload>-<container>` in lower case; when that is not a valid label
 *   value (longer than 63 characters, or bad characters), `<kind>-<hash(workload + "-" + container)>`.
 * - The hash is Kubernetes' `ComputeHash` (as in the pod-template-hash): FNV-32a over the object's
 *   go-spew print (`%#v`; for a string `(string)<text>`), the decimal value of the
 *   sum, each digit mapped through `rand.SafeEncodeString`'s alphabet.
 * - The workload's name goes into the `trivy-operator.resource.name` label, or, when it is not a
 *   valid label value, its hash into `trivy-operator.resource.name-hash` and the name into an
 *   annotation of the same key as the plain label.
 */

/** k8s.io/apimachinery/pkg/util/rand: consonants and digits without vowels or look-alikes. */
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** 32-bit FNV-1a over the UTF-8 bytes of `s`. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `rand.SafeEncodeString`: each character's code modulo the alphabet length picks a character. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHANUMS[(ch.codePointAt(0) ?? 0) % SAFE_ALPHANUMS.length];
  return out;
}

/** go-spew's `%#v` of a string (its formatter, not fmt's): the type in parentheses, then the raw text. */
function spewString(s: string): string {
  return `(string)${s}`;
}

/** Trivy Operator's `kube.ComputeHash` for a string argument. */
export function computeHash(s: string): string {
  return safeEncodeString(String(fnv32a(spewString(s))));
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** `validation.IsValidLabelValue`: at most 63 characters, alphanumerics and `-_.` inside. */
export function isValidLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}

/** Name of a per-container report (VulnerabilityReport, ExposedSecretReport, SbomReport). */
export function containerReportName(workloadKind: string, workloadName: string, container: string): string {
  const kind = workloadKind.toLowerCase();
  const name = `${kind}-${workloadName}-${container}`;
  if (isValidLabelValue(name)) return name;
  return `${kind}-${computeHash(`${workloadName}-${container}`)}`;
}

/** Name of a per-workload report (ConfigAuditReport, RbacAssessmentReport). */
export function workloadReportName(workloadKind: string, workloadName: string): string {
  const kind = workloadKind.toLowerCase();
  const name = `${kind}-${workloadName}`;
  if (isValidLabelValue(name)) return name;
  return `${kind}-${computeHash(workloadName)}`;
}

export const LABEL_RESOURCE_KIND = 'trivy-operator.resource.kind';
export const LABEL_RESOURCE_NAME = 'trivy-operator.resource.name';
export const LABEL_RESOURCE_NAME_HASH = 'trivy-operator.resource.name-hash';
export const LABEL_RESOURCE_NAMESPACE = 'trivy-operator.resource.namespace';
export const LABEL_CONTAINER_NAME = 'trivy-operator.container.name';
export const LABEL_RESOURCE_SPEC_HASH = 'resource-spec-hash';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Set on reports whose finding list was cut to fit the size cap (see docs/crds.md). */
export const ANNOTATION_TRUNCATED = 'palisade.dev/truncated';
/** `<kept>/<total>` findings of a truncated report. */
export const ANNOTATION_FINDINGS_KEPT = 'palisade.dev/findings-kept';

/** The labels and annotations Trivy Operator's `ObjectToObjectMeta` puts on a report. */
export function workloadLabels(w: { kind: string; name: string; namespace: string }): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const labels: Record<string, string> = {
    [LABEL_RESOURCE_KIND]: w.kind,
    [LABEL_RESOURCE_NAMESPACE]: w.namespace,
  };
  const annotations: Record<string, string> = {};
  if (isValidLabelValue(w.name)) labels[LABEL_RESOURCE_NAME] = w.name;
  else {
    labels[LABEL_RESOURCE_NAME_HASH] = computeHash(w.name);
    annotations[LABEL_RESOURCE_NAME] = w.name;
  }
  return { labels, annotations };
}
