/**
 * The Pod Security evaluator: resolves a level and policy version to the list of controls that apply
 * (compiled once per level and version, as upstream's check registry does), then runs them over a pod.
 *
 * Resolution follows kubernetes/pod-security-admission's registry:
 * - a control's revision applies from its minVersion until the next revision's minVersion;
 * - "latest", and any version newer than the newest revision of any control, resolve to that newest
 *   version (v1.37 with today's controls);
 * - baseline runs the baseline controls; restricted runs the restricted controls plus the baseline
 *   controls that no restricted revision in force overrides;
 * - results are ordered baseline IDs first, then restricted IDs, each sorted by ID, which is the order of
 *   the reasons in upstream's messages;
 * - privileged runs nothing.
 *
 * The message of a denial is the one the admission controller prints:
 * `violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "x" must set
 * securityContext.allowPrivilegeEscalation=false), ...`.
 *
 * Where this differs from the admission controller, which sees the pod after the API server decoded,
 * defaulted and prepared it:
 * - A volume with no source is taken as the emptyDir the API server defaults it to (needed to agree with
 *   upstream's fixtures); no other defaulting is applied (e.g. hostNetwork pods' container ports are not
 *   copied to hostPort, so a message may list fewer host ports than the API server's would).
 * - The API server's syncing of the deprecated AppArmor and seccomp annotations into the fields is not
 *   replayed; the controls read what was submitted.
 * - A field of the wrong type is rejected by the API server's decoding; here it denies the pod with one
 *   more reason, `invalid pod (...)`, instead of being read as unset.
 * - Go's %q is reproduced for ASCII; non-printable non-ASCII characters in annotation values are printed
 *   as they are rather than escaped.
 * - The API server's emulated version (which can lower what "latest" means) is not modelled.
 */
import { PalisadeError } from '../../core/errors.js';
import { compareStrings } from './helpers.js';
import { podSecurityControls } from './index.js';
import { extractPod, podView, readPodShape, type PodHolderKind, type PodShapeProblem } from './pod.js';
import { ALLOWED } from './types.js';
import type {
  CheckFn,
  CheckOutcome,
  ControlRevision,
  FieldError,
  PodSecurityControl,
  PodSecurityLevel,
} from './types.js';

/** What to evaluate against, as written in a namespace label or a Kyverno podSecurity rule. */
export interface PodSecurityOptions {
  /** privileged, baseline or restricted. */
  readonly level: string;
  /** "latest" or "v1.N". */
  readonly version: string;
  /** Also report each offending field (see FieldError); off by default, it costs allocations. */
  readonly fieldErrors?: boolean;
  /** Run the controls as Kyverno's podSecurity rules do (see PodSecurityRegistry.kyvernoSteps). */
  readonly kyverno?: boolean;
}

/** Per-evaluation options. */
export interface EvaluateOptions {
  /** Also report each offending field of a denying control (PodSecurityControlResult.errors). */
  readonly fieldErrors?: boolean;
}

/** A parsed level and version. */
export interface PodSecurityPolicy {
  readonly level: PodSecurityLevel;
  /** The minor version N of v1.N, or 'latest'. */
  readonly version: number | 'latest';
}

/** The verdict of one control. reason and detail are '' when allowed. */
export interface PodSecurityControlResult {
  /** Upstream check ID, e.g. "runAsNonRoot". */
  readonly control: string;
  /** The control's name in the Pod Security Standards, e.g. "Running as Non-root". */
  readonly title: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly detail: string;
  /** The offending fields, when field errors were asked for and the control denies. */
  readonly errors?: readonly FieldError[];
}

export interface PodSecurityResult {
  /** True when every control allows the pod and the pod is well formed (or nothing applies). */
  readonly allowed: boolean;
  readonly level: PodSecurityLevel;
  /** The version as requested: "latest" or "v1.N". */
  readonly version: string;
  /** The policy version the request resolved to, e.g. "v1.37" for "latest". */
  readonly policyVersion: string;
  /** What held the pod; undefined when the object is not a pod or pod controller (nothing applies). */
  readonly kind: PodHolderKind | undefined;
  /** One entry per control evaluated, in upstream's order. Empty at the privileged level. */
  readonly results: readonly PodSecurityControlResult[];
  /**
   * Fields the controls read that have the wrong type. Kubernetes would reject such a pod before
   * admission; the evaluator denies it (fail closed) and lists the fields here.
   */
  readonly problems: readonly PodShapeProblem[];
  /** '' when allowed; otherwise upstream's message, e.g. `violates PodSecurity "baseline:v1.30": ...`. */
  readonly message: string;
}

