/**
 * The audit engine's data model: objects read from manifests (or a cluster),
 * configuration checks (one per file under checks/<target>/), and their results.
 */
import type { SourceLocation } from '../core/location.js';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

export type Rec = Record<string, unknown>;
/** A path into an object: keys and array indexes, as in `spec.containers[0].image`. */
export type Path = readonly (string | number)[];

/** One Kubernetes object with where it came from. */
export interface AuditObject {
  kind: string;
  apiVersion: string;
  name: string;
  /** `metadata.namespace`, or '' when the manifest does not set one. */
  namespace: string;
  object: Rec;
  location: SourceLocation;
  /** Resolves a path inside the object to its line, while the source is still held; undefined when unknown. */
  lineOf?: (path: Path) => number | undefined;
}

export interface Failure {
  message: string;
  /** Where in the object the problem is; [] for the object itself. */
  path: Path;
}

export interface CheckMeta {
  /** Trivy's short ID, e.g. KSV017; the SARIF ruleId and ConfigAuditReport checkID. */
  id: string;
  /** Trivy's AVD ID, e.g. AVD-KSV-0017. */
  avdId: string;
  /** Other names compliance specs use for this check (KSV-0017 …). */
  aliases: readonly string[];
  title: string;
  severity: Severity;
  description: string;
  remediation: string;
  /** Kinds the check applies to; ['*'] for every kind. */
  kinds: readonly string[];
  category: 'workload' | 'rbac' | 'network' | 'general';
}

export interface CheckContext {
  /** The pod template of a workload object (computed once per object and shared by all checks). */
  readonly workload: Workload | undefined;
}

export interface Check extends CheckMeta {
  evaluate(obj: AuditObject, ctx: CheckContext): Failure[];
}

/** A check over all objects at once (NetworkPolicy coverage of namespaces). */
export interface CrossCheck extends CheckMeta {
  /** Sees every object once, in order; keeps only the small index it needs. */
  observe(obj: AuditObject): void;
  /** Results for the objects it reports on, after the last object. */
  finish(): { target: AuditObject; failures: Failure[] }[];
  reset(): void;
}

export interface ContainerRef {
  container: Rec;
  name: string;
  path: Path;
  /** `securityContext` of the container, or {} */
  sc: Rec;
  init: boolean;
}

export interface Workload {
  /** The pod (the object itself for a Pod, the template otherwise). */
  pod: Rec;
  podPath: Path;
  spec: Rec;
  specPath: Path;
  /** `spec.securityContext`, or {} */
  podSc: Rec;
  annotations: Rec;
  containers: ContainerRef[];
  volumes: { volume: Rec; path: Path }[];
}

export interface CheckResult {
  checkId: string;
  severity: Severity;
  title: string;
  success: boolean;
  messages: string[];
  /** The check threw; its message is in messages. */
  error?: boolean;
  /** 1-based line of the first failure (or of the object). */
  line: number | undefined;
}

export interface ObjectResult {
  object: Pick<AuditObject, 'kind' | 'apiVersion' | 'name' | 'namespace' | 'location'>;
  results: CheckResult[];
}

export function defineCheck(c: Check): Check {
  return c;
}
