/**
 * The evaluation engine: compiled rules indexed by source and event type,
 * evaluated in definition order. By default the first matching rule wins (as
 * in Falco); `all` reports every matching rule.
 */
import type { FieldValue, RuntimeEvent } from './fields/types.js';
import type { Guard } from './filter/compile.js';
import type { CompiledRule } from './rules/compiler.js';
import type { Priority } from './rules/types.js';
import { PRIORITIES } from './rules/types.js';
import type { AlertInput } from './output.js';
import { renderOutput } from './output.js';

export interface EngineOptions {
  /** Report every matching rule instead of the first one (Falco's default is first). */
  match?: 'first' | 'all';
  /** Minimum priority to load (Falco's `priority` setting); default Debug (everything). */
  minPriority?: Priority;
  /** Rule names to disable (exact). */
  disabledRules?: readonly string[];
  /** Only rules having one of these tags (Falco -t). */
  enabledTags?: readonly string[];
  /** Disable rules having any of these tags (Falco -T). */
  disabledTags?: readonly string[];
  /** Event sources to evaluate; default all. */
  sources?: readonly string[];
  hostname?: string;
}

interface Bucket {
  /** Rules by event type (for sources with typed events), each list in definition order. */
  byType: Map<string, CompiledRule[]>;
  /** Rules that match any event type. */
  any: CompiledRule[];
  /** Cache of merged lists per type. */
  merged: Map<string, CompiledRule[]>;
  /** Guard fields the rules of this source are indexed by (see {@link Guard}). */
  index: IndexField[];
  /** Candidate lists by event type, then each index field's value; bounded. */
  tree: IndexTree;
  /** Candidate lists in the tree. */
  cached: number;
}

/** A level of the candidate cache: value → next level, or the candidate list at the last level. */
type IndexTree = Map<unknown, unknown>;
/** Tree keys for a value not available, and for values that are not strings (they decide nothing). */
const UNSET = Symbol('unset');
const OTHER = Symbol('other');

interface IndexField {
  field: string;
  extract: Guard['extract'];
}

/** Fields guarding at least this many rules become index fields (at most MAX_INDEX_FIELDS of them). */
const MIN_GUARDED_RULES = 2;
const MAX_INDEX_FIELDS = 4;
/** Candidate lists cached per source; past it the cache starts over (hostile value spreads). */
const MAX_INDEX_KEYS = 4096;

export interface Match {
  rule: CompiledRule;
  event: RuntimeEvent;
}

export class Engine {
  private readonly buckets = new Map<string, Bucket>();
  readonly rules: CompiledRule[];
  private readonly firstOnly: boolean;
  readonly hostname: string;
  /** Events seen and rule matches, per rule. */
  readonly stats = { events: 0, matches: 0, byRule: new Map<string, number>() };

  constructor(rules: readonly CompiledRule[], options: EngineOptions = {}) {
    this.firstOnly = (options.match ?? 'first') === 'first';
    this.hostname = options.hostname ?? '';
    const minLevel = PRIORITIES.indexOf(options.minPriority ?? 'Debug');
    const disabled = new Set(options.disabledRules ?? []);
    const onlyTags =
      options.enabledTags && options.enabledTags.length > 0 ? new Set(options.enabledTags) : undefined;
    const offTags = new Set(options.disabledTags ?? []);
    const sources = options.sources ? new Set(options.sources) : undefined;
    this.rules = rules
      .filter(
        (r) =>
          r.enabled &&
          PRIORITIES.indexOf(r.priority) <= minLevel &&
          !disabled.has(r.name) &&
          (!onlyTags || r.tags.some((t) => onlyTags.has(t))) &&
          !r.tags.some((t) => offTags.has(t)) &&
          (!sources || sources.has(r.source)),
      )
      .sort((a, b) => a.order - b.order);
    for (const r of this.rules) {
      let b = this.buckets.get(r.source);
      if (!b) {
        b = { byType: new Map(), any: [], merged: new Map(), index: [], tree: new Map(), cached: 0 };
        this.buckets.set(r.source, b);
      }
      if (r.eventTypes === undefined) b.any.push(r);
      else
        for (const t of r.eventTypes) {
          const l = b.byType.get(t) ?? [];
          l.push(r);
          b.byType.set(t, l);
        }
    }
    this.buildIndexes();
  }

