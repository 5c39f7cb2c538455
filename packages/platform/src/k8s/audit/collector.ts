/**
 * Lists the live objects `palisade audit cluster` audits (the kinds of audit/collect/cluster.ts),
 * page by page, and hands them to the pure selection. With a namespace filter, namespaced kinds
 * are listed per namespace (so a namespace-scoped Role is enough RBAC for them). A kind the
 * apiserver does not serve (404) or the caller may not list (403) is a warning diagnostic and the
 * run goes on with the other kinds. The total is bounded (`maxObjects`).
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { PalisadeError } from '../../core/errors.js';
import type { AuditObject } from '../../audit/types.js';
import { CLUSTER_KINDS, selectObjects } from '../../audit/collect/cluster.js';
import type { ClusterKind } from '../../audit/collect/cluster.js';
import { defineResource } from '../client/resources.js';
import type { KubeObject, ResourceType } from '../client/resources.js';
import { KubeApiError } from '../client/rest.js';
import type { KubeClient } from '../client/rest.js';

export interface CollectOptions {
  /** Only these namespaces (empty: all). */
  namespaces?: readonly string[];
  /** Items per list page (the `limit` parameter); default 500. */
  pageSize?: number;
  /** Largest number of objects listed in total; default 500,000. */
  maxObjects?: number;
  /** Kinds to list; default CLUSTER_KINDS. */
  kinds?: readonly ClusterKind[];
  signal?: AbortSignal;
}

export interface CollectResult {
  objects: AuditObject[];
  diagnostics: Diagnostic[];
  /** Objects listed per kind (before selection), for the summary line. */
  listed: Record<string, number>;
  /** Kinds that could not be listed (in some namespace): 403 or 404. */
  incomplete: Set<string>;
}

export function resourceOf(k: ClusterKind): ResourceType<KubeObject> {
  return defineResource<KubeObject>({
    group: k.group,
    version: k.version,
    plural: k.plural,
    kind: k.kind,
    namespaced: k.namespaced,
  });
}

export async function collectCluster(client: KubeClient, o: CollectOptions = {}): Promise<CollectResult> {
  const kinds = o.kinds ?? CLUSTER_KINDS;
  const namespaces = o.namespaces?.filter(Boolean) ?? [];
  const maxObjects = o.maxObjects ?? 500_000;
  const limit = o.pageSize ?? 500;
  const objects: AuditObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const listed: Record<string, number> = {};
  const incomplete = new Set<string>();
  let total = 0;
  for (const k of kinds) {
    if (o.signal?.aborted) throw new PalisadeError('E_ABORTED', 'audit cluster aborted');
    const r = resourceOf(k);
    const scopes: (string | undefined)[] = k.namespaced && namespaces.length > 0 ? namespaces : [undefined];
    const items: unknown[] = [];
    for (const ns of scopes) {
      try {
        const list = await client.listAll(r, ns, { limit, ...(o.signal ? { signal: o.signal } : {}) });
        items.push(...list.items);
        total += list.items.length;
      } catch (err) {
        if (err instanceof KubeApiError && (err.status === 403 || err.status === 404)) {
          incomplete.add(k.kind);
          diagnostics.push({
            code: 'E_K8S_API',
            severity: 'warning',
            message: `cannot list ${k.plural}${ns ? ` in ${ns}` : ''}: ${
              err.status === 403 ? 'forbidden (see the RBAC in docs/audit.md)' : 'not served by this cluster'
            }; its checks are skipped`,
            location: { file: `k8s://${ns ? `${ns}/` : ''}${k.kind}` },
          });
          continue;
        }
        throw err;
      }
      if (total > maxObjects)
        throw new PalisadeError('E_LIMIT', `more than ${maxObjects} objects listed`, {
          hint: 'narrow the run with --namespaces',
        });
    }
    listed[k.kind] = items.length;
    objects.push(...selectObjects(k, items, { namespaces }));
  }
  return { objects, diagnostics, listed, incomplete };
}
