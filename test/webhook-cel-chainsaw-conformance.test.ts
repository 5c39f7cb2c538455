/**
 * Kyverno policy library `.chainsaw-test` steps for ValidatingPolicies (policies.kyverno.io, CEL)
 * against the real apiserver with Palisade's webhook: apply the policy (with the test's patch,
 * usually `validationActions: [Deny]`), apply the good and bad resources, and expect the apiserver
 * to admit or deny each as the test says (`expect: check: ($error != null): true` means denied).
 * MutatingPolicies: apply the policy and the resources, then chainsaw's `assert` (the stored object
 * contains the expected one; arrays element by element) and `error` (it does not) on the results.
 *
 * The sample: every ValidatingPolicy test under pod-security-vpol, best-practices-vpol and other-vpol
 * whose steps use only apply/create/patch/assert/sleep and whose resources are built-in kinds.
 * `assert` steps check the policy's Ready status, which Palisade does not write (a known divergence,
 * not counted). Prints the pass rate and every failure; known divergences are listed with a reason.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeClient } from '../packages/platform/src/k8s/client/index.js';
import { runWebhook, type RunningWebhook } from '../packages/platform/src/k8s/webhook/run.js';
import { startTestCluster, type TestCluster } from '../packages/platform/src/testing/cluster.js';
import { repoRoot, sharedData } from '../packages/platform/src/testing/shared-data.js';
import {
  KYVERNO_CRDS,
  apply,
  installCrds,
  readDocs,
  remove,
  restPath,
  waitUntil,
} from './webhook-support.js';

type Obj = Record<string, unknown>;
const DIRS = ['pod-security-vpol', 'best-practices-vpol', 'other-vpol'];
const KYVERNO_CEL_CRDS = join(repoRoot, 'packages/platform/src/k8s/webhook/testdata/kyverno-cel-crds.yaml');

interface Step {
  kind: 'policy' | 'patch' | 'resource';
  file?: string;
  patch?: Obj;
  expectDeny?: boolean;
}

interface Case {
  name: string;
  policy: Obj;
  steps: Step[];
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(a: unknown, b: unknown): unknown {
  if (!isObj(a) || !isObj(b)) return structuredClone(b);
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
  return out;
}

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (!statSync(p).isDirectory()) continue;
    if (e === '.chainsaw-test') {
      if (existsSync(join(p, 'chainsaw-test.yaml'))) out.push(p);
      continue;
    }
    if (!e.startsWith('.')) walk(p, out);
  }
}

const BUILTIN = new Set([
  'v1',
  'apps/v1',
  'batch/v1',
  'networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1',
  'policy/v1',
  'autoscaling/v2',
  'storage.k8s.io/v1',
]);

function loadCase(csDir: string): Case | string {
  const test = parse(readFileSync(join(csDir, 'chainsaw-test.yaml'), 'utf8')) as Obj;
  const steps: Step[] = [];
  let policy: Obj | undefined;
  for (const step of ((test['spec'] as Obj | undefined)?.['steps'] as Obj[] | undefined) ?? []) {
    for (const op of (step['try'] as Obj[] | undefined) ?? []) {
      const [verb] = Object.keys(op);
      const body = op[verb ?? ''] as Obj;
      if (verb === 'assert' || verb === 'sleep') continue;
      if (verb === 'apply' || verb === 'create') {
        if (typeof body['file'] !== 'string') return 'inline resource';
        const file = resolve(csDir, body['file']);
        if (!existsSync(file)) return `missing file ${body['file']}`;
        const docs = readDocs(file);
        const expectDeny = ((body['expect'] as Obj[] | undefined) ?? []).some(
          (e) => isObj(e['check']) && e['check']['($error != null)'] === true,
        );
        if (docs.some((d) => d['kind'] === 'ValidatingPolicy')) {
          if (docs.length !== 1) return 'several documents beside the policy';
          policy = docs[0];
          steps.push({ kind: 'policy' });
          continue;
        }
        if (docs.some((d) => String(d['apiVersion']).includes('kyverno.io')))
          return 'Kyverno objects beside the policy';
        const kinds = docs.map((d) => String(d['apiVersion']));
        if (kinds.some((k) => !BUILTIN.has(k)))
          return `non built-in apiVersion ${kinds.find((k) => !BUILTIN.has(k))}`;
        steps.push({ kind: 'resource', file, expectDeny });
        continue;
      }
      if (verb === 'patch' && isObj(body['resource']) && body['resource']['kind'] === 'ValidatingPolicy') {
        steps.push({ kind: 'patch', patch: body['resource'] });
        continue;
      }
      return `unsupported step ${verb}`;
    }
  }
  if (!policy) return 'no ValidatingPolicy applied';
  if (!steps.some((s) => s.kind === 'resource')) return 'no resources';
  const name = dirname(csDir).split('/').slice(-2).join('/');
  return { name, policy, steps };
}

const all: string[] = [];
for (const d of DIRS) walk(sharedData('conformance', 'kyverno-policies', d), all);
all.sort();
const cases: Case[] = [];
const excluded: { dir: string; why: string }[] = [];
for (const d of all) {
  const c = loadCase(d);
  if (typeof c === 'string') excluded.push({ dir: d, why: c });
  else cases.push(c);
}

/** Known divergences: the case must still fail (a fixed one is reported so its row is removed). */
const KNOWN: Record<string, string> = {
  'other-vpol/allowed-base-images':
    'image.GetMetadata: Palisade does not contact registries during admission (image data is not supplied to the CEL engine)',
  'other-vpol/block-images-with-volumes':
    'image.GetMetadata: Palisade does not contact registries during admission (image data is not supplied to the CEL engine)',
};

