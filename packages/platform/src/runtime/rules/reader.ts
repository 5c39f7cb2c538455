/**
 * Reader: rules YAML → collector calls, following Falco's rule_loader::reader.
 * A file is a sequence of documents, each a sequence of maps (list, macro,
 * rule, required_engine_version, required_plugin_versions). The first
 * structural error stops the file (LOAD_ERR_YAML_VALIDATE with the item's
 * position), as Falco does.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Collector } from './collector.js';
import type { LoadContext, ResultBuilder } from './result.js';
import { RuleLoadError } from './result.js';
import type { ExceptionEntry, ExceptionInfo, PluginRequirement, RuleInfo, RuleUpdateInfo } from './types.js';
import { parsePriority } from './types.js';
import type { YNode } from './yaml-nodes.js';
import { NodeReader } from './yaml-nodes.js';

const RGX_IDENTIFIER = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;
const RGX_BARESTR = /^[^()"'\s=,]+$/;

const WARNING_APPEND =
  "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

/** Bound on one rules file (Falco has none; a 16 MiB rules file is already absurd). */
export const MAX_RULES_FILE_BYTES = 16 << 20;

const BOOL_TRUE = new Set(['true', 'yes', 'on', 'y']);
const BOOL_FALSE = new Set(['false', 'no', 'off', 'n']);

export class Reader {
  private r!: NodeReader;

  constructor(
    private readonly file: string,
    private readonly res: ResultBuilder,
    private readonly collector: Collector,
  ) {}

  private ctx(node: YNode, itemType: string, itemName: string): LoadContext {
    const p = this.r ? this.r.position(node) : { line: 0, column: 0 };
    return { itemType, itemName, file: this.file, ...p };
  }

  private fail(message: string, ctx: LoadContext): never {
    throw new RuleLoadError('LOAD_ERR_YAML_VALIDATE', message, ctx);
  }

  /** Reads one file; returns false when it had an error (recorded in the result). */
  read(text: string): boolean {
    const base: LoadContext = {
      itemType: 'rules content',
      itemName: '',
      file: this.file,
      line: 0,
      column: 0,
    };
    if (text.length > MAX_RULES_FILE_BYTES) {
      this.res.error('LOAD_ERR_FILE_READ', `rules file larger than ${MAX_RULES_FILE_BYTES} bytes`, base);
      return false;
    }
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
    const parsed = Array.isArray(docs) ? docs : [];
    for (const d of parsed) {
      const e = d.errors[0];
      if (e) {
        const p = lines.linePos(e.pos[0]);
        this.res.error('LOAD_ERR_YAML_PARSE', e.message.split('\n')[0] ?? e.message, {
          ...base,
          line: p.line,
          column: p.col,
        });
        return false;
      }
    }
    for (const d of parsed) {
      this.r = new NodeReader({ doc: d, lines, text });
      const root = d.contents as YNode;
      if (root === null || root === undefined || this.r.isNull(root)) continue;
      try {
        if (!this.r.isMap(root) && !this.r.isSeq(root)) this.fail('Rules content is not yaml', base);
        if (!this.r.isSeq(root)) this.fail('Rules content is not yaml array of objects', base);
        for (const item of this.r.items(root)) {
          if (item === null || item === undefined || this.r.isNull(item)) continue;
          this.readItem(item);
        }
      } catch (err) {
        if (err instanceof RuleLoadError) {
          this.res.error(err.code, err.message, err.ctx);
          return false;
        }
        this.res.error('LOAD_ERR_VALIDATE', err instanceof Error ? err.message : String(err), base);
        return false;
      }
    }
    return true;
  }

  // ---- decoding helpers (decode_val / decode_optional_val / decode_seq) ----

