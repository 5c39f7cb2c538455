/**
 * Pod Security Standards: the shapes shared by the controls and the evaluator.
 *
 * A control is one check of Kubernetes' pod-security-admission package (one file per control under
 * controls/, named by the upstream check ID). Each control has one or more revisions, each applying from a
 * policy version (v1.<minVersion>) until the next revision; a restricted revision may override baseline
 * controls (upstream's OverrideCheckIDs), which then do not run at the restricted level.
 */

/** A JSON object as decoded from YAML or JSON. */
export type Obj = Readonly<Record<string, unknown>>;

/** The levels of the Pod Security Standards. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** The pod spec list a container comes from. */
export type ContainerGroup = 'initContainers' | 'containers' | 'ephemeralContainers';

/** One container as the controls see it: init containers, then containers, then ephemeral containers. */
export interface ContainerView {
  /** The container's name ('' when missing or not a string). */
  readonly name: string;
  /** Where it is: spec.<group>[<index>]. */
  readonly group: ContainerGroup;
  readonly index: number;
  /** The container's securityContext when it is an object. */
  readonly securityContext: Obj | undefined;
  /** The whole container object (ports, probes, lifecycle). */
  readonly raw: Obj;
}

/**
 * The pod a control evaluates: the pod's (or pod template's) metadata and spec, read once per evaluation.
 * Fields of the wrong type read as absent here; the evaluator reports them separately (see pod.ts).
 */
export interface PodView {
  /** metadata.annotations (string values only are meaningful). */
  readonly annotations: Obj;
  /** The pod spec. */
  readonly spec: Obj;
  /** spec.securityContext when it is an object. */
  readonly podSecurityContext: Obj | undefined;
  /** Every container, in upstream's visit order: initContainers, containers, ephemeralContainers. */
  readonly containers: readonly ContainerView[];
  /** spec.volumes as given (entries that are not objects are skipped by the controls). */
  readonly volumes: readonly unknown[];
  /** spec.os.name when set. */
  readonly osName: string | undefined;
  /** True when spec.hostUsers is false (the pod runs in a user namespace). */
  readonly userNamespace: boolean;
}

/** What a control says about one pod. reason and detail are '' when allowed. */
export interface CheckOutcome {
  readonly allowed: boolean;
  /** Short reason, printed always, e.g. "allowPrivilegeEscalation != false". */
  readonly reason: string;
  /** Specifics, printed in parentheses after the reason, e.g. `container "x" must set …`. */
  readonly detail: string;
}

/**
 * One offending field, as the field-error variant of pod-security-admission's checks reports it (the
 * variant Kyverno's podSecurity exclusions are matched against): `forbidden` with the bad value when a
 * field is set to a value the control forbids, `required` when a field the control needs is unset.
 */
export interface FieldError {
  readonly type: 'forbidden' | 'required';
  /** Field path in Kubernetes' notation, e.g. "spec.containers[0].securityContext.privileged". */
  readonly field: string;
  /** The offending value, when there is one. */
  readonly badValue?: string | number | boolean | readonly string[];
}

/**
 * A control's check function: pure, reads the pod, allocates only when it denies. When `errors` is
 * given, a denying check appends one FieldError per offending field (nothing when it allows).
 */
export type CheckFn = (pod: PodView, errors?: FieldError[]) => CheckOutcome;

/** One revision of a control. */
export interface ControlRevision {
  /** First policy minor version (v1.N) this revision applies to. */
  readonly minVersion: number;
  readonly check: CheckFn;
  /** Baseline control IDs this (restricted) revision replaces at the restricted level. */
  readonly overrides?: readonly string[];
}

/** One Pod Security control. */
export interface PodSecurityControl {
  /** Upstream check ID, e.g. "capabilities_restricted"; also the control's file name under controls/. */
  readonly id: string;
  /** The control's name in the Pod Security Standards document, e.g. "Capabilities". */
  readonly title: string;
  /** The level the control belongs to (baseline controls also run at restricted, unless overridden). */
  readonly level: 'baseline' | 'restricted';
  /** Revisions sorted by strictly increasing minVersion. */
  readonly revisions: readonly ControlRevision[];
}

/** The shared allowed outcome (controls return it instead of allocating). */
export const ALLOWED: CheckOutcome = Object.freeze({ allowed: true, reason: '', detail: '' });

/** A denied outcome. */
export function deny(reason: string, detail: string): CheckOutcome {
  return { allowed: false, reason, detail };
}

/** A forbidden-field error. */
export function forbidden(
  field: string,
  badValue?: string | number | boolean | readonly string[],
): FieldError {
  return badValue === undefined ? { type: 'forbidden', field } : { type: 'forbidden', field, badValue };
}

/** A required-field error. */
export function required(field: string): FieldError {
  return { type: 'required', field };
}
