/**
 * The podSecurity rule through the engine: the rule's own `exclude` (restrictedField, values, images),
 * pod controllers through autogen, and Kyverno's pass and failure messages.
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../engine/index.js';
import { loadPolicyText } from '../loader/index.js';

function policy(exclude: string): string {
  return `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: psa}
spec:
  rules:
  - name: baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity:
        level: baseline
        version: latest
        exclude: ${exclude}
`;
}

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: {
    containers: [
      {
        name: 'net',
        image: 'ghcr.io/acme/net-tool:1',
        securityContext: { capabilities: { add: ['NET_ADMIN'] } },
      },
    ],
  },
};

function evaluate(exclude: string, resource: Record<string, unknown> = POD, operation?: 'DELETE') {
  const p = loadPolicyText(policy(exclude), 'p.yaml');
  expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const req = operation ? { resource, operation } : { resource };
  const rules = new PolicyEngine(p.policies).evaluate(req).flatMap((r) => r.rules);
  expect(rules).toHaveLength(1);
  return rules[0]!;
}

const CAPS = `
        - controlName: Capabilities
          images: ["ghcr.io/acme/net-*"]
          restrictedField: spec.containers[*].securityContext.capabilities.add`;

describe('podSecurity rule exclusions', () => {
  it('fails without exclusions, with Kyverno message', () => {
    const r = evaluate('[]');
    expect(r.status).toBe('fail');
    expect(r.message).toBe(
      `Validation rule 'baseline' failed. It violates PodSecurity "baseline:latest": (Forbidden reason: non-default capabilities, field error list: [spec.containers[0].securityContext.capabilities.add is forbidden, forbidden values found: [NET_ADMIN]])`,
    );
  });
  it('passes when restrictedField, images and values cover the added capability', () => {
    const r = evaluate(`${CAPS}\n          values: ["NET_ADMIN"]`);
    expect(r.status).toBe('pass');
    expect(r.message).toBe("Validation rule 'baseline' passed.");
  });
  it('fails when the values do not cover it', () => {
    expect(evaluate(`${CAPS}\n          values: ["NET_RAW"]`).status).toBe('fail');
  });
  it('fails when the images do not match the container', () => {
    expect(evaluate(`${CAPS.replace('net-*', 'other-*')}\n          values: ["NET_ADMIN"]`).status).toBe(
      'fail',
    );
  });
  it('applies to a Deployment through the autogen rule, with paths under the pod template', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default' },
      spec: { template: { metadata: {}, spec: POD.spec } },
    };
    const failing = evaluate('[]', deployment);
    expect(failing.status).toBe('fail');
    expect(failing.message).toContain('spec.template.spec.containers[0].securityContext.capabilities.add');
    expect(evaluate(`${CAPS}\n          values: ["NET_*"]`, deployment).status).toBe('pass');
  });
  it('is an error, with Kyverno validation messages, when an exclusion is one Kyverno refuses', () => {
    const cases: [string, string][] = [
      [
        '[{controlName: Privileged Containers}]',
        'validate.podSecurity.exclude[0].controlName: Invalid value: "Privileged Containers": exclude.images must be specified for the container level control',
      ],
      [
        '[{controlName: Host Namespaces, images: ["*"]}]',
        'validate.podSecurity.exclude[0].controlName: Invalid value: "Host Namespaces": exclude.images must not be specified for the pod level control',
      ],
      [
        '[{controlName: Seccomp, restrictedField: spec.securityContext.seccompProfile.type}]',
        'validate.podSecurity.exclude[0].values: Forbidden: values is required',
      ],
      [
        '[{controlName: Seccomp}, {controlName: Sysctls, values: ["kernel.*"]}]',
        'validate.podSecurity.exclude[1].restrictedField: Forbidden: restrictedField is required',
      ],
      [
        '[{controlName: Running as Non-root}]',
        'validate.podSecurity.exclude[0].controlName: Invalid value: "Running as Non-root": Invalid control name defined at the given level',
      ],
    ];
    for (const [exclude, message] of cases) {
      const r = evaluate(exclude);
      expect(r.status, exclude).toBe('error');
      expect(r.message).toBe(`invalid podSecurity exclusions: ${message}`);
    }
  });
  it('does not judge a pod being deleted (Kyverno skips PSS validation on DELETE)', () => {
    const r = evaluate('[]', POD, 'DELETE');
    expect(r.status).toBe('skip');
    expect(r.message).toBe('skipping PSS validation on deleted resource');
  });
});