  private decodeScalar(item: YNode, key: string, ctx: LoadContext, optional: boolean): string | undefined {
    const val = this.r.get(item, key);
    if (val === undefined && optional) return undefined;
    if (val === undefined) this.fail(`Item has no mapping for key '${key}'`, ctx);
    if (this.r.isNull(val)) this.fail(`Mapping for key '${key}' is empty`, ctx);
    const vctx = { ...ctx, ...this.r.position(val) };
    if (!this.r.isScalar(val)) this.fail('Value is not a scalar value', vctx);
    const s = this.r.scalar(val);
    if (s === '') this.fail('Value must be non-empty', vctx);
    return s;
  }

  private str(item: YNode, key: string, ctx: LoadContext): string {
    return this.decodeScalar(item, key, ctx, false) as string;
  }

  private optStr(item: YNode, key: string, ctx: LoadContext): string | undefined {
    return this.decodeScalar(item, key, ctx, true);
  }

  private optBool(item: YNode, key: string, ctx: LoadContext): boolean | undefined {
    const s = this.decodeScalar(item, key, ctx, true);
    if (s === undefined) return undefined;
    return this.toBool(s, { ...ctx, ...this.r.position(this.r.get(item, key)) });
  }

  private bool(item: YNode, key: string, ctx: LoadContext): boolean {
    const s = this.str(item, key, ctx);
    return this.toBool(s, { ...ctx, ...this.r.position(this.r.get(item, key)) });
  }

  private toBool(s: string, ctx: LoadContext): boolean {
    const l = s.toLowerCase();
    if (BOOL_TRUE.has(l)) return true;
    if (BOOL_FALSE.has(l)) return false;
    return this.fail("Can't decode YAML scalar value", ctx);
  }

  private seq(item: YNode, key: string, ctx: LoadContext, optional: boolean): string[] | undefined {
    const val = this.r.get(item, key);
    if (val === undefined && optional) return undefined;
    if (val === undefined) this.fail(`Item has no mapping for key '${key}'`, ctx);
    const vctx = { ...ctx, ...this.r.position(val) };
    if (!this.r.isSeq(val)) this.fail('Value is not a sequence', vctx);
    const out: string[] = [];
    for (const v of this.r.items(val)) {
      if (!this.r.isScalar(v)) this.fail('sequence value is not scalar', { ...ctx, ...this.r.position(v) });
      out.push(this.r.scalar(v));
    }
    return out;
  }

  private overrides(
    item: YNode,
    appendable: ReadonlySet<string>,
    replaceable: ReadonlySet<string>,
    ctx: LoadContext,
  ): { append: Set<string>; replace: Set<string> } {
    const out = { append: new Set<string>(), replace: new Set<string>() };
    const val = this.r.get(item, 'override');
    if (val === undefined) return out;
    for (const [k, v] of this.r.mapPairs(val)) {
      const key = this.r.scalar(k);
      const op = this.r.scalar(v);
      const kctx = { ...ctx, ...this.r.position(k) };
      if (op === 'append') {
        if (!appendable.has(key))
          this.fail(`Key '${key}' cannot be appended to, use 'replace' instead`, kctx);
        out.append.add(key);
      } else if (op === 'replace') {
        if (!replaceable.has(key)) this.fail(`Key '${key}' cannot be replaced`, kctx);
        out.replace.add(key);
      } else {
        let allowed = '';
        if (appendable.has(key)) allowed += 'append ';
        if (replaceable.has(key)) allowed += 'replace ';
        this.fail(`Invalid override operation for key '${key}': '${op}'. Allowed values are: ${allowed}`, {
          ...ctx,
          ...this.r.position(v),
        });
      }
    }
    return out;
  }

  private exceptionEntry(val: YNode, ctx: LoadContext): ExceptionEntry {
    const out: ExceptionEntry = { isList: false, item: '', items: [] };
    if (this.r.isScalar(val)) {
      const s = this.r.scalar(val);
      if (s === '') this.fail('Value must be non-empty', ctx);
      out.item = s;
    }
    if (this.r.isSeq(val)) {
      out.isList = true;
      for (const v of this.r.items(val))
        out.items.push(this.exceptionEntry(v, { ...ctx, ...this.r.position(v) }));
    }
    return out;
  }

