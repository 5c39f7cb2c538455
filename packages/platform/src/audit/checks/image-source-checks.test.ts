/**
 * Table-driven cases for KSV0124 (open-ended Gatekeeper repo prefixes) and KSV0125 (trusted
 * registries); Trivy ships no examples for them. Expectations come from the Rego rules in
 * trivy-checks (repo_ambiguous_prefix.rego, uses_untrusted_registry.rego and its _test.rego) and from
 * the divergences documented in the check files.
 */
import { describe, expect, it } from 'vitest';
import { auditObjects, compileChecks } from '../engine.js';
import type { CheckFilter } from '../engine.js';
import { readManifests } from '../manifests.js';

function run(id: string, yaml: string, filter: CheckFilter = {}): { failed: boolean; messages: string[] } {
  const { objects, diagnostics } = readManifests(yaml, 'case.yaml');
  expect(diagnostics.items.filter((d) => d.severity !== 'info')).toEqual([]);
  const results = auditObjects(compileChecks({ ...filter, ids: [id] }), objects)
    .flatMap((r) => r.results)
    .filter((r) => r.checkId === id);
  return {
    failed: results.some((r) => !r.success),
    messages: results.flatMap((r) => (r.success ? [] : r.messages)),
  };
}

function allowedRepos(repos: unknown[], apiVersion = 'constraints.gatekeeper.sh/v1beta1'): string {
  return `apiVersion: ${apiVersion}
kind: K8sAllowedRepos
metadata:
  name: repo-is-allowed
spec:
  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Pod"]
  parameters:
    repos: ${JSON.stringify(repos)}
`;
}

describe('KSV0124 Gatekeeper repo reference is ambiguously open-ended', () => {
  const cases: { name: string; repos: unknown[]; apiVersion?: string; fails: boolean }[] = [
    { name: 'bare registry host', repos: ['gcr.io'], fails: true },
    { name: 'bare name', repos: ['myregistry'], fails: true },
    { name: 'docker.io alone', repos: ['docker.io'], fails: true },
    { name: 'docker.io with one segment', repos: ['docker.io/library'], fails: true },
    { name: 'docker.io with trailing slash only', repos: ['docker.io/'], fails: true },
    { name: 'one bad entry among good ones', repos: ['gcr.io/my-project/', 'quay.io'], fails: true },
    {
      name: 'v1 constraint (Palisade also checks it)',
      repos: ['gcr.io'],
      apiVersion: 'constraints.gatekeeper.sh/v1',
      fails: true,
    },
    { name: 'registry with a path ending in /', repos: ['gcr.io/my-project/'], fails: false },
    { name: 'registry with a project path', repos: ['gcr.io/my-project'], fails: false },
    { name: 'docker.io with two segments', repos: ['docker.io/library/nginx'], fails: false },
    { name: 'registry with a port', repos: ['registry.local:5000'], fails: false },
    { name: 'non-string entries are ignored', repos: [42, { a: 1 }], fails: false },
    { name: 'no repos', repos: [], fails: false },
    { name: 'another API group', repos: ['gcr.io'], apiVersion: 'example.com/v1', fails: false },
  ];
  for (const c of cases)
    it(`${c.fails ? 'fails' : 'passes'}: ${c.name}`, () => {
      expect(run('KSV0124', allowedRepos(c.repos, c.apiVersion)).failed).toBe(c.fails);
    });

  it('reports each open-ended entry, naming it', () => {
    const r = run('KSV0124', allowedRepos(['gcr.io', 'gcr.io/ok/', 'docker.io/library']));
    expect(r.messages).toEqual([
      "K8sAllowedRepos 'repo-is-allowed' allows the open-ended repository prefix 'gcr.io'",
      "K8sAllowedRepos 'repo-is-allowed' allows the open-ended repository prefix 'docker.io/library'",
    ]);
  });

  it('is selected by its Trivy IDs', () => {
    const { objects } = readManifests(allowedRepos(['gcr.io']), 'case.yaml');
    for (const id of ['KSV-0124', 'AVD-KSV-0124', 'kubernetes-repo-ambiguous-prefix']) {
      const got = auditObjects(compileChecks({ ids: [id] }), objects).flatMap((o) =>
        o.results.map((r) => `${r.checkId}:${r.success}`),
      );
      expect(got).toEqual(['KSV0124:false']);
    }
  });
});

function job(images: string[], init: string[] = []): string {
  const list = (xs: string[], p: string): string =>
    xs.map((image, i) => `\n          - name: ${p}${i}\n            image: ${image}`).join('');
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: test
  namespace: test
spec:
  template:
    spec:
      restartPolicy: Never
      containers:${list(images, 'c')}${init.length > 0 ? `\n      initContainers:${list(init, 'i')}` : ''}
`;
}

describe('KSV0125 Restrict container images to trusted registries', () => {
  const defaults: { image: string; fails: boolean }[] = [
    { image: 'gcr.io/test:latest', fails: false },
    { image: 'eu.gcr.io/project/app:1.0', fails: false },
    { image: 'myregistry.azurecr.io/app:1', fails: false },
    { image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1', fails: false },
    { image: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1', fails: false },
    { image: 'GCR.IO/test:1', fails: false },
    { image: 'nginx:1.27', fails: false }, // no registry named: Trivy does not judge it
    { image: 'foo.io/test:latest', fails: true },
    { image: 'docker.io/library/nginx:1.27', fails: true },
    { image: 'library/nginx:1.27', fails: true }, // registry 'library', as Trivy reads it
    { image: 'ghcr.io/org/app:1', fails: true },
    { image: 'gcr.io.evil.com/app:1', fails: true },
    { image: 'evilgcr.io/app:1', fails: true }, // Trivy trusts this (suffix match); we do not
    { image: 'gcr.io:443/app:1', fails: true }, // the port is part of the registry name, as in Trivy
    { image: '123456789012.dkr.ecr.us-east-3.amazonaws.com/app:1', fails: true },
  ];
  for (const c of defaults)
    it(`default list: ${c.fails ? 'fails' : 'passes'} ${c.image}`, () => {
      expect(run('KSV0125', job([c.image])).failed).toBe(c.fails);
    });

  it('judges init containers too and names the registry', () => {
    const r = run('KSV0125', job(['gcr.io/app:1'], ['quay.io/tools/init:1']));
    expect(r.messages).toEqual([
      "Container 'i0' of Job 'test' uses an image from the untrusted registry 'quay.io'",
    ]);
  });

  const custom: { image: string; fails: boolean }[] = [
    { image: 'foo.io/test:latest', fails: false },
    { image: 'mirror.foo.io/test:latest', fails: false },
    { image: 'gcr.io/test:latest', fails: true },
    { image: 'barfoo.io/test:latest', fails: true },
  ];
  for (const c of custom)
    it(`trustedRegistries [foo.io]: ${c.fails ? 'fails' : 'passes'} ${c.image}`, () => {
      expect(run('KSV0125', job([c.image]), { trustedRegistries: ['foo.io'] }).failed).toBe(c.fails);
    });

  it('an empty trusted list means the default list, as in Trivy', () => {
    expect(run('KSV0125', job(['gcr.io/test:1']), { trustedRegistries: [] }).failed).toBe(false);
    expect(run('KSV0125', job(['foo.io/test:1']), { trustedRegistries: [] }).failed).toBe(true);
  });
});
