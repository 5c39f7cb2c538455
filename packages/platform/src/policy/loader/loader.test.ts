import { describe, expect, it } from 'vitest';
import { loadPolicyText } from './index.js';

const podPolicy = (extra = '', annotations = '') => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-latest${annotations}
spec:
  validationFailureAction: Enforce
  rules:
    - name: check-tag
      match:
        any:
          - resources:
              kinds: [Pod]
      preconditions:
        all:
          - key: "{{ request.object.spec.containers[0].image }}"
            operator: NotEquals
            value: ""
      validate:
        message: "no latest in {{ request.object.metadata.name }}"
        pattern:
          spec:
            containers:
              - image: "!*:latest"${extra}
`;

describe('policy loader', () => {
  it('adds autogen rules for Pod controllers and CronJob, as Kyverno names and rewrites them', () => {
    const r = loadPolicyText(podPolicy(), 'p.yaml');
    expect(r.diagnostics).toEqual([]);
    const p = r.policies[0]!;
    expect(p.validationFailureAction).toBe('Enforce');
    expect(p.rules.map((x) => x['name'])).toEqual([
      'check-tag',
      'autogen-check-tag',
      'autogen-cronjob-check-tag',
    ]);
    const ctl = p.rules[1]!;
    expect(ctl['match']).toEqual({
      any: [
        {
          resources: {
            kinds: ['DaemonSet', 'Deployment', 'Job', 'ReplicaSet', 'ReplicationController', 'StatefulSet'],
          },
        },
      ],
    });
    expect(ctl['validate']).toEqual({
      message: 'no latest in {{ request.object.spec.template.metadata.name }}',
      pattern: { spec: { template: { spec: { containers: [{ image: '!*:latest' }] } } } },
    });
    expect(JSON.stringify(ctl['preconditions'])).toContain(
      'request.object.spec.template.spec.containers[0].image',
    );
    const cron = p.rules[2]!;
    expect(cron['match']).toEqual({ any: [{ resources: { kinds: ['CronJob'] } }] });
    expect(cron['validate']).toMatchObject({
      pattern: {
        spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: '!*:latest' }] } } } } },
      },
    });
    expect(JSON.stringify(cron['preconditions'])).toContain(
      'request.object.spec.jobTemplate.spec.template.spec.containers[0].image',
    );
  });

  it('respects the autogen-controllers annotation', () => {
    const none = loadPolicyText(
      podPolicy('', `\n  annotations:\n    pod-policies.kyverno.io/autogen-controllers: none`),
      'p.yaml',
    );
    expect(none.policies[0]!.rules.map((x) => x['name'])).toEqual(['check-tag']);
    const dep = loadPolicyText(
      podPolicy(
        '',
        `\n  annotations:\n    pod-policies.kyverno.io/autogen-controllers: Deployment,StatefulSet`,
      ),
      'p.yaml',
    );
    const rules = dep.policies[0]!.rules;
    expect(rules.map((x) => x['name'])).toEqual(['check-tag', 'autogen-check-tag']);
    expect(rules[1]!['match']).toEqual({ any: [{ resources: { kinds: ['Deployment', 'StatefulSet'] } }] });
  });

  it('generates nothing when a rule selects by name', () => {
    const text = podPolicy().replace('kinds: [Pod]', 'kinds: [Pod]\n              names: ["web-*"]');
    expect(loadPolicyText(text, 'p.yaml').policies[0]!.rules).toHaveLength(1);
  });

  it('reports broken policies with file, line and field, and leaves them out', () => {
    const text = podPolicy().replace('    - name: check-tag\n', '    - nam: check-tag\n');
    const r = loadPolicyText(text, 'bad.yaml');
    expect(r.policies).toHaveLength(0);
    const err = r.diagnostics.find((d) => d.code === 'E_POLICY_INVALID');
    expect(err?.message).toContain('spec.rules[0].name');
    expect(err?.location).toMatchObject({ file: 'bad.yaml', line: 8 });
    const warn = r.diagnostics.find((d) => d.code === 'W_POLICY_UNKNOWN_FIELD');
    expect(warn?.message).toBe('unknown field spec.rules[0].nam');
    expect(warn?.location?.line).toBe(8);
  });

  it('reports unknown fields but keeps the policy', () => {
    const r = loadPolicyText(podPolicy('\n        severity: high'), 'p.yaml');
    expect(r.policies).toHaveLength(1);
    expect(r.diagnostics.map((d) => d.message)).toEqual(['unknown field spec.rules[0].validate.severity']);
  });

  it('rejects two checks in one validate, and duplicate rule names', () => {
    const two = loadPolicyText(podPolicy('\n        deny: {}'), 'p.yaml');
    expect(two.diagnostics[0]?.message).toContain('validate takes one of its checks');
    const dup = podPolicy().replace(
      '  rules:\n',
      '  rules:\n    - name: check-tag\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {deny: {}}\n',
    );
    expect(
      loadPolicyText(dup, 'p.yaml').diagnostics.some((d) => d.message.includes('duplicate rule name')),
    ).toBe(true);
  });

  it('returns CEL policy kinds as other documents, and exceptions', () => {
    const r = loadPolicyText(
      'apiVersion: policies.kyverno.io/v1alpha1\nkind: ValidatingPolicy\nmetadata: {name: v}\nspec: {}\n---\napiVersion: kyverno.io/v2\nkind: PolicyException\nmetadata: {name: e, namespace: x}\nspec: {exceptions: []}\n',
      'p.yaml',
    );
    expect(r.others.map((o) => o.kind)).toEqual(['ValidatingPolicy']);
    expect(r.exceptions.map((e) => e.name)).toEqual(['e']);
  });

  it('bounds alias bombs', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 12; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const r = loadPolicyText(text, 'bomb.yaml');
    expect(r.policies).toHaveLength(0);
    expect(r.diagnostics[0]?.code).toBe('E_POLICY_LIMIT');
  });

  it('bounds nesting depth', () => {
    const text = `${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const r = loadPolicyText(text, 'deep.yaml');
    expect(r.diagnostics.some((d) => d.code === 'E_POLICY_LIMIT' || d.code === 'E_POLICY_YAML')).toBe(true);
  });

  it('reports YAML syntax errors with a line', () => {
    const r = loadPolicyText('a: [\nb: c\n', 'syntax.yaml');
    expect(r.diagnostics[0]).toMatchObject({ code: 'E_POLICY_YAML', location: { file: 'syntax.yaml' } });
  });
});