  private candidates(e: RuntimeEvent): CompiledRule[] {
    const b = this.buckets.get(e.source);
    if (!b) return [];
    let m: CompiledRule[] | undefined;
    if (b.byType.size === 0) m = b.any;
    else {
      m = b.merged.get(e.type);
      if (!m) {
        m = [...(b.byType.get(e.type) ?? []), ...b.any].sort((x, y) => x.order - y.order);
        b.merged.set(e.type, m);
      }
    }
    if (b.index.length === 0) return m;
    // Walk the cache tree by event type, then each index field's value (memoized: the
    // predicates read them again for free). Map keys compare exactly: no key strings to build.
    let node = b.tree;
    let k: unknown = e.type;
    for (const f of b.index) {
      let child = node.get(k) as IndexTree | undefined;
      if (child === undefined) {
        child = new Map();
        node.set(k, child);
      }
      node = child;
      const v = f.extract(e);
      k = v === undefined ? UNSET : typeof v === 'string' ? v : OTHER;
    }
    let c = node.get(k) as CompiledRule[] | undefined;
    if (c === undefined) {
      const values = b.index.map((f) => f.extract(e));
      c = m.filter((r) => admits(r, b.index, values));
      if (b.cached >= MAX_INDEX_KEYS) {
        b.tree = new Map();
        b.cached = 0;
      } else {
        node.set(k, c);
        b.cached++;
      }
    }
    return c;
  }

  /** The fields a source's rules are indexed by (most shared first). */
  indexFields(source: string): string[] {
    return (this.buckets.get(source)?.index ?? []).map((f) => f.field);
  }

  /** Picks the guard fields shared by the most rules of each source as its index. */
  private buildIndexes(): void {
    for (const b of this.buckets.values()) {
      const rules = new Set([...b.any, ...[...b.byType.values()].flat()]);
      const uses = new Map<string, { n: number; extract: Guard['extract'] }>();
      for (const r of rules)
        for (const g of r.guards) {
          const u = uses.get(g.field);
          if (u) u.n++;
          else uses.set(g.field, { n: 1, extract: g.extract });
        }
      b.index = [...uses]
        .filter(([, u]) => u.n >= MIN_GUARDED_RULES)
        .sort((x, y) => y[1].n - x[1].n || (x[0] < y[0] ? -1 : 1))
        .slice(0, MAX_INDEX_FIELDS)
        .map(([field, u]) => ({ field, extract: u.extract }));
    }
  }

  /** Evaluates one event; returns the matching rules (at most one unless match=all). */
  process(e: RuntimeEvent): Match[] {
    this.stats.events++;
    const out: Match[] = [];
    for (const r of this.candidates(e)) {
      if (!r.predicate(e)) continue;
      out.push({ rule: r, event: e });
      this.stats.matches++;
      this.stats.byRule.set(r.name, (this.stats.byRule.get(r.name) ?? 0) + 1);
      if (this.firstOnly) break;
    }
    return out;
  }

  /** What the output stage needs for one match. */
  alert(m: Match): AlertInput {
    return {
      rule: m.rule.name,
      priority: m.rule.priority,
      source: m.rule.source,
      tags: m.rule.tags,
      event: m.event,
      rendered: renderOutput(m.rule.output, m.event),
      hostname: this.hostname,
    };
  }
}

/** Whether a rule may match given the index fields' values: no guard of it excludes them. */
function admits(r: CompiledRule, index: readonly IndexField[], values: readonly FieldValue[]): boolean {
  for (const g of r.guards) {
    const i = index.findIndex((f) => f.field === g.field);
    if (i < 0) continue;
    const v = values[i];
    if (v === undefined) return false;
    if (typeof v === 'string' && !g.values.has(v)) return false;
  }
  return true;
}