let cluster: TestCluster;
let client: KubeClient;
let hook: RunningWebhook;
const failures: { name: string; detail: string }[] = [];
let checks = 0;
let passedChecks = 0;
let passedCases = 0;

beforeAll(async () => {
  cluster = await startTestCluster();
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  await installCrds(cluster, [KYVERNO_CRDS, KYVERNO_CEL_CRDS]);
  hook = await runWebhook({ client, debounceMs: 30, reports: false });
});

afterAll(async () => {
  const rate = cases.length ? ((100 * passedCases) / cases.length).toFixed(1) : '0';
  console.log(
    `chainsaw webhook conformance (ValidatingPolicy): ${passedCases}/${cases.length} policies passed (${rate}%), ` +
      `${passedChecks}/${checks} admit/deny checks; ${excluded.length} tests outside the sample`,
  );
  for (const f of failures)
    console.log(
      `FAIL ${f.name}${KNOWN[f.name] || KNOWN_MUTATE[f.name] ? ` (known: ${KNOWN[f.name] ?? KNOWN_MUTATE[f.name] ?? ''})` : ''}: ${f.detail.slice(0, 1500)}`,
    );
  for (const e of excluded)
    console.log(`not in the sample: ${e.dir.split('/').slice(-3, -1).join('/')}: ${e.why}`);
  console.log(
    'known divergence (not counted): chainsaw `assert` steps on the policy status (Ready condition) — Palisade does not write policy status',
  );
  await hook?.stop({ drainMs: 1000 });
  client?.close();
  await cluster?.stop();
});