  private exceptions(item: YNode, parent: LoadContext, append: boolean): ExceptionInfo[] | undefined {
    const exs = this.r.get(item, 'exceptions');
    if (exs === undefined || this.r.isNull(exs)) return undefined;
    const exsCtx = { ...parent, ...this.r.position(exs) };
    if (!this.r.isSeq(exs)) this.fail('Rule exceptions must be a sequence', exsCtx);
    const out: ExceptionInfo[] = [];
    for (const ex of this.r.items(exs)) {
      const tmp = this.ctx(ex, 'exception', '');
      if (!this.r.isMap(ex)) this.fail('Rule exception must be a mapping', tmp);
      const name = this.str(ex, 'name', tmp);
      const exCtx = this.ctx(ex, 'exception', name);
      if (out.some((e) => e.name === name))
        this.fail('Exceptions names in the same object must be unique', exCtx);
      const info: ExceptionInfo = { name, values: [], ctx: exCtx };
      const fields = this.r.get(ex, 'fields');
      if (fields === undefined) {
        if (!append) this.fail("Item has no mapping for key 'fields'", exCtx);
      } else info.fields = this.exceptionEntry(fields, exCtx);
      const comps = this.r.get(ex, 'comps');
      if (comps !== undefined) info.comps = this.exceptionEntry(comps, exCtx);
      const vals = this.r.get(ex, 'values');
      if (vals !== undefined) {
        if (!this.r.isSeq(vals)) this.fail('Rule exception values must be a sequence', exCtx);
        for (const v of this.r.items(vals)) info.values.push(this.exceptionEntry(v, exCtx));
      } else if (append) {
        this.res.warn('LOAD_APPEND_NO_VALUES', 'Overriding/appending exception with no values', exCtx);
      }
      out.push(info);
    }
    return out;
  }

  // ---- items ----

  private readItem(item: YNode): void {
    if (!this.r.isMap(item))
      this.fail(
        'Unexpected element type. Each element should be a yaml associative array.',
        this.ctx(item, 'rules content item', ''),
      );
    if (this.r.has(item, 'required_engine_version')) return this.readEngineVersion(item);
    if (this.r.has(item, 'required_plugin_versions')) return this.readPluginVersions(item);
    if (this.r.has(item, 'list')) return this.readList(item);
    if (this.r.has(item, 'macro')) return this.readMacro(item);
    if (this.r.has(item, 'rule')) return this.readRule(item);
    this.res.warn('LOAD_UNKNOWN_ITEM', 'Unknown top level item', this.ctx(item, 'rules content item', ''));
  }

  private readEngineVersion(item: YNode): void {
    const ctx = this.ctx(item, 'required_engine_version', '');
    const raw = this.str(item, 'required_engine_version', ctx);
    this.collector.requireEngineVersion(raw, ctx);
  }

  private readPluginVersions(item: YNode): void {
    const node = this.r.get(item, 'required_plugin_versions');
    const ctx = this.ctx(node, 'required_plugin_versions', '');
    if (!this.r.isSeq(node)) this.fail('Value of required_plugin_versions must be a sequence', ctx);
    for (const plugin of this.r.items(node)) {
      const tmp = this.ctx(plugin, 'required_plugin_versions entry', '');
      if (!this.r.isMap(plugin)) this.fail('Plugin version must be a mapping', tmp);
      const name = this.str(plugin, 'name', tmp);
      const pctx = this.ctx(plugin, 'required_plugin_versions entry', name);
      const alternatives: PluginRequirement[] = [{ name, version: this.str(plugin, 'version', pctx) }];
      const alts = this.r.get(plugin, 'alternatives');
      if (alts !== undefined) {
        if (!this.r.isSeq(alts)) this.fail('Value of plugin version alternatives must be a sequence', pctx);
        for (const alt of this.r.items(alts)) {
          const actx = this.ctx(alt, 'required_plugin_versions alternative', '');
          if (!this.r.isMap(alt)) this.fail('Plugin version alternative must be a mapping', actx);
          const an = this.str(alt, 'name', actx);
          alternatives.push({ name: an, version: this.str(alt, 'version', { ...actx, itemName: an }) });
        }
      }
      this.collector.requirePlugins(alternatives, pctx);
    }
  }

