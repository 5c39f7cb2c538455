/**
 * The Kubernetes Policy WG's PolicyReport and ClusterPolicyReport (wgpolicyk8s.io/v1alpha2), as
 * Kyverno installs them (config/crds/policyreport in kyverno/kyverno): the same group, names,
 * short names, printer columns and fields. Kyverno, policy-reporter and Palisade's policy engine
 * read and write these. Long upstream field descriptions of the embedded core types
 * (ObjectReference, LabelSelector) are shortened here; see docs/crds.md.
 */
import { z } from 'zod';
import type { CrdDescriptor, ObjectMeta, PrinterColumn } from './crd.js';

const ObjectReferenceSchema = z
  .object({
    apiVersion: z.string().describe('API version of the referent.').optional(),
    fieldPath: z
      .string()
      .describe('If referring to a piece of an object instead of an entire object, the field path.')
      .optional(),
    kind: z.string().describe('Kind of the referent.').optional(),
    name: z.string().describe('Name of the referent.').optional(),
    namespace: z.string().describe('Namespace of the referent.').optional(),
    resourceVersion: z
      .string()
      .describe('Specific resourceVersion to which this reference is made, if any.')
      .optional(),
    uid: z.string().describe('UID of the referent.').optional(),
  })
  .meta({ 'x-kubernetes-map-type': 'atomic' });

const LabelSelectorSchema = z
  .object({
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().describe('key is the label key that the selector applies to.'),
            operator: z
              .string()
              .describe(
                "operator represents a key's relationship to a set of values: In, NotIn, Exists, DoesNotExist.",
              ),
            values: z
              .array(z.string())
              .meta({ 'x-kubernetes-list-type': 'atomic' })
              .describe('values is an array of string values.')
              .optional(),
          })
          .describe('A label selector requirement.'),
      )
      .meta({ 'x-kubernetes-list-type': 'atomic' })
      .describe('matchExpressions is a list of label selector requirements. The requirements are ANDed.')
      .optional(),
    matchLabels: z
      .record(z.string(), z.string())
      .describe('matchLabels is a map of {key,value} pairs. The requirements are ANDed.')
      .optional(),
  })
  .meta({ 'x-kubernetes-map-type': 'atomic' });

export const POLICY_RESULTS = ['pass', 'fail', 'warn', 'error', 'skip'] as const;
export const POLICY_SEVERITIES = ['critical', 'high', 'low', 'medium', 'info'] as const;

const PolicyReportResultSchema = z
  .object({
    category: z.string().describe('Category indicates policy category').optional(),
    message: z
      .string()
      .describe('Description is a short user friendly message for the policy rule')
      .optional(),
    policy: z.string().describe('Policy is the name or identifier of the policy'),
    properties: z
      .record(z.string(), z.string())
      .describe('Properties provides additional information for the policy rule')
      .optional(),
    resourceSelector: LabelSelectorSchema.describe(
      'SubjectSelector is an optional label selector for checked Kubernetes resources.',
    ).optional(),
    resources: z
      .array(
        ObjectReferenceSchema.describe(
          'ObjectReference contains enough information to let you inspect or modify the referred object.',
        ),
      )
      .describe('Subjects is an optional reference to the checked Kubernetes resources')
      .optional(),
    result: z
      .enum(POLICY_RESULTS)
      .describe('Result indicates the outcome of the policy rule execution')
      .optional(),
    rule: z.string().describe('Rule is the name or identifier of the rule within the policy').optional(),
    scored: z.boolean().describe('Scored indicates if this result is scored').optional(),
    severity: z
      .enum(POLICY_SEVERITIES)
      .describe('Severity indicates policy check result criticality')
      .optional(),
    source: z
      .string()
      .describe('Source is an identifier for the policy engine that manages this report')
      .optional(),
    timestamp: z
      .object({
        nanos: z
          .int()
          .meta({ format: 'int32' })
          .describe('Non-negative fractions of a second at nanosecond resolution.'),
        seconds: z
          .int()
          .meta({ format: 'int64' })
          .describe('Represents seconds of UTC time since Unix epoch.'),
      })
      .describe('Timestamp indicates the time the result was found')
      .optional(),
  })
  .describe('PolicyReportResult provides the result for an individual policy');

