/**
 * Collector: accumulates lists, macros and rules across files in definition
 * order, applying redefinitions, appends, replaces and `enabled` toggles as
 * Falco's rule_loader::collector does. A redefinition keeps the first
 * definition's index (its place in the order) and takes a new visibility.
 */
import type { EventSourceDef } from '../fields/types.js';
import { lookupField } from '../filter/compile.js';
import { supportedOperators } from '../filter/parser.js';
import type { LoadContext, ResultBuilder } from './result.js';
import { RuleLoadError } from './result.js';
import type {
  ExceptionInfo,
  ListInfo,
  MacroInfo,
  PluginRequirement,
  RuleInfo,
  RuleUpdateInfo,
} from './types.js';

/** The rules engine version Palisade implements (Falco's semver engine version scheme). */
export const ENGINE_VERSION = '0.58.0';

/** Plugins whose fields Palisade provides, with the version it is compatible with. */
export const KNOWN_PLUGINS: Readonly<Record<string, string>> = {
  k8saudit: '0.18.0',
  'k8saudit-eks': '0.12.0',
  'k8saudit-gke': '0.9.0',
  'k8saudit-aks': '0.6.0',
  'k8saudit-ovh': '0.1.0',
  json: '0.7.0',
};

const fail = (message: string, ctx: LoadContext): never => {
  throw new RuleLoadError('LOAD_ERR_VALIDATE', message, ctx);
};

type Semver = [number, number, number];

function parseSemver(s: string): Semver | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

const cmp = (a: Semver, b: Semver): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Same major, and at least the required version. */
const compatible = (have: Semver, need: Semver): boolean => have[0] === need[0] && cmp(have, need) >= 0;

class Ordered<T extends { name: string; index: number; visibility: number }> {
  readonly byName = new Map<string, T>();
  get values(): T[] {
    return [...this.byName.values()].sort((a, b) => a.index - b.index);
  }
}

export class Collector {
  private cur = 0;
  readonly lists = new Ordered<ListInfo>();
  readonly macros = new Ordered<MacroInfo>();
  readonly rules = new Ordered<RuleInfo>();
  readonly requiredPlugins: PluginRequirement[][] = [];
  requiredEngineVersion: string | undefined;
  res!: ResultBuilder;

  constructor(private readonly sources: ReadonlyMap<string, EventSourceDef>) {}

  private define<T extends { name: string; index: number; visibility: number }>(
    o: Ordered<T>,
    info: T,
  ): void {
    const prev = o.byName.get(info.name);
    const id = this.cur++;
    if (prev) {
      info.index = prev.index;
      info.visibility = id;
    } else {
      info.index = id;
      info.visibility = id;
    }
    o.byName.set(info.name, info);
  }

  requireEngineVersion(raw: string, ctx: LoadContext): void {
    let need: Semver | undefined;
    if (/^\d+$/.test(raw)) need = [0, Number(raw), 0];
    else need = parseSemver(raw);
    if (!need) throw new RuleLoadError('LOAD_ERR_YAML_VALIDATE', "Can't decode YAML scalar value", ctx);
    const have = parseSemver(ENGINE_VERSION) as Semver;
    if (!compatible(have, need))
      fail(`Rules require engine version ${raw}, but engine version is ${ENGINE_VERSION}`, ctx);
    const prev = this.requiredEngineVersion ? parseSemver(this.requiredEngineVersion) : undefined;
    if (!prev || cmp(prev, need) < 0) this.requiredEngineVersion = need.join('.');
  }

  requirePlugins(alternatives: PluginRequirement[], ctx: LoadContext): void {
    const seen = new Set<string>();
    for (const r of alternatives) {
      if (!parseSemver(r.version))
        fail(`Invalid required version '${r.version}' for plugin '${r.name}'`, ctx);
      if (seen.has(r.name))
        fail(`Defined multiple alternative version requirements for plugin '${r.name}'`, ctx);
      seen.add(r.name);
    }
    // A requirement on a plugin Palisade emulates must be one we satisfy.
    const known = alternatives.filter((r) => KNOWN_PLUGINS[r.name] !== undefined);
    if (
      known.length > 0 &&
      !known.some((r) =>
        compatible(parseSemver(KNOWN_PLUGINS[r.name] as string) as Semver, parseSemver(r.version) as Semver),
      )
    ) {
      const first = known[0] as PluginRequirement;
      fail(
        `Plugin '${first.name}' version '${KNOWN_PLUGINS[first.name] ?? ''}' is not compatible with required plugin version '${first.version}'`,
        ctx,
      );
    }
    this.requiredPlugins.push(alternatives);
  }

  defineList(name: string, items: string[], ctx: LoadContext): void {
    this.define(this.lists, { name, items, ctx, index: 0, visibility: 0 });
  }

  appendList(name: string, items: string[], ctx: LoadContext): void {
    const prev = this.lists.byName.get(name);
    if (!prev) fail("List has 'append' key but no list by that name already exists", ctx);
    else {
      prev.items = [...prev.items, ...items];
      prev.visibility = this.cur++;
    }
  }

  defineMacro(name: string, cond: string, ctx: LoadContext, condCtx: LoadContext): void {
    this.define(this.macros, { name, cond, ctx, condCtx, index: 0, visibility: 0 });
  }

  appendMacro(name: string, cond: string, ctx: LoadContext, _condCtx: LoadContext): void {
    const prev = this.macros.byName.get(name);
    if (!prev) fail("Macro has 'append' key but no macro by that name already exists", ctx);
    else {
      prev.cond = `${prev.cond} ${cond}`;
      prev.visibility = this.cur++;
    }
  }