/** A level and version compiled to its controls; evaluate() is the hot path. */
export interface CompiledPodSecurity {
  readonly level: PodSecurityLevel;
  readonly version: string;
  readonly policyVersion: string;
  /** IDs of the controls that run, in order. */
  readonly controls: readonly string[];
  /** Evaluates a Pod, a pod controller (its pod template) or a PodTemplate. */
  evaluate(holder: unknown, options?: EvaluateOptions): PodSecurityResult;
  /** Evaluates a pod given as its metadata and spec. */
  evaluatePod(metadata: unknown, spec: unknown, options?: EvaluateOptions): PodSecurityResult;
}

const LEVELS: ReadonlySet<string> = new Set(['privileged', 'baseline', 'restricted']);
const VERSION_RE = /^v1\.(0|[1-9][0-9]{0,8})$/;

/** Parses a level and a version the way upstream's api.ParseLevel / api.ParseVersion do. */
export function parsePodSecurityPolicy(
  level: string,
  version: string,
): { ok: true; policy: PodSecurityPolicy } | { ok: false; error: string } {
  if (!LEVELS.has(level)) {
    return {
      ok: false,
      error: `invalid Pod Security level ${JSON.stringify(level)}: must be privileged, baseline or restricted`,
    };
  }
  if (version === 'latest')
    return { ok: true, policy: { level: level as PodSecurityLevel, version: 'latest' } };
  const m = VERSION_RE.exec(version);
  if (!m) {
    return {
      ok: false,
      error: `invalid Pod Security version ${JSON.stringify(version)}: must be "latest" or "v1.<minor>"`,
    };
  }
  return { ok: true, policy: { level: level as PodSecurityLevel, version: Number(m[1]) } };
}

// ---------------------------------------------------------------------------------------------------
// Registry: every (level, version) compiled up front.

interface Step {
  readonly id: string;
  readonly title: string;
  readonly check: CheckFn;
  /** The shared result for "allowed" (no allocation when a control allows). */
  readonly allowedResult: PodSecurityControlResult;
}

/** Compiled controls for every policy version, per level. Built once from a list of controls. */
export class PodSecurityRegistry {
  /** The newest minVersion of any control: what "latest" resolves to. */
  readonly maxVersion: number;
  private readonly baseline: (readonly Step[])[] = [];
  private readonly restricted: (readonly Step[])[] = [];
  private readonly controls: readonly PodSecurityControl[];
  private readonly allowed: ReadonlyMap<string, PodSecurityControlResult>;

  constructor(controls: readonly PodSecurityControl[]) {
    validateControls(controls);
    this.maxVersion = Math.max(
      0,
      ...controls.map((c) => c.revisions[c.revisions.length - 1]?.minVersion ?? 0),
    );
    const ordered = [...controls].sort((a, b) =>
      a.level === b.level ? compareStrings(a.id, b.id) : a.level === 'baseline' ? -1 : 1,
    );
    this.controls = controls;
    const allowed = (this.allowed = new Map(
      controls.map((c) => [
        c.id,
        Object.freeze({ control: c.id, title: c.title, allowed: true, reason: '', detail: '' }),
      ]),
    ));
    for (let v = 0; v <= this.maxVersion; v++) {
      const overridden = new Set<string>();
      for (const c of controls) {
        if (c.level !== 'restricted') continue;
        for (const o of revisionAt(c, v)?.overrides ?? []) overridden.add(o);
      }
      const baseline: Step[] = [];
      const restricted: Step[] = [];
      for (const c of ordered) {
        const rev = revisionAt(c, v);
        if (!rev) continue;
        const step: Step = { id: c.id, title: c.title, check: rev.check, allowedResult: allowed.get(c.id)! };
        if (c.level === 'baseline') {
          baseline.push(step);
          if (!overridden.has(c.id)) restricted.push(step);
        } else {
          restricted.push(step);
        }
      }
      this.baseline.push(Object.freeze(baseline));
      this.restricted.push(Object.freeze(restricted));
    }
  }

  /** The minor version a requested version resolves to. */
  resolve(version: number | 'latest'): number {
    return version === 'latest' || version > this.maxVersion ? this.maxVersion : version;
  }

  /** The controls that run for a level at a resolved minor version. */
  steps(level: PodSecurityLevel, minor: number): readonly Step[] {
    if (level === 'privileged') return [];
    return (level === 'baseline' ? this.baseline : this.restricted)[minor] ?? [];
  }

