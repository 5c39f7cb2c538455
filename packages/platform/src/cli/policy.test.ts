import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from './program.js';

function io(cwd: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  return { io: { stdout: out, stderr: err, env: {}, cwd }, text: () => ({ stdout, stderr }) };
}

const POLICY = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: no-latest}
spec:
  rules:
    - name: tag
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        message: no latest
        pattern: {spec: {containers: [{image: "!*:latest"}]}}
`;
const PODS = `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec: {containers: [{name: a, image: nginx:latest}]}
---
apiVersion: v1
kind: Pod
metadata: {name: good}
spec: {containers: [{name: a, image: nginx:1.27}]}
`;

function fixture(expectGood: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-policy-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  writeFileSync(join(dir, 'pods.yaml'), PODS);
  writeFileSync(
    join(dir, 'kyverno-test.yaml'),
    `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: t}
policies: [policy.yaml]
resources: [pods.yaml]
results:
  - {policy: no-latest, rule: tag, kind: Pod, resources: [bad], result: fail}
  - {policy: no-latest, rule: tag, kind: Pod, resources: [good], result: ${expectGood}}
  - {policy: no-latest, rule: tag, kind: Deployment, resources: [good], result: pass}
`,
  );
  return dir;
}

describe('palisade policy', () => {
  it('test: reports each expected result, and a missing result is not a pass', async () => {
    const dir = fixture('pass');
    const h = io(dir);
    const code = await run(['policy', 'test', '.', '--format', 'json'], h.io);
    const out = JSON.parse(h.text().stdout) as { summary: { pass: number; fail: number } };
    expect(out.summary).toEqual({ pass: 2, fail: 1, total: 3 });
    expect(code).toBe(1);
  });

  it('test: JUnit has one testcase per expected result', async () => {
    const h = io(fixture('fail'));
    await run(['policy', 'test', '.', '--format', 'junit'], h.io);
    const xml = h.text().stdout;
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(2);
  });

  it('apply: table, PolicyReport and --exit-code', async () => {
    const dir = fixture('pass');
    const h = io(dir);
    expect(await run(['policy', 'apply', 'policy.yaml', '-r', 'pods.yaml', '--exit-code', '3'], h.io)).toBe(
      3,
    );
    expect(h.text().stdout).toContain('pass: 1, fail: 1');
    const h2 = io(dir);
    expect(
      await run(['policy', 'apply', 'policy.yaml', '-r', 'pods.yaml', '--format', 'policyreport'], h2.io),
    ).toBe(0);
    expect(h2.text().stdout).toContain('apiVersion: wgpolicyk8s.io/v1alpha2');
  });

  it('apply: --policy-report-format openreports writes an openreports.io ClusterReport', async () => {
    const dir = fixture('pass');
    const h = io(dir);
    const args = ['policy', 'apply', 'policy.yaml', '-r', 'pods.yaml', '--format', 'policyreport'];
    expect(await run([...args, '--policy-report-format', 'openreports'], h.io)).toBe(0);
    expect(h.text().stdout).toContain('apiVersion: openreports.io/v1alpha1');
    expect(h.text().stdout).toContain('kind: ClusterReport');
    const alone = io(dir);
    expect(
      await run(
        ['policy', 'apply', 'policy.yaml', '-r', 'pods.yaml', '--policy-report-format', 'openreports'],
        alone.io,
      ),
    ).toBe(0);
    expect(alone.text().stdout).toContain('kind: ClusterReport');
    const bad = io(dir);
    expect(await run([...args, '--policy-report-format', 'policyreports.x-k8s.io'], bad.io)).toBe(2);
  });

  it('apply: --exception turns the excepted rule into skip, so --exit-code no longer fires', async () => {
    const dir = fixture('pass');
    writeFileSync(
      join(dir, 'exception.yaml'),
      `apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: allow-bad, namespace: ops}
spec:
  exceptions: [{policyName: no-latest, ruleNames: [tag]}]
  match: {any: [{resources: {kinds: [Pod], names: [bad]}}]}
`,
    );
    const h = io(dir);
    expect(
      await run(
        ['policy', 'apply', 'policy.yaml', '-r', 'pods.yaml', '-e', 'exception.yaml', '--exit-code', '3'],
        h.io,
      ),
    ).toBe(0);
    expect(h.text().stdout).toContain('pass: 1, fail: 0');
    expect(h.text().stdout).toContain('skip: 1');
  });

  it('apply: an invalid policy is a usage error with a location', async () => {
    const dir = fixture('pass');
    writeFileSync(join(dir, 'bad.yaml'), POLICY.replace('- name: tag', '- nam: tag'));
    const h = io(dir);
    expect(await run(['policy', 'apply', 'bad.yaml', '-r', 'pods.yaml'], h.io)).toBe(2);
    expect(h.text().stderr).toContain('bad.yaml:6');
  });
});