describe('kyverno policy library chainsaw tests for ValidatingPolicies through the webhook', () => {
  it('has a sample of at least 20 ValidatingPolicies', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  let n = 0;
  for (const c of cases) {
    it(c.name, async () => {
      const ns = `vp-${n++}`;
      await cluster.createNamespace(ns);
      let policy = structuredClone(c.policy);
      const name = String((policy['metadata'] as Obj)['name']);
      const key = `ValidatingPolicy:${name}`;
      const problems: string[] = [];
      // created objects are deleted after the case, as chainsaw does (cluster-scoped names and
      // node ports would otherwise collide with later cases)
      const created: Obj[] = [];
      const ensurePolicy = async (): Promise<void> => {
        const r = await apply(cluster, policy, client);
        if (r.status >= 300) throw new Error(`policy apply: ${JSON.stringify(r.body)}`);
        const want = JSON.stringify((policy['spec'] as Obj)['validationActions'] ?? null);
        await waitUntil(`policy ${name} loaded`, () => {
          const p = hook.policies.current().byKey.get(key);
          return Promise.resolve(
            p && JSON.stringify(p.spec['validationActions'] ?? null) === want ? true : undefined,
          );
        });
        await hook.settled();
      };
      try {
        for (const s of c.steps) {
          if (s.kind === 'policy') await ensurePolicy();
          else if (s.kind === 'patch') {
            policy = merge(policy, { spec: (s.patch as Obj)['spec'] }) as Obj;
            await ensurePolicy();
          } else if (s.file) {
            for (const doc of readDocs(s.file)) {
              const md = (doc['metadata'] ?? {}) as Obj;
              const obj = { ...doc, metadata: { ...md, namespace: md['namespace'] ?? ns } };
              const r = await apply(cluster, obj, client);
              if (r.status === 201) created.push(obj);
              const denied = r.status >= 400;
              checks++;
              const what = `${String(doc['kind'])}/${String(md['name'])} from ${s.file.split('/').pop() ?? ''}`;
              if (denied === !!s.expectDeny) passedChecks++;
              else
                problems.push(
                  `${what}: expected ${s.expectDeny ? 'deny' : 'admit'}, got ${r.status}${denied ? ` ${String(r.body['message']).slice(0, 400)}` : ''}`,
                );
            }
          }
        }
      } finally {
        for (const o of created.reverse()) await remove(cluster, o);
        await remove(cluster, policy);
        await waitUntil(`policy ${name} unloaded`, () =>
          Promise.resolve(hook.policies.current().byKey.has(key) ? undefined : true),
        );
      }
      if (problems.length) failures.push({ name: c.name, detail: problems.join('; ') });
      else passedCases++;
      const known = KNOWN[c.name];
      if (known)
        expect(problems.length, `known divergence fixed, remove it from KNOWN: ${known}`).toBeGreaterThan(0);
      else expect(problems).toEqual([]);
    });
  }
});

// --- MutatingPolicies ----------------------------------------------------------------------------

const MPOL_DIRS = ['best-practices-mpol', 'other-mpol'];

interface MStep {
  kind: 'policy' | 'apply' | 'assert' | 'error';
  file?: string;
}

interface MCase {
  name: string;
  policy: Obj;
  steps: MStep[];
}

function loadMutateCase(csDir: string): MCase | string {
  const test = parse(readFileSync(join(csDir, 'chainsaw-test.yaml'), 'utf8')) as Obj;
  const steps: MStep[] = [];
  let policy: Obj | undefined;
  for (const step of ((test['spec'] as Obj | undefined)?.['steps'] as Obj[] | undefined) ?? []) {
    for (const op of (step['try'] as Obj[] | undefined) ?? []) {
      const [verb] = Object.keys(op);
      const body = op[verb ?? ''] as Obj;
      if (verb === 'sleep') continue;
      if (typeof body['file'] !== 'string') return `inline ${verb}`;
      const file = resolve(csDir, body['file']);
      if (!existsSync(file)) return `missing file ${body['file']}`;
      const docs = readDocs(file);
      const kyverno = docs.some((d) => String(d['apiVersion']).includes('kyverno.io'));
      if (verb === 'apply' || verb === 'create') {
        if (docs.some((d) => d['kind'] === 'MutatingPolicy')) {
          if (docs.length !== 1) return 'several documents beside the policy';
          policy = docs[0];
          steps.push({ kind: 'policy' });
          continue;
        }
        if (kyverno) return 'Kyverno objects beside the policy';
        const bad = docs.map((d) => String(d['apiVersion'])).find((k) => !BUILTIN.has(k));
        if (bad) return `non built-in apiVersion ${bad}`;
        steps.push({ kind: 'apply', file });
        continue;
      }
      if (verb === 'assert' || verb === 'error') {
        if (kyverno) continue; // the policy's Ready status (not written by Palisade)
        steps.push({ kind: verb, file });
        continue;
      }
      return `unsupported step ${verb}`;
    }
  }
  if (!policy) return 'no MutatingPolicy applied';
  if (!steps.some((s) => s.kind === 'assert' || s.kind === 'error')) return 'nothing asserted';
  return { name: dirname(csDir).split('/').slice(-2).join('/'), policy, steps };
}

/** chainsaw's assertion: every field of `want` is in `got` with the same value; arrays element-wise. */
function contains(got: unknown, want: unknown): boolean {
  if (Array.isArray(want))
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => contains(got[i], w));
  if (isObj(want)) return isObj(got) && Object.entries(want).every(([k, v]) => contains(got[k], v));
  if (want === null) return got === null || got === undefined;
  const scalar = (v: unknown): string | undefined =>
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  return got === want || (scalar(got) !== undefined && scalar(got) === scalar(want));
}

