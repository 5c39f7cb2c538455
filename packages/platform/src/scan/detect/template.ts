/**
 * The finding template of one affected entry: everything a finding takes from
 * the entry that depends on the record alone (not on the installed version or
 * on the other records matched with it). The importer computes it for every
 * entry of the match index (db/match-index.ts), so a scan neither scores CVSS
 * vectors nor sorts alias lists; the detector builds a finding of one matched
 * record from it directly and merges the templates of several (detect.ts).
 *
 * Stored as a JSON array, compact for the file and fast to parse:
 * `[shownId, shownAliases, allFixed, sourceId, scored, own, summary, published, modified]`.
 * Changing what it holds or how it is computed (here, severity.ts, sources.ts,
 * fixed.ts) needs a SCHEMA_VERSION bump (db/schema.ts), so old files are rebuilt.
 */
import type { Severity } from '@palisade/api';
import type { OsvRange, OsvSeverity } from '../db/osv.js';
import { allFixedEvents } from './fixed.js';
import { severityFacts, type ScoredTuple } from './severity.js';
import { dataSourceOf, preferredId } from './sources.js';

export type FindingTemplate = [
  /** The ID a finding of this record alone is shown under (preferredId). */
  shownId: string,
  /** The other IDs of the alias group, sorted: the aliases of a finding of this record alone. */
  shownAliases: string[],
  /** Every fixed event of the entry's ECOSYSTEM and SEMVER ranges, in record order (allFixedEvents). */
  allFixed: string[],
  /** severityFacts: the data source's short id, the scorable vectors, the record's own rating. */
  sourceId: string,
  scored: ScoredTuple[],
  own: Severity | null,
  summary: string | null,
  published: string | null,
  modified: string,
];

/** What the template is computed from (an AffectedEntry has these fields). */
export interface TemplateInput {
  advisoryId: string;
  /** The other IDs of the record's alias group. */
  aliases: readonly string[];
  source: string;
  modified: string;
  published?: string | undefined;
  summary?: string | undefined;
  severity: readonly OsvSeverity[];
  recordDatabaseSpecific?: unknown;
  ranges: readonly OsvRange[];
  affectedSeverity?: readonly OsvSeverity[] | undefined;
}

export function findingTemplate(e: TemplateInput): FindingTemplate {
  const groupIds = [...new Set([e.advisoryId, ...e.aliases])];
  const shownId = preferredId([e.advisoryId], groupIds);
  const facts = severityFacts({
    sourceId: dataSourceOf(e.advisoryId, e.source).id,
    summary: e.summary,
    severity: e.severity,
    affectedSeverity: e.affectedSeverity,
    recordDatabaseSpecific: e.recordDatabaseSpecific,
  });
  return [
    shownId,
    groupIds.filter((x) => x !== shownId).sort(),
    allFixedEvents(e.ranges),
    facts.sourceId,
    facts.scored as ScoredTuple[],
    facts.own,
    e.summary ?? null,
    e.published ?? null,
    e.modified,
  ];
}
