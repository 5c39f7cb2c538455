/**
 * CRD descriptors and their rendering: a zod schema plus the CRD's names, scope and printer
 * columns become an `apiextensions.k8s.io/v1` CustomResourceDefinition object. The zod schema is
 * the one source of truth: the TypeScript types are inferred from it and the CRD's
 * `openAPIV3Schema` is derived from it with `z.toJSONSchema`, then reduced to the subset of
 * JSON Schema that Kubernetes structural schemas accept (see docs/crds.md). No I/O here:
 * scripts/gen-crds.mjs writes the YAML files.
 */
import { z } from 'zod';

/** The metadata fields report objects use (the TypeScript side of `metadata: {type: object}`). */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: { [key: string]: string };
  annotations?: { [key: string]: string };
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface CrdNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
}

export interface CrdDescriptor {
  group: string;
  version: string;
  scope: 'Namespaced' | 'Cluster';
  names: CrdNames;
  printerColumns: PrinterColumn[];
  subresources?: { status?: Record<string, never> };
  /** The object's schema (apiVersion, kind, metadata and the kind's own fields). */
  schema: z.ZodType;
}

/** A JSON Schema node as it appears in a CRD's openAPIV3Schema. */
export type OpenApiSchema = { [key: string]: unknown };

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Reduces zod's JSON Schema to what a Kubernetes structural schema holds: no `$schema`, no
 * `propertyNames`, no empty `properties`/`additionalProperties: {}` (loose objects), no safe-integer
 * bounds that `z.int()` adds, and no regex that zod adds for its `date-time` format.
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src).sort()) {
    const v = src[key];
    if (key === '$schema' || key === 'propertyNames') continue;
    if (key === 'maximum' && v === MAX_SAFE) continue;
    if (key === 'minimum' && v === -MAX_SAFE) continue;
    if (key === 'pattern' && src['format'] === 'date-time') continue;
    if (key === 'additionalProperties' && typeof v === 'object' && v !== null && Object.keys(v).length === 0)
      continue;
    if (key === 'properties' && typeof v === 'object' && v !== null) {
      if (Object.keys(v).length === 0) continue;
      const props: Record<string, unknown> = {};
      for (const p of Object.keys(v).sort()) props[p] = structural((v as Record<string, unknown>)[p]);
      out[key] = props;
      continue;
    }
    out[key] = structural(v);
  }
  return out;
}

/** The CRD's `openAPIV3Schema` for a zod schema. */
export function openApiSchemaOf(schema: z.ZodType): OpenApiSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' });
  return structural(json) as OpenApiSchema;
}

/** `<plural>.<group>` */
export function crdName(d: CrdDescriptor): string {
  return `${d.names.plural}.${d.group}`;
}

/** The CustomResourceDefinition object for a descriptor (one served, stored version). */
export function toCustomResourceDefinition(d: CrdDescriptor): Record<string, unknown> {
  const version: Record<string, unknown> = {};
  if (d.printerColumns.length) version['additionalPrinterColumns'] = d.printerColumns;
  version['name'] = d.version;
  version['schema'] = { openAPIV3Schema: openApiSchemaOf(d.schema) };
  version['served'] = true;
  version['storage'] = true;
  version['subresources'] = d.subresources ?? {};
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(d) },
    spec: {
      group: d.group,
      names: d.names,
      scope: d.scope,
      versions: [version],
    },
  };
}
