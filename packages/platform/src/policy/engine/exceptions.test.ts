import { describe, expect, it } from 'vitest';
import { loadPolicyText } from '../loader/index.js';
import { PolicyEngine, type RuleResponse } from './index.js';

const POLICY = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-host-namespaces}
spec:
  rules:
  - name: host-namespaces
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: host namespaces are not allowed
      pattern:
        spec:
          =(hostPID): "false"
  - name: add-label
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        metadata: {labels: {checked: "yes"}}
  - name: pss-baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity: {level: baseline, version: latest}
`;

const NS_POLICY = `
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: require-label, namespace: team-a}
spec:
  rules:
  - name: check
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: label app required
      pattern: {metadata: {labels: {app: "?*"}}}
`;

function exception(spec: string, name = 'exc', namespace = 'delta'): string {
  return `
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec}
`;
}

function pod(name: string, ns: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { hostPID: true, containers: [{ name: 'c', image: 'nginx:1.25' }], ...extra },
  };
}

function run(
  policyText: string,
  exceptionTexts: string[],
  resource: Record<string, unknown>,
): RuleResponse[] {
  const p = loadPolicyText(policyText, 'p.yaml');
  expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const exceptions = exceptionTexts.flatMap((t) => loadPolicyText(t, 'e.yaml').exceptions);
  expect(exceptions.length).toBe(exceptionTexts.length);
  const engine = new PolicyEngine(p.policies, { exceptions });
  return engine.evaluate({ resource }).flatMap((r) => r.rules);
}

function rule(rs: RuleResponse[], name: string): RuleResponse | undefined {
  return rs.find((r) => r.name === name);
}

const MATCH_PODS_IN_DELTA = `  match:
    any:
    - resources: {kinds: [Pod], namespaces: [delta]}`;

describe('PolicyException', () => {
  const cases: Array<{
    name: string;
    policy?: string;
    exceptions: string[];
    resource: Record<string, unknown>;
    rule: string;
    status: string;
    message?: string | RegExp;
  }> = [
    {
      name: 'without exceptions the validate rule fails',
      exceptions: [],
      resource: pod('p', 'delta'),
      rule: 'host-namespaces',
      status: 'fail',
    },
    {
      name: 'a matching exception skips the validate rule with Kyverno message',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [host-namespaces]
${MATCH_PODS_IN_DELTA}`),
      ],
      resource: pod('p', 'delta'),
      rule: 'host-namespaces',
      status: 'skip',
      message: 'rule is skipped due to policy exceptionsdelta/exc',
    },
    {
      name: 'an exception for another namespace does not apply',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [host-namespaces]
${MATCH_PODS_IN_DELTA}`),
      ],
      resource: pod('p', 'other'),
      rule: 'host-namespaces',
      status: 'fail',
    },
    {
      name: 'rule names are wildcards',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: ["host-*"]
${MATCH_PODS_IN_DELTA}`),
      ],
      resource: pod('p', 'delta'),
      rule: 'host-namespaces',
      status: 'skip',
    },
    {
      name: 'an exception naming another rule leaves the rule alone',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [other-rule]
${MATCH_PODS_IN_DELTA}`),
      ],
      resource: pod('p', 'delta'),
      rule: 'host-namespaces',
      status: 'fail',
    },
    {
      name: 'an exception naming another policy leaves the rule alone',
      exceptions: [
        exception(`  exceptions:
  - policyName: another-policy
    ruleNames: [host-namespaces]
${MATCH_PODS_IN_DELTA}`),
      ],
      resource: pod('p', 'delta'),
      rule: 'host-namespaces',
      status: 'fail',
    },
    {
      name: 'conditions that hold let the exception apply',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [host-namespaces]
${MATCH_PODS_IN_DELTA}
  conditions:
    any:
    - key: "{{ request.object.metadata.name }}"
      operator: Equals
      value: allowed-pod`),
      ],
      resource: pod('allowed-pod', 'delta'),
      rule: 'host-namespaces',
      status: 'skip',
    },
    {
      name: 'conditions that do not hold keep the rule',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [host-namespaces]
${MATCH_PODS_IN_DELTA}
  conditions:
    any:
    - key: "{{ request.object.metadata.name }}"
      operator: Equals
      value: allowed-pod`),
      ],
      resource: pod('other-pod', 'delta'),
      rule: 'host-namespaces',
      status: 'fail',
    },
    {
      name: 'an exception without any/all match matches nothing',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [host-namespaces]
  match: {}`),
      ],
      resource: pod('p', 'delta'),
      rule: 'host-namespaces',
      status: 'fail',
    },
    {
      name: 'a mutate rule is skipped too',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [add-label]
${MATCH_PODS_IN_DELTA}`),
      ],
      resource: pod('p', 'delta'),
      rule: 'add-label',
      status: 'skip',
      message: 'rule is skipped due to policy exceptionsdelta/exc',
    },
    {
      name: 'a namespaced Policy is named namespace/name',
      policy: NS_POLICY,
      exceptions: [
        exception(`  exceptions:
  - policyName: team-a/require-label
    ruleNames: [check]
  match:
    any:
    - resources: {kinds: [Pod]}`),
      ],
      resource: pod('p', 'team-a'),
      rule: 'check',
      status: 'skip',
    },
    {
      name: 'a namespaced Policy is not matched by its bare name',
      policy: NS_POLICY,
      exceptions: [
        exception(`  exceptions:
  - policyName: require-label
    ruleNames: [check]
  match:
    any:
    - resources: {kinds: [Pod]}`),
      ],
      resource: pod('p', 'team-a'),
      rule: 'check',
      status: 'fail',
    },
    {
      name: 'an exception without podSecurity skips a podSecurity rule',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}`),
      ],
      resource: pod('p', 'delta'),
      rule: 'pss-baseline',
      status: 'skip',
      message: 'rule is skipped due to policy exception delta/exc',
    },
    {
      name: 'podSecurity exclusions of an exception that cover every failing control skip the rule',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}
  podSecurity:
  - controlName: Host Namespaces`),
      ],
      resource: pod('p', 'delta'),
      rule: 'pss-baseline',
      status: 'skip',
      message: 'rule is skipped due to policy exceptions delta/exc',
    },
    {
      name: 'an exception restrictedField whose values cover the offending value skips the rule',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}
  podSecurity:
  - controlName: Host Namespaces
    restrictedField: spec.hostPID
    values: ["true"]`),
      ],
      resource: pod('p', 'delta'),
      rule: 'pss-baseline',
      status: 'skip',
    },
    {
      name: 'an exception restrictedField for another field keeps the failure',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}
  podSecurity:
  - controlName: Host Namespaces
    restrictedField: spec.hostNetwork`),
      ],
      resource: pod('p', 'delta'),
      rule: 'pss-baseline',
      status: 'fail',
    },
    {
      name: 'an exception with values that miss the offending value keeps the failure',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}
  podSecurity:
  - controlName: Host Namespaces
    restrictedField: spec.hostPID
    values: ["false"]`),
      ],
      resource: pod('p', 'delta'),
      rule: 'pss-baseline',
      status: 'fail',
    },
    {
      name: 'podSecurity exclusions of an exception for another control keep the failure',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}
  podSecurity:
  - controlName: Privileged Containers`),
      ],
      resource: pod('p', 'delta'),
      rule: 'pss-baseline',
      status: 'fail',
      // Kyverno's message: the control's reason and its remaining field errors
      message:
        /host namespaces, field error list: \[spec\.hostPID is forbidden, forbidden values found: true\]/,
    },
    {
      name: 'podSecurity exclusions that list other images keep the failure',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}
  podSecurity:
  - controlName: Host Namespaces
    images: ["busybox*"]`),
      ],
      resource: pod('p', 'delta'),
      rule: 'pss-baseline',
      status: 'fail',
    },
    {
      name: 'a passing podSecurity rule stays a pass with an exception present',
      exceptions: [
        exception(`  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [pss-baseline]
${MATCH_PODS_IN_DELTA}
  podSecurity:
  - controlName: Host Namespaces`),
      ],
      resource: pod('p', 'delta', { hostPID: false }),
      rule: 'pss-baseline',
      status: 'pass',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = rule(run(c.policy ?? POLICY, c.exceptions, c.resource), c.rule);
      expect(r?.status).toBe(c.status);
      if (typeof c.message === 'string') expect(r?.message).toBe(c.message);
      else if (c.message) expect(r?.message).toMatch(c.message);
    });
  }
  it('reports which exceptions applied', () => {
    const r = rule(
      run(
        POLICY,
        [
          exception(
            `  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [host-namespaces]
${MATCH_PODS_IN_DELTA}`,
            'a',
          ),
          exception(
            `  exceptions:
  - policyName: disallow-host-namespaces
    ruleNames: [host-namespaces]
${MATCH_PODS_IN_DELTA}`,
            'b',
          ),
        ],
        pod('p', 'delta'),
      ),
      'host-namespaces',
    );
    expect(r?.exceptions).toEqual(['delta/a', 'delta/b']);
    expect(r?.message).toBe('rule is skipped due to policy exceptionsdelta/a, delta/b');
  });
});
