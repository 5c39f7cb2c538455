/**
 * Kyverno's podSecurity exclusions (`validate.podSecurity.exclude` and a PolicyException's
 * `spec.podSecurity`), with the semantics of kyverno/pkg/pss (EvaluatePod, ApplyPodSecurityExclusion,
 * exemptExclusions). An exclusion names a control (`controlName`), optionally container `images`
 * (wildcards), a `restrictedField` (a path such as `spec.containers[*].securityContext.capabilities.add`)
 * and `values` (wildcards the offending values must all match).
 *
 * How an exclusion is applied, as Kyverno does:
 * 1. The pod is evaluated with field errors (one error per offending field, see FieldError).
 * 2. Each exclusion builds a second pod and evaluates it the same way:
 *    - without `images`, the pod with its containers replaced by one empty container named "fake" and no
 *      init or ephemeral containers: only pod-level fields (and that empty container) are looked at;
 *    - with `images`, a pod holding only the containers whose image matches one of the patterns, and no
 *      pod-level fields at all.
 * 3. Every error of that second evaluation, on a control the exclusion's controlName maps to, whose path
 *    (indexes replaced by `*`) equals `restrictedField` (or any path when restrictedField is empty), and
 *    whose bad values all match `values` (or any when values is empty), removes one error of the pod's own
 *    evaluation with the same starred path; with `images`, a container-level error only removes the error
 *    of the container with the same name. A control whose errors are all removed no longer denies.
 *
 * Kyverno quirks this keeps, because policies are written against them:
 * - Without images, the "fake" container fails container-level requirements (runAsNonRoot,
 *   allowPrivilegeEscalation, ...) itself, so an exclusion of such a control without images removes
 *   exactly one container's error: it lifts the control for a pod with one offending container only.
 *   (Kyverno refuses container-level controls without images in policies, see exclusionProblems, but
 *   not "Running as Non-root", and PolicyExceptions are evaluated as given.)
 * - Bad values are compared as strings: booleans as `"true"`/`"false"`, numbers (host ports, user IDs)
 *   in decimal, string lists element by element. A field error without a value (a required field, a
 *   hostPath volume) has none, so any `values` accept it.
 * - All digit runs of a path are starred, including digits inside annotation keys.
 * - Control names are Kyverno's (PSS_controls_to_check_id); "Host Probes / Lifecycle Hooks" has none,
 *   so it cannot be excluded. "/proc Mount Type" also covers procMount_restricted (policy v1.35+), the
 *   restricted revision of the same control, which Kyverno's table predates.
 */
import type { CompiledPodSecurity, PodSecurityControlResult } from './evaluate.js';
import { isObj } from './helpers.js';
import type { FieldError, Obj } from './types.js';

/** Kyverno's control names and the check IDs each covers. */
export const CONTROL_CHECK_IDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Capabilities: ['capabilities_baseline', 'capabilities_restricted'],
  Seccomp: ['seccompProfile_baseline', 'seccompProfile_restricted'],
  'Privileged Containers': ['privileged'],
  'Host Ports': ['hostPorts'],
  '/proc Mount Type': ['procMount', 'procMount_restricted'],
  HostProcess: ['windowsHostProcess'],
  SELinux: ['seLinuxOptions'],
  'Host Namespaces': ['hostNamespaces'],
  'HostPath Volumes': ['hostPathVolumes'],
  Sysctls: ['sysctls'],
  AppArmor: ['appArmorProfile'],
  'Privilege Escalation': ['allowPrivilegeEscalation'],
  'Running as Non-root': ['runAsNonRoot'],
  'Running as Non-root user': ['runAsUser'],
  'Volume Types': ['restrictedVolumes'],
});

/**
 * Kyverno's wildcard match (`*`, `?`) of a pattern against a text, passed in by the caller so that this
 * engine module stays free of the pattern package.
 */
export type WildcardMatch = (pattern: string, text: string) => boolean;