  defineRule(info: RuleInfo): void {
    const prev = this.rules.byName.get(info.name);
    if (prev && prev.source !== info.source)
      fail('Rule has been re-defined with a different source', info.ctx);
    const source = this.sources.get(info.source);
    if (!source) {
      info.unknownSource = true;
      this.res.warn('LOAD_UNKNOWN_SOURCE', `Unknown source ${info.source}, skipping`, info.ctx);
    }
    for (const ex of info.exceptions) {
      if (!ex.fields) fail('Rule exception item must have fields property with a list of fields', ex.ctx);
      validateException(source, ex);
    }
    this.define(this.rules, info);
  }

  appendRule(u: RuleUpdateInfo, condCtx?: LoadContext): void {
    const prev = this.rules.byName.get(u.name);
    if (!prev) return fail("Rule has 'append' key but no rule by that name already exists", u.ctx);
    const hasAny =
      u.cond !== undefined ||
      u.output !== undefined ||
      u.desc !== undefined ||
      u.tags !== undefined ||
      u.exceptions !== undefined;
    if (!hasAny) fail('Appended rule must have exceptions or condition property', u.ctx);
    const source = prev.unknownSource ? undefined : this.sources.get(prev.source);
    if (u.cond) prev.cond = `${prev.cond} ${u.cond}`;
    if (condCtx && u.cond) prev.condCtx = prev.condCtx ?? condCtx;
    if (u.output) prev.output = `${prev.output} ${u.output}`;
    if (u.desc) prev.desc = `${prev.desc} ${u.desc}`;
    if (u.tags) for (const t of u.tags) if (!prev.tags.includes(t)) prev.tags.push(t);
    for (const ex of u.exceptions ?? []) {
      const existing = prev.exceptions.find((e) => e.name === ex.name);
      if (!existing) {
        if (!ex.fields) fail('Rule exception must have fields property with a list of fields', ex.ctx);
        if (ex.values.length === 0)
          fail('Rule exception must have values property with a list of values', ex.ctx);
        validateException(source, ex);
        prev.exceptions.push(ex);
      } else {
        if (ex.fields) fail('Can not append exception fields to existing exception, only values', ex.ctx);
        if (ex.comps) fail('Can not append exception comps to existing exception, only values', ex.ctx);
        existing.values.push(...ex.values);
      }
    }
    prev.visibility = this.cur++;
  }

  replaceRule(u: RuleUpdateInfo): void {
    const prev = this.rules.byName.get(u.name);
    if (!prev)
      return fail(
        "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
        u.ctx,
      );
    if (u.cond !== undefined) prev.cond = u.cond;
    if (u.output !== undefined) prev.output = u.output;
    if (u.desc !== undefined) prev.desc = u.desc;
    if (u.tags !== undefined) prev.tags = u.tags;
    if (u.exceptions !== undefined) {
      const source = prev.unknownSource ? undefined : this.sources.get(prev.source);
      for (const ex of u.exceptions) {
        if (!ex.fields) fail('Rule exception must have fields property with a list of fields', ex.ctx);
        validateException(source, ex);
      }
      prev.exceptions = u.exceptions;
    }
    if (u.priority !== undefined) prev.priority = u.priority;
    if (u.enabled !== undefined) prev.enabled = u.enabled;
    if (u.warnEvttypes !== undefined) prev.warnEvttypes = u.warnEvttypes;
    if (u.skipIfUnknownFilter !== undefined) prev.skipIfUnknownFilter = u.skipIfUnknownFilter;
    prev.visibility = this.cur++;
  }

  enableRule(name: string, enabled: boolean, ctx: LoadContext): void {
    const prev = this.rules.byName.get(name);
    if (!prev) return fail("Rule has 'enabled' key but no rule by that name already exists", ctx);
    prev.enabled = enabled;
  }
}

/** A field named in an exception may carry an argument (`proc.aname[2]`). */
function knownField(source: EventSourceDef, name: string): boolean {
  const m = /^([^[]+)(?:\[(.*)\])?$/.exec(name);
  return !!m && lookupField(source, m[1] as string) !== undefined;
}

function validateException(source: EventSourceDef | undefined, ex: ExceptionInfo): void {
  const fields = ex.fields;
  if (!fields) return;
  const ops = supportedOperators();
  if (fields.isList) {
    if (!ex.comps)
      ex.comps = {
        isList: true,
        item: '',
        items: fields.items.map(() => ({ isList: false, item: '=', items: [] })),
      };
    if (fields.items.length !== ex.comps.items.length)
      fail('Fields and comps lists must have equal length', ex.ctx);
    for (const c of ex.comps.items)
      if (!ops.includes(c.item)) fail(`'${c.item}' is not a supported comparison operator`, ex.ctx);
    if (source)
      for (const f of fields.items)
        if (!knownField(source, f.item)) fail(`'${f.item}' is not a supported filter field`, ex.ctx);
  } else {
    if (!ex.comps) ex.comps = { isList: false, item: 'in', items: [] };
    if (ex.comps.isList) fail('Fields and comps must both be strings', ex.ctx);
    if (!['in', 'pmatch', 'intersects'].includes(ex.comps.item))
      fail('When fields is a single value, comps must be one of (in, pmatch, intersects)', ex.ctx);
    if (source && !knownField(source, fields.item))
      fail(`'${fields.item}' is not a supported filter field`, ex.ctx);
  }
}
