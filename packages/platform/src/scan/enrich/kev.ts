/**
 * CISA's Known Exploited Vulnerabilities catalogue
 * (`known_exploited_vulnerabilities.json`): `{catalogVersion, dateReleased,
 * count, vulnerabilities: [{cveID, dateAdded, dueDate,
 * knownRansomwareCampaignUse, …}]}`. Entries without a CVE ID or date are
 * skipped with a warning naming their index; the file is size-bounded.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import { positionOf } from '../../core/location.js';
import { readBoundedText } from '../bounded-file.js';

export const KEV_LIMITS = {
  maxFileBytes: 64 * 1024 * 1024,
  maxEntries: 1_000_000,
  maxDiagnostics: 100,
};

export interface KevEntry {
  dateAdded: string;
  dueDate?: string;
  knownRansomwareCampaignUse?: string;
}

export interface KevTable {
  catalogVersion?: string;
  dateReleased?: string;
  size: number;
  get(cve: string): KevEntry | undefined;
}

export interface KevLoad {
  table: KevTable;
  skipped: number;
  diagnostics: Diagnostic[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function kevTableFrom(
  entries: Iterable<[string, KevEntry]>,
  meta: { catalogVersion?: string; dateReleased?: string } = {},
): KevTable {
  const map = new Map(entries);
  return { ...meta, size: map.size, get: (cve) => map.get(cve) };
}

/** Parses the catalogue's JSON text. Not JSON or not a catalogue: E_PARSE; bad entries: diagnostics. */
export function parseKev(text: string, file: string): KevLoad {
  if (text.length > KEV_LIMITS.maxFileBytes)
    throw new PalisadeError(
      'E_LIMIT',
      `${file} is over the ${KEV_LIMITS.maxFileBytes}-byte limit for KEV files`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec(errorMessage(err));
    const pos = m ? positionOf(text, Number(m[1])) : undefined;
    throw new PalisadeError('E_PARSE', `${file} is not JSON: ${errorMessage(err)}`, {
      cause: err,
      location: pos ? { file, line: pos.line, column: pos.column } : { file },
    });
  }
  const d = doc as Record<string, unknown> | null;
  if (d === null || typeof d !== 'object' || !Array.isArray(d['vulnerabilities']))
    throw new PalisadeError('E_PARSE', `${file} is not a KEV catalogue (no "vulnerabilities" list)`, {
      location: { file },
    });
  const list = d['vulnerabilities'] as unknown[];
  if (list.length > KEV_LIMITS.maxEntries)
    throw new PalisadeError('E_LIMIT', `${file} has ${list.length} entries, over ${KEV_LIMITS.maxEntries}`);
  const diagnostics: Diagnostic[] = [];
  let skipped = 0;
  const map = new Map<string, KevEntry>();
  list.forEach((raw, i) => {
    const e = raw as Record<string, unknown> | null;
    const cve = e && typeof e === 'object' ? e['cveID'] : undefined;
    const added = e && typeof e === 'object' ? e['dateAdded'] : undefined;
    if (
      typeof cve !== 'string' ||
      !/^CVE-\d{4}-\d{4,}$/.test(cve) ||
      typeof added !== 'string' ||
      !DATE.test(added)
    ) {
      skipped++;
      if (diagnostics.length < KEV_LIMITS.maxDiagnostics)
        diagnostics.push({
          code: 'KEV_BAD_ENTRY',
          severity: 'warning',
          message: `entry ${i}: needs a cveID (CVE-YYYY-N) and a dateAdded (YYYY-MM-DD); skipped`,
          location: { file, snippet: `/vulnerabilities/${i}` },
        });
      return;
    }
    const entry: KevEntry = { dateAdded: added };
    const due = (e as Record<string, unknown>)['dueDate'];
    if (typeof due === 'string' && DATE.test(due)) entry.dueDate = due;
    const ransom = (e as Record<string, unknown>)['knownRansomwareCampaignUse'];
    if (typeof ransom === 'string' && ransom !== '') entry.knownRansomwareCampaignUse = ransom;
    map.set(cve, entry);
  });
  const meta: { catalogVersion?: string; dateReleased?: string } = {};
  if (typeof d['catalogVersion'] === 'string') meta.catalogVersion = d['catalogVersion'];
  if (typeof d['dateReleased'] === 'string') meta.dateReleased = d['dateReleased'];
  return { table: kevTableFrom(map, meta), skipped, diagnostics };
}

/** Reads the catalogue from disk (bounded). */
export async function readKev(path: string): Promise<KevLoad> {
  const text = await readBoundedText(path, KEV_LIMITS.maxFileBytes, 'KEV');
  return parseKev(text, path);
}