  /**
   * The controls Kyverno's podSecurity rules run (kyverno/pkg/pss evaluatePSS), which differ from the
   * admission controller's registry: at the restricted level every control runs, the baseline controls
   * that a restricted one overrides included (so excluding "Volume Types" leaves "HostPath Volumes"
   * denying a hostPath volume); for an explicit version every revision up to it runs, not only the
   * newest (a control denies when any of them does, with the errors of the last that denies); "latest"
   * runs each control's newest revision. Steps are ordered by check ID, the order of Kyverno's messages.
   */
  kyvernoSteps(level: PodSecurityLevel, version: number | 'latest'): readonly Step[] {
    if (level === 'privileged') return [];
    const steps: Step[] = [];
    for (const c of [...this.controls].sort((a, b) => compareStrings(a.id, b.id))) {
      if (level === 'baseline' && c.level !== 'baseline') continue;
      const revs =
        version === 'latest' ? c.revisions.slice(-1) : c.revisions.filter((r) => r.minVersion <= version);
      if (!revs.length) continue;
      const check: CheckFn =
        revs.length === 1
          ? revs[0]!.check
          : (pod, errors) => {
              let denied: CheckOutcome | undefined;
              let deniedErrors: FieldError[] | undefined;
              for (const r of revs) {
                const e: FieldError[] | undefined = errors ? [] : undefined;
                const out = r.check(pod, e);
                if (!out.allowed) {
                  denied = out;
                  deniedErrors = e;
                }
              }
              if (errors && deniedErrors) errors.push(...deniedErrors);
              return denied ?? ALLOWED;
            };
      steps.push({ id: c.id, title: c.title, check, allowedResult: this.allowed.get(c.id)! });
    }
    return steps;
  }

  /** Compiles a level and version; throws E_CONFIG for an invalid one (see parsePodSecurityPolicy). */
  compile(options: PodSecurityOptions): CompiledPodSecurity {
    const parsed = parsePodSecurityPolicy(options.level, options.version);
    if (!parsed.ok) throw new PalisadeError('E_CONFIG', parsed.error);
    const { level, version } = parsed.policy;
    const minor = this.resolve(version);
    const plan = options.kyverno ? this.kyvernoSteps(level, version) : this.steps(level, minor);
    return new Compiled(level, options.version, minor, plan);
  }
}

/** The revision of a control in force at policy v1.<minor>, or undefined before its first revision. */
export function revisionAt(c: PodSecurityControl, minor: number): ControlRevision | undefined {
  let found: ControlRevision | undefined;
  for (const r of c.revisions) if (r.minVersion <= minor) found = r;
  return found;
}

/** The invariants upstream's registry checks (a broken control list is a programming error). */
function validateControls(controls: readonly PodSecurityControl[]): void {
  const levels = new Map<string, string>();
  for (const c of controls) {
    if (levels.has(c.id)) throw new PalisadeError('E_INTERNAL', `Pod Security control ${c.id} listed twice`);
    levels.set(c.id, c.level);
    if (c.revisions.length === 0)
      throw new PalisadeError('E_INTERNAL', `Pod Security control ${c.id} has no revision`);
    let last = -1;
    for (const r of c.revisions) {
      if (!Number.isInteger(r.minVersion) || r.minVersion <= last) {
        throw new PalisadeError(
          'E_INTERNAL',
          `Pod Security control ${c.id}: versions must strictly increase`,
        );
      }
      last = r.minVersion;
    }
  }
  for (const c of controls) {
    for (const r of c.revisions) {
      for (const o of r.overrides ?? []) {
        if (c.level !== 'restricted' || levels.get(o) !== 'baseline') {
          throw new PalisadeError(
            'E_INTERNAL',
            `Pod Security control ${c.id}: only restricted controls may override, and only baseline controls (${o})`,
          );
        }
      }
    }
  }
}

class Compiled implements CompiledPodSecurity {
  readonly controls: readonly string[];
  readonly policyVersion: string;
  private readonly label: string;

  constructor(
    readonly level: PodSecurityLevel,
    readonly version: string,
    minor: number,
    private readonly plan: readonly Step[],
  ) {
    this.controls = plan.map((s) => s.id);
    this.policyVersion = `v1.${minor}`;
    this.label = `${level}:${version}`;
  }

  evaluate(holder: unknown, options?: EvaluateOptions): PodSecurityResult {
    const extracted = extractPod(holder);
    if (!extracted) return this.result(undefined, EMPTY_RESULTS, NO_PROBLEMS, true);
    return this.run(extracted.kind, extracted.metadata, extracted.spec, extracted.path, options?.fieldErrors);
  }

