/** The audit engine and `palisade audit manifests`, driven through the real CLI's run(). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../packages/platform/src/cli/program.js';
import { auditObjects, compileChecks, readManifests } from '../packages/platform/src/audit/index.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';

async function cli(args: string[], cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, { stdout, stderr, env: { HOME: cwd }, cwd });
  return { code, out, err };
}

const MIXED = `# Source: chart/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            privileged: true
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p1, namespace: shop}
    spec:
      hostNetwork: true
      containers: [{name: c, image: "busybox:1.36"}]
---
foo: [unclosed
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
kind: Pod
metadata: {name: no-api-version}
`;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-audit-'));
  writeFileSync(join(dir, 'mixed.yaml'), MIXED);
  return dir;
}

describe('manifest reader', () => {
  it('reads multi-document files and List items with the line of each object', () => {
    const { objects } = readManifests(MIXED, 'mixed.yaml');
    expect(objects.map((o) => `${o.kind}/${o.name}@${o.location.line}`)).toEqual([
      'Deployment/web@2',
      'Pod/p1@19',
      'Widget/w@28',
    ]);
  });

  it('reports malformed YAML, unknown kinds and objects without apiVersion with file and line, and goes on', () => {
    const { diagnostics } = readManifests(MIXED, 'mixed.yaml');
    const d = diagnostics.items.map((x) => `${x.code} ${x.location?.file}:${x.location?.line}`);
    expect(d).toContain('E_PARSE mixed.yaml:26');
    expect(d).toContain('W_UNKNOWN_KIND mixed.yaml:28');
    expect(d).toContain('E_MANIFEST mixed.yaml:32');
  });

  it('points a failure at the line of the offending field', () => {
    const { objects } = readManifests(MIXED, 'mixed.yaml');
    const results = auditObjects(compileChecks({ ids: ['KSV017', 'KSV009'] }), objects);
    const priv = results[0]?.results.find((r) => r.checkId === 'KSV017');
    expect(priv?.success).toBe(false);
    expect(priv?.line).toBe(11); // the container entry `- name: web`
    const hostNet = results[1]?.results.find((r) => r.checkId === 'KSV009');
    expect(hostNet?.line).toBe(23);
  });

  it('bounds alias expansion (billion laughs) and nesting depth', () => {
    const lol = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      lol.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10)
          .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
          .join(',')}]`,
      );
    const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${lol.map((l) => `  ${l}`).join('\n')}\n`;
    const r1 = readManifests(bomb, 'bomb.yaml');
    expect(r1.objects).toHaveLength(0);
    expect(r1.diagnostics.items[0]?.code).toBe('E_LIMIT');
    const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: ${'['.repeat(500)}${']'.repeat(500)}\n`;
    const r2 = readManifests(deep, 'deep.yaml');
    expect(r2.objects).toHaveLength(0);
    expect(r2.diagnostics.items.map((x) => x.code)).toContain('E_LIMIT');
    const big = readManifests('x'.repeat(1000), 'big.yaml', { limits: { maxBytes: 100 } });
    expect(big.diagnostics.items[0]?.code).toBe('E_LIMIT');
  });

  it('finds namespaces without a default-deny NetworkPolicy (PAL001)', () => {
    const text = `apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: b}
`;
    const results = auditObjects(compileChecks({ ids: ['PAL001'] }), readManifests(text, 'np.yaml').objects);
    const failing = results.filter((r) => r.results.some((c) => c.checkId === 'PAL001' && !c.success));
    expect(failing.map((r) => r.object.name)).toEqual(['b']);
  });
});

describe('palisade audit manifests', () => {
  it('prints a table with file:line, check ID and severity, and reports bad documents on stderr', async () => {
    const dir = project();
    const r = await cli(['audit', 'manifests', '.'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mixed\.yaml:11\s+shop\/Deployment\/web\s+KSV017\s+HIGH/);
    expect(r.err).toMatch(/E_PARSE: mixed\.yaml:26/);
    expect(r.err).toMatch(/W_UNKNOWN_KIND: mixed\.yaml:28/);
  });

  it('writes SARIF with the check ID as ruleId and the manifest file and line as location', async () => {
    const dir = project();
    const r = await cli(['audit', 'manifests', 'mixed.yaml', '--format', 'sarif', '--severity', 'HIGH'], dir);
    expect(r.code).toBe(0);
    const sarif = JSON.parse(r.out) as {
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
        tool: { driver: { rules: { id: string }[] } };
      }[];
    };
    const run0 = sarif.runs[0];
    const priv = run0?.results.find((x) => x.ruleId === 'KSV017');
    expect(priv?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('mixed.yaml');
    expect(priv?.locations[0]?.physicalLocation.region.startLine).toBe(11);
    expect(run0?.tool.driver.rules.map((x) => x.id)).toContain('KSV009');
    expect(
      run0?.results.every(
        (x) =>
          ['KSV017', 'KSV009', 'KSV014', 'KSV005', 'KSV118'].includes(x.ruleId) || x.ruleId.startsWith('KSV'),
      ),
    ).toBe(true);
  });

  it('gates CI with --exit-code and filters by --severity', async () => {
    const dir = project();
    expect((await cli(['audit', 'manifests', 'mixed.yaml', '--exit-code', '1'], dir)).code).toBe(1);
    const only = await cli(
      ['audit', 'manifests', 'mixed.yaml', '--checks', 'KSV013', '--exit-code', '1'],
      dir,
    );
    expect(only.code).toBe(0); // both images are tagged
    const bad = await cli(['audit', 'manifests', 'mixed.yaml', '--severity', 'SEVERE'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown severity 'SEVERE'/);
    expect((await cli(['audit', 'manifests', 'missing-dir'], dir)).code).toBe(2);
  });

  it('KSV0125 trusts the registries given by --trusted-registries or audit.trustedRegistries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-audit-'));
    writeFileSync(
      join(dir, 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "registry.example.com/app:1"}]\n',
    );
    const args = ['audit', 'manifests', 'pod.yaml', '--checks', 'KSV0125', '--exit-code', '3'];
    const byDefault = await cli(args, dir);
    expect(byDefault.code).toBe(3); // not in Trivy's default list
    expect(byDefault.out).toMatch(/untrusted registry 'registry\.example\.com'/);
    expect((await cli([...args, '--trusted-registries', 'example.com'], dir)).code).toBe(0);
    expect((await cli([...args, '--trusted-registries', 'gcr.io'], dir)).code).toBe(3);
    // ./palisade.yaml may be an audited manifest: only a file PALISADE_CONFIG names is read.
    writeFileSync(join(dir, 'palisade.yaml'), 'audit:\n  trustedRegistries: [registry.example.com]\n');
    expect((await cli(args, dir)).code).toBe(3);
    const silent = { stdout: new PassThrough(), stderr: new PassThrough(), cwd: dir };
    expect(await run(args, { ...silent, env: { HOME: dir, PALISADE_CONFIG: 'palisade.yaml' } })).toBe(0);
    expect(
      await run(args, { ...silent, env: { HOME: dir, PALISADE_TRUSTED_REGISTRIES: 'example.com' } }),
    ).toBe(0);
  });

  it('writes JUnit and ConfigAuditReport objects', async () => {
    const dir = project();
    const j = await cli(['audit', 'manifests', 'mixed.yaml', '--format', 'junit'], dir);
    expect(j.out).toMatch(/<testcase classname="shop\/Deployment\/web" name="\[HIGH\] KSV017 Privileged"/);
    const c = await cli(['audit', 'manifests', 'mixed.yaml', '--format', 'configauditreport'], dir);
    const list = JSON.parse(c.out) as {
      items: {
        kind: string;
        report: { checks: { checkID: string; success: boolean }[]; summary: { highCount: number } };
      }[];
    };
    expect(list.items[0]?.kind).toBe('ConfigAuditReport');
    expect(list.items[0]?.report.checks.find((x) => x.checkID === 'KSV017')?.success).toBe(false);
    expect(list.items[0]?.report.summary.highCount).toBeGreaterThan(0);
  });

  it('prints the compliance view with the spec fixes applied (PSS baseline host namespaces)', async () => {
    const dir = project();
    const spec = sharedData('conformance/cis/trivy-checks/compliance/k8s-pss-baseline-0.1.yaml');
    const r = await cli(['audit', 'manifests', 'mixed.yaml', '--compliance', spec, '--format', 'json'], dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/fixed: 2 Host Namespaces/);
    const cr = JSON.parse(r.out) as {
      kind: string;
      status: {
        summaryReport: { controlCheck: { id: string; totalFail?: number }[] };
        detailReport: { results: { id: string; checks: { checkID: string; target: string }[] }[] };
      };
    };
    expect(cr.kind).toBe('ClusterComplianceReport');
    // hostNetwork on pod p1 is a Host Namespaces failure only because of the fix
    expect(cr.status.summaryReport.controlCheck.find((x) => x.id === '2')?.totalFail).toBe(1);
    expect(cr.status.detailReport.results.find((x) => x.id === '2')?.checks[0]).toMatchObject({
      checkID: 'KSV009',
      target: 'shop/Pod/p1',
    });
    expect(cr.status.summaryReport.controlCheck.find((x) => x.id === '3')?.totalFail).toBe(1); // privileged
  });

  it('fixes the swapped host network/PID controls and the removed-check control of the NSA spec', async () => {
    const dir = project();
    const spec = sharedData('conformance/cis/trivy-checks/compliance/k8s-nsa-1.0.yaml');
    const r = await cli(['audit', 'manifests', 'mixed.yaml', '--compliance', spec, '--format', 'json'], dir);
    const cr = JSON.parse(r.out) as {
      status: { summaryReport: { controlCheck: { id: string; totalFail?: number }[] } };
    };
    const ctl = (id: string) => cr.status.summaryReport.controlCheck.find((x) => x.id === id)?.totalFail;
    expect(ctl('1.5')).toBe(1); // 'Use the host network' now KSV-0009
    expect(ctl('1.4')).toBe(0); // 'Share host process namespaces' now KSV-0010
    expect(ctl('1.6')).toBe(0); // KSV-0116 instead of the removed KSV-0029: evaluated, not n/a
    expect(r.err).toMatch(/KSV-0029/);
  });
});