const mutateAll: string[] = [];
for (const d of MPOL_DIRS) walk(sharedData('conformance', 'kyverno-policies', d), mutateAll);
mutateAll.sort();
const mutateCases: MCase[] = [];
for (const d of mutateAll) {
  const c = loadMutateCase(d);
  if (typeof c === 'string') excluded.push({ dir: d, why: c });
  else mutateCases.push(c);
}

/** Known divergences of MutatingPolicy cases: each must still fail. */
const AUTOGEN_MUTATION =
  'engine: MutatingPolicy autogen for Pod controllers rewrites object.spec references but not the ApplyConfiguration Object{spec: …} structure (policy/celpolicy/autogen.ts), so Deployments/CronJobs are not mutated; the Pods are';
const KNOWN_MUTATE: Record<string, string> = {
  'other-mpol/add-certificates-volume': AUTOGEN_MUTATION,
  'other-mpol/add-default-resources': AUTOGEN_MUTATION,
  'other-mpol/add-default-securitycontext': AUTOGEN_MUTATION,
  'other-mpol/mutate-large-termination-gps': AUTOGEN_MUTATION,
};
let mutatePassed = 0;

describe('kyverno policy library chainsaw tests for MutatingPolicies through the webhook', () => {
  afterAll(() => {
    console.log(
      `chainsaw webhook conformance (MutatingPolicy): ${mutatePassed}/${mutateCases.length} policies passed`,
    );
  });

  it('has a sample of at least 10 MutatingPolicies', () => {
    expect(mutateCases.length).toBeGreaterThanOrEqual(10);
  });

  let n = 0;
  for (const c of mutateCases) {
    it(c.name, async () => {
      const ns = `mp-${n++}`;
      await cluster.createNamespace(ns);
      const policy = structuredClone(c.policy);
      const name = String((policy['metadata'] as Obj)['name']);
      const key = `MutatingPolicy:${name}`;
      const problems: string[] = [];
      const created: Obj[] = [];
      const inNs = (doc: Obj): Obj => {
        const md = (doc['metadata'] ?? {}) as Obj;
        return { ...doc, metadata: { ...md, namespace: md['namespace'] ?? ns } };
      };
      try {
        for (const s of c.steps) {
          if (s.kind === 'policy') {
            const r = await apply(cluster, policy, client);
            if (r.status >= 300) throw new Error(`policy apply: ${JSON.stringify(r.body)}`);
            await waitUntil(`policy ${name} loaded`, () =>
              Promise.resolve(hook.policies.current().byKey.has(key) ? true : undefined),
            );
            await hook.settled();
            continue;
          }
          for (const doc of readDocs(s.file ?? '')) {
            const obj = inNs(doc);
            const what = `${String(doc['kind'])}/${String((obj['metadata'] as Obj)['name'])} (${s.kind} ${(s.file ?? '').split('/').pop() ?? ''})`;
            if (s.kind === 'apply') {
              const r = await apply(cluster, obj, client);
              if (r.status === 201) created.push(obj);
              if (r.status >= 300)
                problems.push(
                  `${what}: expected admit, got ${r.status} ${String(r.body['message']).slice(0, 300)}`,
                );
              continue;
            }
            const g = await cluster.request('GET', await restPath(cluster, obj, true));
            const ok = g.status === 200 && contains(g.body, obj);
            if (s.kind === 'assert' && !ok)
              problems.push(
                `${what}: stored object does not contain the expected fields: ${JSON.stringify(g.body).slice(0, 400)}`,
              );
            if (s.kind === 'error' && ok) problems.push(`${what}: stored object matches what must not be`);
          }
        }
      } finally {
        for (const o of created.reverse()) await remove(cluster, o);
        await remove(cluster, policy);
        await waitUntil(`policy ${name} unloaded`, () =>
          Promise.resolve(hook.policies.current().byKey.has(key) ? undefined : true),
        );
      }
      if (problems.length) failures.push({ name: c.name, detail: problems.join('; ') });
      else mutatePassed++;
      const known = KNOWN_MUTATE[c.name];
      if (known)
        expect(
          problems.length,
          `known divergence fixed, remove it from KNOWN_MUTATE: ${known}`,
        ).toBeGreaterThan(0);
      else expect(problems).toEqual([]);
    });
  }
});
