/**
 * Loads rules files in order, as Falco's engine does: each file is read into
 * one shared collector, then everything collected so far is compiled; the
 * file's load result holds the reader's and the compiler's errors and
 * warnings. Loading stops at the first file with an error.
 */
import type { EventSourceDef } from '../fields/types.js';
import { K8S_AUDIT } from '../fields/k8saudit.js';
import { SYSCALL } from '../fields/syscall.js';
import { Collector } from './collector.js';
import type { CompiledRule } from './compiler.js';
import { RulesCompiler } from './compiler.js';
import { Reader } from './reader.js';
import type { FileLoadResult } from './result.js';
import { ResultBuilder } from './result.js';

export interface RulesFile {
  /** Name used in messages (usually the path). */
  name: string;
  content: string;
}

export interface LoadedRules {
  ok: boolean;
  results: FileLoadResult[];
  /** Compiled rules of the last successful compile, in definition order. */
  rules: CompiledRule[];
  counts: { rules: number; macros: number; lists: number };
}

/** The event sources Palisade knows (a rule with another source is skipped with LOAD_UNKNOWN_SOURCE). */
export const DEFAULT_SOURCES: ReadonlyMap<string, EventSourceDef> = new Map([
  [SYSCALL.name, SYSCALL],
  [K8S_AUDIT.name, K8S_AUDIT],
]);

export function loadRules(
  files: readonly RulesFile[],
  sources: ReadonlyMap<string, EventSourceDef> = DEFAULT_SOURCES,
): LoadedRules {
  const collector = new Collector(sources);
  const results: FileLoadResult[] = [];
  let rules: CompiledRule[] = [];
  let counts = { rules: 0, macros: 0, lists: 0 };
  let ok = true;
  for (const f of files) {
    const res = new ResultBuilder(f.name);
    collector.res = res;
    const read = new Reader(f.name, res, collector).read(f.content);
    if (read) {
      const out = new RulesCompiler(collector, sources, res).compile();
      if (out) {
        rules = out.rules;
        counts = { rules: out.rules.length, macros: out.macros, lists: out.lists };
      }
    }
    const r = res.build();
    results.push(r);
    if (!r.ok) {
      ok = false;
      break;
    }
  }
  return { ok, results, rules, counts };
}