const PolicyReportSummarySchema = z
  .object({
    error: z.int().describe('Error provides the count of policies that could not be evaluated').optional(),
    fail: z.int().describe('Fail provides the count of policies whose requirements were not met').optional(),
    pass: z.int().describe('Pass provides the count of policies whose requirements were met').optional(),
    skip: z
      .int()
      .describe('Skip indicates the count of policies that were not selected for evaluation')
      .optional(),
    warn: z
      .int()
      .describe('Warn provides the count of non-scored policies whose requirements were not met')
      .optional(),
  })
  .describe('PolicyReportSummary provides a summary of results');

function policyReportSchema(description: string): z.ZodType {
  return z
    .object({
      apiVersion: z
        .string()
        .describe('APIVersion defines the versioned schema of this representation of an object.')
        .optional(),
      kind: z
        .string()
        .describe('Kind is a string value representing the REST resource this object represents.')
        .optional(),
      metadata: z.looseObject({}).optional(),
      results: z
        .array(PolicyReportResultSchema)
        .describe('PolicyReportResult provides result details')
        .optional(),
      scope: ObjectReferenceSchema.describe(
        'Scope is an optional reference to the report scope (e.g. a Deployment, Namespace, or Node)',
      ).optional(),
      scopeSelector: LabelSelectorSchema.describe(
        'ScopeSelector is an optional selector for multiple scopes (e.g. Pods).',
      ).optional(),
      summary: PolicyReportSummarySchema.optional(),
    })
    .describe(description);
}

export const PolicyReportSchema = policyReportSchema('PolicyReport is the Schema for the policyreports API');
export const ClusterPolicyReportSchema = policyReportSchema(
  'ClusterPolicyReport is the Schema for the clusterpolicyreports API',
);

export type PolicyReportResult = z.input<typeof PolicyReportResultSchema>;
export type PolicyReportSummary = z.input<typeof PolicyReportSummarySchema>;
export interface PolicyReport {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  results?: PolicyReportResult[];
  scope?: z.input<typeof ObjectReferenceSchema>;
  scopeSelector?: z.input<typeof LabelSelectorSchema>;
  summary?: PolicyReportSummary;
}
export type ClusterPolicyReport = PolicyReport;

const POLICY_REPORT_COLUMNS: PrinterColumn[] = [
  { jsonPath: '.scope.kind', name: 'Kind', type: 'string' },
  { jsonPath: '.scope.name', name: 'Name', type: 'string' },
  { jsonPath: '.summary.pass', name: 'Pass', type: 'integer' },
  { jsonPath: '.summary.fail', name: 'Fail', type: 'integer' },
  { jsonPath: '.summary.warn', name: 'Warn', type: 'integer' },
  { jsonPath: '.summary.error', name: 'Error', type: 'integer' },
  { jsonPath: '.summary.skip', name: 'Skip', type: 'integer' },
  { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' },
];

export const PolicyReportCrd: CrdDescriptor = {
  group: 'wgpolicyk8s.io',
  version: 'v1alpha2',
  scope: 'Namespaced',
  names: {
    kind: 'PolicyReport',
    listKind: 'PolicyReportList',
    plural: 'policyreports',
    shortNames: ['polr'],
    singular: 'policyreport',
  },
  printerColumns: POLICY_REPORT_COLUMNS,
  schema: PolicyReportSchema,
};

export const ClusterPolicyReportCrd: CrdDescriptor = {
  group: 'wgpolicyk8s.io',
  version: 'v1alpha2',
  scope: 'Cluster',
  names: {
    kind: 'ClusterPolicyReport',
    listKind: 'ClusterPolicyReportList',
    plural: 'clusterpolicyreports',
    shortNames: ['cpolr'],
    singular: 'clusterpolicyreport',
  },
  printerColumns: POLICY_REPORT_COLUMNS,
  schema: ClusterPolicyReportSchema,
};

export const POLICY_REPORT_CRDS: readonly CrdDescriptor[] = [PolicyReportCrd, ClusterPolicyReportCrd];