  evaluatePod(metadata: unknown, spec: unknown, options?: EvaluateOptions): PodSecurityResult {
    return this.run('Pod', metadata, spec, '', options?.fieldErrors);
  }

  private run(
    kind: PodHolderKind,
    metadata: unknown,
    spec: unknown,
    path: string,
    fieldErrors = false,
  ): PodSecurityResult {
    if (this.plan.length === 0) return this.result(kind, EMPTY_RESULTS, NO_PROBLEMS, true);
    const problems = readPodShape(metadata, spec, path);
    const pod = podView(metadata, spec);
    const results: PodSecurityControlResult[] = new Array<PodSecurityControlResult>(this.plan.length);
    let allowed = problems.length === 0;
    for (let i = 0; i < this.plan.length; i++) {
      const step = this.plan[i]!;
      const errors: FieldError[] | undefined = fieldErrors ? [] : undefined;
      const outcome = step.check(pod, errors);
      if (outcome.allowed) {
        results[i] = step.allowedResult;
      } else {
        allowed = false;
        const r: PodSecurityControlResult = {
          control: step.id,
          title: step.title,
          allowed: false,
          reason: outcome.reason || UNKNOWN_REASON,
          detail: outcome.detail,
        };
        results[i] = errors ? { ...r, errors } : r;
      }
    }
    return this.result(kind, results, problems, allowed);
  }

  private result(
    kind: PodHolderKind | undefined,
    results: readonly PodSecurityControlResult[],
    problems: readonly PodShapeProblem[],
    allowed: boolean,
  ): PodSecurityResult {
    return {
      allowed,
      level: this.level,
      version: this.version,
      policyVersion: this.policyVersion,
      kind,
      results,
      problems,
      message: allowed ? '' : formatPodSecurityMessage(this.label, results, problems),
    };
  }
}

const EMPTY_RESULTS: readonly PodSecurityControlResult[] = Object.freeze([]);
const NO_PROBLEMS: readonly PodShapeProblem[] = Object.freeze([]);
/** Upstream's placeholder for a check that denies without a reason. */
const UNKNOWN_REASON = 'unknown forbidden reason';

/**
 * Upstream's admission message: `violates PodSecurity "<level>:<version>": reason (detail), reason, ...`.
 * Malformed fields (which upstream never sees, since decoding rejects them) follow as one more reason,
 * `invalid pod (<path>: <problem>; ...)`.
 */
export function formatPodSecurityMessage(
  label: string,
  results: readonly PodSecurityControlResult[],
  problems: readonly PodShapeProblem[] = NO_PROBLEMS,
): string {
  const parts: string[] = [];
  for (const r of results) {
    if (r.allowed) continue;
    parts.push(r.detail === '' ? r.reason : `${r.reason} (${r.detail})`);
  }
  if (problems.length > 0) {
    parts.push(`invalid pod (${problems.map((p) => `${p.path}: ${p.message}`).join('; ')})`);
  }
  return `violates PodSecurity ${JSON.stringify(label)}: ${parts.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------------
// The default registry over the controls listed in index.ts (built on first use: index.ts imports this
// module, so the list is not initialised yet while this module loads).

let defaultRegistry: PodSecurityRegistry | undefined;
const compiledCache = new Map<string, CompiledPodSecurity>();
const MAX_CACHED = 512;

function registry(): PodSecurityRegistry {
  return (defaultRegistry ??= new PodSecurityRegistry(podSecurityControls));
}

/** The policy version "latest" stands for, e.g. "v1.37". */
export function latestPodSecurityVersion(): string {
  return `v1.${registry().maxVersion}`;
}

/** Compiles a level and version over the built-in controls; throws E_CONFIG when they are invalid. */
export function compilePodSecurity(options: PodSecurityOptions): CompiledPodSecurity {
  const key = `${options.kyverno ? 'kyverno:' : ''}${options.level}:${options.version}`;
  const cached = compiledCache.get(key);
  if (cached) return cached;
  const compiled = registry().compile(options);
  if (compiledCache.size < MAX_CACHED) compiledCache.set(key, compiled);
  return compiled;
}

/**
 * Evaluates a Pod, the pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or
 * ReplicationController, or a PodTemplate against a Pod Security level and version. Any other object is
 * allowed with no results (Pod Security applies to pods only). Throws E_CONFIG for an invalid level or
 * version (validate user input with parsePodSecurityPolicy first).
 */
export function evaluatePodSecurity(holder: unknown, options: PodSecurityOptions): PodSecurityResult {
  return compilePodSecurity(options).evaluate(holder, options);
}