  private readList(item: YNode): void {
    const name = this.str(item, 'list', this.ctx(item, 'list', ''));
    const ctx = this.ctx(item, 'list', name);
    if (!RGX_BARESTR.test(name))
      this.res.warn(
        'LOAD_INVALID_LIST_NAME',
        `List has an invalid name. List names should match a regular expression: ([^()"'[:space:]=,]+)`,
        ctx,
      );
    const items = this.seq(item, 'items', ctx, false) as string[];
    const append = this.optBool(item, 'append', ctx) ?? false;
    if (append) this.res.warn('LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx);
    const ov = this.overrides(item, new Set(['items']), new Set(['items']), ctx);
    if (append && (ov.append.size > 0 || ov.replace.size > 0)) this.fail(ERROR_OVERRIDE_APPEND, ctx);
    if (append || ov.append.has('items')) this.collector.appendList(name, items, ctx);
    else this.collector.defineList(name, items, ctx);
  }

  private readMacro(item: YNode): void {
    const name = this.str(item, 'macro', this.ctx(item, 'macro', ''));
    const ctx = this.ctx(item, 'macro', name);
    if (!RGX_IDENTIFIER.test(name))
      this.res.warn(
        'LOAD_INVALID_MACRO_NAME',
        'Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)',
        ctx,
      );
    const cond = this.str(item, 'condition', ctx);
    const condCtx = { ...this.ctx(this.r.get(item, 'condition'), 'macro condition', ''), itemName: '' };
    const append = this.optBool(item, 'append', ctx) ?? false;
    if (append) this.res.warn('LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx);
    const ov = this.overrides(item, new Set(['condition']), new Set(['condition']), ctx);
    if (append && (ov.append.size > 0 || ov.replace.size > 0)) this.fail(ERROR_OVERRIDE_APPEND, ctx);
    if (append || ov.append.has('condition')) this.collector.appendMacro(name, cond, ctx, condCtx);
    else this.collector.defineMacro(name, cond, ctx, condCtx);
  }

  private priority(item: YNode, ctx: LoadContext): NonNullable<RuleUpdateInfo['priority']> {
    const s = this.str(item, 'priority', ctx);
    const p = parsePriority(s);
    if (!p) this.fail('Invalid priority', { ...ctx, ...this.r.position(this.r.get(item, 'priority')) });
    return p;
  }

  private readRule(item: YNode): void {
    const name = this.str(item, 'rule', this.ctx(item, 'rule', ''));
    const ctx = this.ctx(item, 'rule', name);
    const hasAppend = this.optBool(item, 'append', ctx) ?? false;
    if (hasAppend) this.res.warn('LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx);
    const appendable = new Set(['condition', 'output', 'desc', 'tags', 'exceptions']);
    const replaceable = new Set([
      'condition',
      'output',
      'desc',
      'priority',
      'tags',
      'exceptions',
      'enabled',
      'warn_evttypes',
      'skip-if-unknown-filter',
    ]);
    const ov = this.overrides(item, appendable, replaceable, ctx);
    const hasOverrides = ov.append.size > 0 || ov.replace.size > 0;
    if (hasAppend && hasOverrides) this.fail(ERROR_OVERRIDE_APPEND, ctx);
    const condCtx = this.ctx(this.r.get(item, 'condition'), 'rule condition', '');

    if (hasOverrides) {
      const expected = new Set<string>();
      for (const k of new Set([...appendable, ...replaceable])) if (this.r.has(item, k)) expected.add(k);
      const take = (set: Set<string>, kind: string, key: string): boolean => {
        if (!set.has(key)) return false;
        if (!expected.has(key))
          this.fail(`An ${kind} override for '${key}' was specified but '${key}' is not defined`, ctx);
        expected.delete(key);
        return true;
      };
      for (const [kind, set] of [
        ['append', ov.append],
        ['replace', ov.replace],
      ] as const) {
        if (set.size === 0) continue;
        const u: RuleUpdateInfo = { name, ctx };
        if (take(set, kind, 'condition')) u.cond = this.str(item, 'condition', ctx);
        if (take(set, kind, 'exceptions')) u.exceptions = this.exceptions(item, ctx, true) ?? [];
        if (take(set, kind, 'output')) u.output = this.str(item, 'output', ctx);
        if (take(set, kind, 'desc')) u.desc = this.str(item, 'desc', ctx);
        if (take(set, kind, 'tags')) u.tags = this.seq(item, 'tags', ctx, true) ?? [];
        if (kind === 'replace') {
          if (take(set, kind, 'priority')) u.priority = this.priority(item, ctx);
          if (take(set, kind, 'enabled')) u.enabled = this.bool(item, 'enabled', ctx);
          if (take(set, kind, 'warn_evttypes')) u.warnEvttypes = this.bool(item, 'warn_evttypes', ctx);
          if (take(set, kind, 'skip-if-unknown-filter'))
            u.skipIfUnknownFilter = this.bool(item, 'skip-if-unknown-filter', ctx);
          this.collector.replaceRule(u);
        } else this.collector.appendRule(u);
      }
      for (const key of expected)
        this.fail(`Unexpected key '${key}': no corresponding entry under 'override' is defined.`, {
          ...ctx,
          ...this.r.position(this.r.get(item, key)),
        });
      return;
    }

    if (hasAppend) {
      const u: RuleUpdateInfo = { name, ctx };
      if (this.r.has(item, 'condition')) u.cond = this.str(item, 'condition', ctx);
      if (this.r.has(item, 'exceptions')) {
        const ex = this.exceptions(item, ctx, true);
        if (ex) u.exceptions = ex;
      }
      this.collector.appendRule(u, condCtx);
      return;
    }

    if (
      !this.r.has(item, 'condition') &&
      !this.r.has(item, 'output') &&
      !this.r.has(item, 'desc') &&
      !this.r.has(item, 'priority')
    ) {
      const enabled = this.bool(item, 'enabled', ctx);
      this.res.warn('LOAD_DEPRECATED_ITEM', WARNING_ENABLED, ctx);
      this.collector.enableRule(name, enabled, ctx);
      return;
    }

    const cond = this.str(item, 'condition', ctx);
    const output = this.str(item, 'output', ctx).trim();
    const outputCtx = this.ctx(this.r.get(item, 'output'), 'rule output', '');
    const desc = this.str(item, 'desc', ctx);
    const priority = this.priority(item, ctx);
    const info: RuleInfo = {
      name,
      cond,
      output,
      desc,
      priority,
      source: this.optStr(item, 'source', ctx) ?? 'syscall',
      enabled: this.optBool(item, 'enabled', ctx) ?? true,
      warnEvttypes: this.optBool(item, 'warn_evttypes', ctx) ?? true,
      skipIfUnknownFilter: this.optBool(item, 'skip-if-unknown-filter', ctx) ?? false,
      tags: this.seq(item, 'tags', ctx, true) ?? [],
      exceptions: this.exceptions(item, ctx, false) ?? [],
      unknownSource: false,
      ctx,
      condCtx,
      outputCtx,
      index: 0,
      visibility: 0,
    };
    this.collector.defineRule(info);
  }
}
