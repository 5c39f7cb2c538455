/**
 * The engine's result model, shaped after Kyverno's EngineResponse / RuleResponse: one response per
 * policy and resource, one rule response per rule that matched the resource. A rule that did not match
 * yields no rule response (as in Kyverno); a rule that matched but did not apply (preconditions, a
 * conditional anchor) yields `skip`.
 */
export type RuleStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
export type RuleType = 'Validation' | 'Mutation' | 'Generation' | 'ImageVerify';

export type Obj = Record<string, unknown>;

export interface PodSecurityCheck {
  readonly id: string;
  readonly title: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly detail: string;
}

export interface RuleResponse {
  readonly name: string;
  readonly type: RuleType;
  readonly status: RuleStatus;
  readonly message: string;
  readonly podSecurityChecks?: readonly PodSecurityCheck[];
  /** Keys (`namespace/name`) of the PolicyExceptions that turned the rule into `skip`. */
  readonly exceptions?: readonly string[];
  /** Resources a generate rule would create. */
  readonly generatedResources?: readonly Obj[];
}

export interface PolicyRef {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
}

export interface EngineResponse {
  readonly policy: PolicyRef;
  readonly resource: Obj;
  /** The resource after this policy's mutate rules (the resource itself when none applied). */
  readonly patchedResource: Obj;
  readonly validationFailureAction: 'Audit' | 'Enforce';
  readonly rules: readonly RuleResponse[];
}

/** One resource to evaluate, with what a test or an admission request supplies around it. */
export interface EngineRequest {
  readonly resource: Obj;
  readonly oldResource?: Obj;
  /** CREATE (default), UPDATE, DELETE or CONNECT. */
  readonly operation?: string;
  readonly subresource?: string;
  readonly userInfo?: {
    readonly username?: string;
    readonly groups?: readonly string[];
    readonly uid?: string;
  };
  readonly roles?: readonly string[];
  readonly clusterRoles?: readonly string[];
  /** Labels of namespaces by name, for namespaceSelector. */
  readonly namespaceLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Variable values (dotted paths such as `request.operation`, or context entry names) set in the
   * context before a rule runs; a context entry with a supplied value is not loaded.
   */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** Extra values per rule name (Kyverno's values file `policies[].rules[].values`). */
  readonly ruleVariables?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Supplied ConfigMaps, API call responses and global context entries for context entries. */
  readonly configMaps?: readonly unknown[];
  readonly apiCalls?: Readonly<Record<string, unknown>>;
  readonly globalContext?: Readonly<Record<string, unknown>>;
  /**
   * Resources that already exist, as generate rules see them (clone sources, targets that exist).
   * `kyverno test` supplies the trigger and the test's cloneSourceResource files.
   */
  readonly existingResources?: readonly Obj[];
}
