/**
 * Test support for the scan-format conformance suites: the trivy-integration
 * golden files (read in place from ../shared/data), their index, and the table
 * of known divergences between Trivy's JSON and what our model can carry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonDifference } from './json-diff.js';
import { pathShape } from './json-diff.js';
import { sharedData } from './shared-data.js';

export const trivyTestdata = (): string => sharedData('scan', 'trivy-integration', 'integration', 'testdata');

export function readGolden(name: string): unknown {
  return JSON.parse(readFileSync(join(trivyTestdata(), name), 'utf8'));
}

/** Every Trivy JSON report golden (`*.json.golden` with SchemaVersion 2), by file name. */
export function trivyJsonGoldens(): { name: string; doc: Record<string, unknown> }[] {
  return readdirSync(trivyTestdata())
    .filter((f) => f.endsWith('.json.golden'))
    .sort()
    .map((name) => ({ name, doc: readGolden(name) as Record<string, unknown> }))
    .filter((g) => g.doc['SchemaVersion'] === 2);
}

export interface GoldenIndexEntry {
  test_file: string;
  case: string;
  input: string | null;
  golden: string;
  args: Record<string, string>;
}

export function goldenIndex(): GoldenIndexEntry[] {
  return JSON.parse(
    readFileSync(sharedData('scan', 'trivy-integration', 'golden-index.json'), 'utf8'),
  ) as GoldenIndexEntry[];
}

/** Keys Trivy's own integration tests fix or ignore (random IDs, clock, content hashes we do not compute). */
export const NORMALIZED_KEYS = ['ReportID', 'Fingerprint', 'UID'] as const;

/**
 * Known differences between Trivy's JSON and ours, by path shape. Each is a field
 * our ScanReport model does not carry (so no writer can produce it), or a value
 * that names the tool. A difference not in this table fails the suite.
 */
export const TRIVY_JSON_DIVERGENCES: { shape: RegExp; reason: string }[] = [
  { shape: /^ArtifactID$/, reason: 'Trivy ≥0.63 adds a computed artifact ID; ArtifactInfo has none' },
  {
    shape: /^Metadata\.(Size|Reference|ImageConfig|Layers)$/,
    reason: 'image size, reference, config blob and per-layer sizes are not in ArtifactInfo',
  },
  {
    shape: /^Metadata(\.(RepoURL|Branch|Commit|CommitMsg|Author|Committer))?$/,
    reason: 'git repository metadata (trivy repo) is not in ArtifactInfo',
  },
  {
    shape: /^ArtifactType$/,
    reason: "Trivy's `repository` and `vm` artifacts have no Palisade artifact type; they read as filesystem",
  },
  { shape: /^Results\[\]\.Packages\[\]\.AnalyzedBy$/, reason: 'Package has no analyzer name' },
  {
    shape: /^Results\[\]\.Vulnerabilities\[\]\.VendorIDs$/,
    reason: 'vendor advisory IDs (RHSA, ALAS, DSA…) are not in DetectedVulnerability',
  },
  {
    shape: /^Results\[\]\.Vulnerabilities\[\]\.PkgIdentifier\.BOMRef$/,
    reason: 'the bom-ref of an SBOM input component is not kept in DetectedVulnerability',
  },
  {
    shape: /^Results\[\]\.Vulnerabilities\[\]\.Layer$/,
    reason: 'Trivy writes an empty Layer object `{}` for VM disk packages; an absent layer is left out',
  },
  { shape: /^Results\[\]\.Secrets\[\]\.Offset$/, reason: 'SecretFinding has no byte offset' },
];

export function explain(d: JsonDifference): string | undefined {
  const shape = pathShape(d.path);
  return TRIVY_JSON_DIVERGENCES.find((k) => k.shape.test(shape))?.reason;
}
