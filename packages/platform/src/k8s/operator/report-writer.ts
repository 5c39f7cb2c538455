/**
 * Create-or-update of report objects without churn: the desired object is compared with the one
 * in the informer cache (labels, the annotations Palisade and Trivy Operator set, ownerReferences
 * and the report body, with object keys sorted) and written only when they differ. Updates are
 * conditional on the cached resourceVersion (409 → the caller retries after a backoff); annotations
 * and labels other tools added are kept.
 */
import type { KubeObject, ResourceType } from '../client/resources.js';
import type { KubeClient } from '../client/rest.js';

export interface ReportObject extends KubeObject {
  metadata: NonNullable<KubeObject['metadata']> & {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  report: unknown;
}

export interface WriteStats {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

const OURS = /^(palisade\.dev\/|trivy-operator\.)/;

/** JSON with object keys sorted, for comparisons that ignore key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const o = val as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return val;
  });
}

function ownAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a ?? {})) if (OURS.test(k)) out[k] = v;
  return out;
}

/** True when `existing` already says what `desired` says. */
export function sameReport(existing: ReportObject, desired: ReportObject): boolean {
  const e = existing.metadata;
  const d = desired.metadata;
  for (const [k, v] of Object.entries(d.labels ?? {})) if (e.labels?.[k] !== v) return false;
  return (
    canonicalJson(ownAnnotations(e.annotations)) === canonicalJson(ownAnnotations(d.annotations)) &&
    canonicalJson(e.ownerReferences ?? []) === canonicalJson(d.ownerReferences ?? []) &&
    canonicalJson(existing.report) === canonicalJson(desired.report)
  );
}

export class ReportWriter {
  readonly stats: WriteStats = { created: 0, updated: 0, unchanged: 0, deleted: 0 };

  constructor(private readonly client: KubeClient) {}

  /** Creates `desired`, or updates `existing` to it when they differ. */
  async apply<T extends ReportObject>(
    resource: ResourceType<T>,
    desired: T,
    existing: T | undefined,
  ): Promise<'created' | 'updated' | 'unchanged'> {
    if (!existing) {
      await this.client.create(resource, desired);
      this.stats.created++;
      return 'created';
    }
    if (sameReport(existing, desired)) {
      this.stats.unchanged++;
      return 'unchanged';
    }
    const foreign: Record<string, string> = {};
    for (const [k, v] of Object.entries(existing.metadata.annotations ?? {}))
      if (!OURS.test(k)) foreign[k] = v;
    const annotations = { ...foreign, ...(desired.metadata.annotations ?? {}) };
    const obj = {
      ...desired,
      metadata: {
        ...desired.metadata,
        labels: { ...(existing.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ...(existing.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
    } as T;
    if (Object.keys(annotations).length === 0) delete obj.metadata.annotations;
    await this.client.replace(resource, obj);
    this.stats.updated++;
    return 'updated';
  }

  /** Deletes a report, conditional on the version we saw; a report already gone is fine. */
  async remove(resource: ResourceType<ReportObject>, existing: ReportObject): Promise<void> {
    try {
      await this.client.delete(resource, existing.metadata.name, existing.metadata.namespace, {
        ...(existing.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      });
      this.stats.deleted++;
    } catch (err) {
      if ((err as { isNotFound?: boolean }).isNotFound) return;
      throw err;
    }
  }
}