/** One exclusion, read from a policy or exception (fields of the wrong type read as absent). */
export interface PodSecurityExclusion {
  readonly controlName: string;
  readonly images: readonly string[];
  readonly restrictedField: string;
  readonly values: readonly string[];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Reads an exclusion entry as Kyverno's PodSecurityStandard struct. */
export function readExclusion(raw: Obj): PodSecurityExclusion {
  return {
    controlName: typeof raw['controlName'] === 'string' ? raw['controlName'] : '',
    images: strings(raw['images']),
    restrictedField: typeof raw['restrictedField'] === 'string' ? raw['restrictedField'] : '',
    values: strings(raw['values']),
  };
}

const CONTAINER_LEVEL_CONTROLS: ReadonlySet<string> = new Set([
  'Capabilities',
  'Privileged Containers',
  'Host Ports',
  '/proc Mount Type',
  'Privilege Escalation',
]);
const POD_LEVEL_CONTROLS: ReadonlySet<string> = new Set([
  'Host Namespaces',
  'HostPath Volumes',
  'Sysctls',
  'AppArmor',
  'Volume Types',
]);
/** Control names of the restricted level only (Seccomp and Capabilities exist at both levels). */
const RESTRICTED_ONLY_CONTROLS: ReadonlySet<string> = new Set([
  'Volume Types',
  'Privilege Escalation',
  'Running as Non-root',
  'Running as Non-root user',
]);

/**
 * What Kyverno's policy validation rejects in an exclusion (PodSecurityStandard.Validate and
 * Rule.ValidatePSaControlNames), in the form of its field errors, with `path` the exclusion's path
 * (e.g. `validate.podSecurity.exclude[0]`): a container-level control without `images`, a pod-level
 * control with `images`, `restrictedField` without `values` or the reverse, and a restricted-only
 * control in a baseline rule. Kyverno refuses such a policy, so it never evaluates it.
 */
export function exclusionProblems(ex: PodSecurityExclusion, level: string, path: string): string[] {
  const problems: string[] = [];
  const invalid = (detail: string) =>
    `${path}.controlName: Invalid value: ${JSON.stringify(ex.controlName)}: ${detail}`;
  if (CONTAINER_LEVEL_CONTROLS.has(ex.controlName) && ex.images.length === 0)
    problems.push(invalid('exclude.images must be specified for the container level control'));
  else if (POD_LEVEL_CONTROLS.has(ex.controlName) && ex.images.length > 0)
    problems.push(invalid('exclude.images must not be specified for the pod level control'));
  if (ex.restrictedField !== '' && ex.values.length === 0)
    problems.push(`${path}.values: Forbidden: values is required`);
  if (ex.restrictedField === '' && ex.values.length > 0)
    problems.push(`${path}.restrictedField: Forbidden: restrictedField is required`);
  if (level === 'baseline' && RESTRICTED_ONLY_CONTROLS.has(ex.controlName))
    problems.push(invalid('Invalid control name defined at the given level'));
  return problems;
}

/** A denying control with the field errors still standing against it. */
export interface RemainingCheck {
  readonly control: PodSecurityControlResult;
  readonly errors: FieldError[];
}

/** The denying controls of an evaluation, each with a private copy of its field errors. */
export function denyingChecks(results: readonly PodSecurityControlResult[]): RemainingCheck[] {
  const out: RemainingCheck[] = [];
  for (const r of results) if (!r.allowed) out.push({ control: r, errors: [...(r.errors ?? [])] });
  return out;
}

const DIGITS = /\d+/g;
const WORDS = /[a-zA-Z]+/g;
const CONTAINER_LISTS: ReadonlySet<string> = new Set(['containers', 'initContainers', 'ephemeralContainers']);

interface ParsedField {
  /** The path with every digit run replaced by `*`. */
  readonly starred: string;
  /** For a container-level field: the container list and index. */
  readonly list?: string;
  readonly index?: number;
}

/** Kyverno's parseField: the second word of the path says whether it is a container's field. */
function parseField(field: string, containerLevel: boolean): ParsedField {
  const starred = field.replace(DIGITS, '*');
  if (!containerLevel) return { starred };
  const words = field.match(WORDS) ?? [];
  const list = words[1];
  if (list === undefined || !CONTAINER_LISTS.has(list)) return { starred };
  const digits = /\d+/.exec(field);
  return { starred, list, index: digits ? Number(digits[0]) : 0 };
}

/** Kyverno's extractBadValues. */
function badValues(e: FieldError): readonly string[] {
  const v = e.badValue;
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (typeof v === 'boolean' || typeof v === 'number') return [String(v)];
  if (Array.isArray(v)) return v as readonly string[];
  return [];
}

function containerName(spec: Obj, list: string | undefined, index: number | undefined): string {
  if (list === undefined || index === undefined) return '';
  const l = spec[list];
  const c: unknown = Array.isArray(l) ? l[index] : undefined;
  return isObj(c) && typeof c['name'] === 'string' ? c['name'] : '';
}

function image(c: unknown): string {
  return isObj(c) && typeof c['image'] === 'string' ? c['image'] : '';
}

/** The pod an exclusion is evaluated on (Kyverno's GetPodWithMatchingContainers). */
function exclusionPod(
  wildcardMatch: WildcardMatch,
  ex: PodSecurityExclusion,
  metadata: Obj,
  spec: Obj,
): { metadata: Obj; spec: Obj; containerLevel: boolean } {
  if (ex.images.length === 0) {
    const podSpec: Record<string, unknown> = { ...spec, containers: [{ name: 'fake' }] };
    delete podSpec['initContainers'];
    delete podSpec['ephemeralContainers'];
    return { metadata, spec: podSpec, containerLevel: false };
  }
  const matchingSpec: Record<string, unknown> = {};
  for (const list of CONTAINER_LISTS) {
    const l = spec[list];
    if (!Array.isArray(l)) continue;
    const matching = l.filter((c) => ex.images.some((p) => wildcardMatch(p, image(c))));
    if (matching.length) matchingSpec[list] = matching;
  }
  const m: Record<string, unknown> = {};
  if (metadata['name'] !== undefined) m['name'] = metadata['name'];
  if (metadata['namespace'] !== undefined) m['namespace'] = metadata['namespace'];
  return { metadata: m, spec: matchingSpec, containerLevel: true };
}

/**
 * Applies exclusions to the denying checks of a pod (given as its metadata and spec, evaluated with
 * `compiled`), in order; `wildcardMatch` matches images and values. Returns the checks still denying, each with the errors left. `checks` is not
 * modified.
 */
export function applyPodSecurityExclusions(
  compiled: CompiledPodSecurity,
  exclusions: readonly PodSecurityExclusion[],
  checks: readonly RemainingCheck[],
  metadata: unknown,
  spec: unknown,
  wildcardMatch: WildcardMatch,
): RemainingCheck[] {
  const meta = isObj(metadata) ? metadata : {};
  const podSpec = isObj(spec) ? spec : {};
  let remaining = new Map(checks.map((c) => [c.control.control, { ...c, errors: [...c.errors] }]));
  for (const ex of exclusions) {
    const ids = CONTROL_CHECK_IDS[ex.controlName];
    if (!ids || remaining.size === 0) continue;
    const pod = exclusionPod(wildcardMatch, ex, meta, podSpec);
    const excluded = compiled.evaluatePod(pod.metadata, pod.spec, { fieldErrors: true });
    const next = new Map(remaining);
    for (const r of excluded.results) {
      if (r.allowed || !ids.includes(r.control)) continue;
      for (const exErr of r.errors ?? []) {
        const exField = parseField(exErr.field, pod.containerLevel);
        if (ex.restrictedField !== '' && exField.starred !== ex.restrictedField) continue;
        if (ex.values.length && badValues(exErr).some((v) => !ex.values.some((p) => wildcardMatch(p, v))))
          continue;
        const target = next.get(r.control);
        if (!target) continue;
        const exName = containerName(pod.spec, exField.list, exField.index);
        const idx = target.errors.findIndex((dErr) => {
          const d = parseField(dErr.field, pod.containerLevel);
          if (d.list !== undefined)
            return d.starred === exField.starred && containerName(podSpec, d.list, d.index) === exName;
          return d.starred === exField.starred;
        });
        if (idx < 0) continue;
        // Kyverno removes by swapping in the last error (the order of what is left follows that)
        target.errors[idx] = target.errors[target.errors.length - 1]!;
        target.errors.pop();
        if (target.errors.length === 0) next.delete(r.control);
      }
    }
    remaining = next;
  }
  return [...remaining.values()];
}

/** Kyverno's FieldError.Error() forms, as FormatChecksPrint prints them. */
function formatFieldError(e: FieldError): string {
  if (e.type === 'required') return `${e.field}: Required value`;
  // Without a bad value the fork's error holds "" (field.Forbidden(path, "")), printed as Error() does
  const v = e.badValue;
  if (v === undefined || v === '') return `${e.field}: Forbidden`;
  const shown = Array.isArray(v) ? `[${(v as readonly string[]).join(' ')}]` : String(v);
  return `${e.field} is forbidden, forbidden values found: ${shown}`;
}

/**
 * Kyverno's FormatChecksPrint: `(Forbidden reason: <reason>, field error list: [<errors>])` per check.
 * `prefix` rewrites field paths for pod controllers as Kyverno's convertChecks does (e.g.
 * `spec.template.spec` for a Deployment).
 */
export function formatKyvernoChecks(checks: readonly RemainingCheck[], kind: string | undefined): string {
  let out = '';
  for (const c of checks) {
    const errs = c.errors.map((e) => formatFieldError({ ...e, field: kyvernoField(e.field, kind) }));
    out += `(Forbidden reason: ${c.control.reason}, field error list: [${errs.join(', ')}])`;
  }
  return out;
}

const TEMPLATE_KINDS: ReadonlySet<string> = new Set([
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
]);

/** Kyverno's convertChecks: field paths as seen from the resource, not the pod. */
export function kyvernoField(field: string, kind: string | undefined): string {
  let f = field;
  if (kind !== undefined && TEMPLATE_KINDS.has(kind)) f = f.replaceAll('spec', 'spec.template.spec');
  else if (kind === 'CronJob') f = f.replaceAll('spec', 'spec.jobTemplate.spec.template.spec');
  return f.replaceAll('metadata', 'spec.template.metadata');
}
