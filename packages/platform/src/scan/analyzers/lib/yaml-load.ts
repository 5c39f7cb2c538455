/**
 * Bounded YAML loading for analyzers: every document of a stream as plain JS
 * values, with the first syntax error reported with its line. Aliases are
 * capped (the "billion laughs" bound) and a value that fails to convert is an
 * error, never an exception out of the analyzer.
 */
import type * as Yaml from 'yaml';
import { lazy } from '../../../core/lazy.js';

const yaml = lazy<typeof Yaml>('yaml');

export class YamlLoadError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'YamlLoadError';
  }
}

export interface YamlLoadOptions {
  /** Upper bound on alias expansion, as the yaml library counts it. Default 100. */
  maxAliasCount?: number;
  /**
   * `failsafe` keeps every scalar a string as written (`1.10` stays "1.10"),
   * which is what a lockfile's version fields need. Default `core`.
   */
  schema?: 'core' | 'failsafe';
}

/** Parses every document of a YAML stream; throws YamlLoadError with a 1-based line. */
export function loadYamlDocuments(text: string, opts: YamlLoadOptions = {}): unknown[] {
  const docs = yaml().parseAllDocuments(text, { uniqueKeys: false, schema: opts.schema ?? 'core' });
  const list = Array.isArray(docs) ? docs : [];
  const out: unknown[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) throw new YamlLoadError(firstLine(err.message), err.linePos?.[0]?.line);
    try {
      out.push(doc.toJS({ maxAliasCount: opts.maxAliasCount ?? 100 }));
    } catch (e) {
      throw new YamlLoadError(firstLine((e as Error).message));
    }
  }
  return out;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return (i < 0 ? s : s.slice(0, i)).replace(/ at line \d+, column \d+:?$/, '');
}

export function isYamlMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
