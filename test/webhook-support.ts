/**
 * Support for the webhook end-to-end suites: Kyverno's CRDs (minimal structural ones from the
 * webhook's testdata) and the PolicyReport CRDs (deploy/crds) installed into a test cluster,
 * generic apply/delete of any object by apiVersion/kind through discovery, and waiting helpers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeApiError, type KubeClient } from '../packages/platform/src/k8s/client/index.js';
import type { TestCluster } from '../packages/platform/src/testing/cluster.js';
import { repoRoot } from '../packages/platform/src/testing/shared-data.js';

type Obj = Record<string, unknown>;

export const KYVERNO_CRDS = join(repoRoot, 'packages/platform/src/k8s/webhook/testdata/kyverno-crds.yaml');
export const POLICY_REPORT_CRDS = [
  join(repoRoot, 'deploy/crds/wgpolicyk8s.io_policyreports.yaml'),
  join(repoRoot, 'deploy/crds/wgpolicyk8s.io_clusterpolicyreports.yaml'),
];

export function readDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d): d is Obj => typeof d === 'object' && d !== null);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

export async function installCrds(cluster: TestCluster, files: readonly string[]): Promise<void> {
  const names: string[] = [];
  for (const f of files) {
    for (const crd of readDocs(f)) {
      const r = await cluster.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      if (r.status !== 201 && r.status !== 409)
        throw new Error(`install CRD from ${f}: ${JSON.stringify(r.body)}`);
      names.push((crd['metadata'] as { name: string }).name);
    }
  }
  for (const n of names) {
    await waitUntil(`CRD ${n} established`, async () => {
      const r = await cluster.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`);
      const conds = (
        (r.body as Obj)['status'] as { conditions?: { type: string; status: string }[] } | undefined
      )?.conditions;
      return conds?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }
}

const plurals = new Map<string, { plural: string; namespaced: boolean }>();

export async function restPath(cluster: TestCluster, obj: Obj, withName = false): Promise<string> {
  const apiVersion = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
  const key = `${apiVersion}/${kind}`;
  let info = plurals.get(key);
  if (!info) {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const r = await cluster.request('GET', base);
    const res =
      ((r.body as Obj)['resources'] as { name: string; kind: string; namespaced: boolean }[] | undefined) ??
      [];
    const hit = res.find((x) => x.kind === kind && !x.name.includes('/'));
    if (!hit) throw new Error(`apiserver does not serve ${key}`);
    info = { plural: hit.name, namespaced: hit.namespaced };
    plurals.set(key, info);
  }
  const md = (obj['metadata'] ?? {}) as { name?: string; namespace?: string };
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = info.namespaced ? `/namespaces/${md.namespace ?? 'default'}` : '';
  return `${base}${ns}/${info.plural}${withName ? `/${md.name ?? ''}` : ''}`;
}

/**
 * Creates an object, or when it exists merges it in (JSON merge patch, as `kubectl apply` of a
 * partial manifest would); returns the apiserver's answer. A Namespace also gets its `default`
 * ServiceAccount (no controller-manager runs).
 */
export async function apply(
  cluster: TestCluster,
  obj: Obj,
  client?: KubeClient,
): Promise<{ status: number; body: Obj }> {
  // like chainsaw's apply: an existing object is patched, a new one created
  const exists = client
    ? (await cluster.request('GET', await restPath(cluster, obj, true))).status === 200
    : false;
  const r = exists
    ? { status: 409, body: {} }
    : await cluster.request('POST', await restPath(cluster, obj), obj);
  if (r.status === 201 && obj['kind'] === 'Namespace')
    await cluster.createNamespace((obj['metadata'] as { name: string }).name);
  if (r.status !== 409) return r as { status: number; body: Obj };
  if (client) {
    try {
      const body = await client.request<Obj>('PATCH', await restPath(cluster, obj, true), {
        body: obj,
        contentType: 'application/merge-patch+json',
      });
      return { status: 200, body };
    } catch (err) {
      if (err instanceof KubeApiError) return { status: err.status, body: (err.body ?? {}) as Obj };
      throw err;
    }
  }
  const cur = await cluster.request('GET', await restPath(cluster, obj, true));
  const rv = ((cur.body as Obj)['metadata'] as { resourceVersion?: string }).resourceVersion;
  const next = { ...obj, metadata: { ...(obj['metadata'] as Obj), resourceVersion: rv } };
  return (await cluster.request('PUT', await restPath(cluster, obj, true), next)) as {
    status: number;
    body: Obj;
  };
}

export async function remove(cluster: TestCluster, obj: Obj): Promise<number> {
  return (await cluster.request('DELETE', await restPath(cluster, obj, true))).status;
}
