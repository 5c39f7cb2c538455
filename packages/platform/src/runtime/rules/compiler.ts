/**
 * Compiler: collected lists, macros and rules → compiled rules, with Falco's
 * rule_loader::compiler semantics:
 *  - list items naming an earlier list expand to its items; lists are then
 *    substituted textually into conditions (a list name between delimiters
 *    becomes its quoted, comma-separated items), with no visibility order;
 *  - macros are parsed after list substitution and resolved with visibility:
 *    a macro sees macros first defined before its last (re)definition; rules
 *    see every macro; reference loops are errors;
 *  - rule exceptions become `and not (...)` clauses on the condition;
 *  - the output is validated before the condition; skip-if-unknown-filter
 *    downgrades unknown fields and event types to LOAD_UNKNOWN_FIELD warnings;
 *  - unused macros and lists get LOAD_UNUSED_MACRO / LOAD_UNUSED_LIST.
 */
import type { Expr } from '../filter/ast.js';
import { compileFilter, FilterCompileError } from '../filter/compile.js';
import { FilterSyntaxError, parseFilter, supportedOperators } from '../filter/parser.js';
import type { EventSourceDef } from '../fields/types.js';
import type { CompiledOutput } from '../output.js';
import { compileOutput, OutputFormatError } from '../output.js';
import type { Collector } from './collector.js';
import type { LoadContext, ResultBuilder } from './result.js';
import { RuleLoadError } from './result.js';
import type { ExceptionInfo, Priority } from './types.js';
import type { Guard, Predicate } from '../filter/compile.js';

export interface CompiledRule {
  name: string;
  desc: string;
  source: string;
  priority: Priority;
  tags: string[];
  enabled: boolean;
  /** Definition order (Falco evaluates rules in this order). */
  order: number;
  /** The condition after exceptions were added (before list/macro substitution). */
  condition: string;
  predicate: Predicate;
  /** evt.type values the rule can match; undefined = all (non-syscall sources). */
  eventTypes: ReadonlySet<string> | undefined;
  /** Necessary single-field checks of the condition (the engine's index). */
  guards: Guard[];
  output: CompiledOutput;
}

export interface CompileOutput {
  rules: CompiledRule[];
  lists: number;
  macros: number;
}

/** Bound on the size of a condition after macro expansion (hostile rule files). */
export const MAX_EXPANDED_NODES = 1_000_000;

const quoteItem = (e: string): string => (e.includes(' ') && e[0] !== '"' && e[0] !== "'" ? `"${e}"` : e);
const parenItem = (e: string): string => (e[0] !== '(' ? `(${e})` : e);

const BLANKS = ' \t\n\r';
const DELIMS = `${BLANKS}(),=`;

/** Falco's resolve_list: textual substitution of a list name by its items. */
export function resolveList(
  cnd: string,
  name: string,
  items: readonly string[],
): { cnd: string; used: boolean } {
  let used = false;
  let start = cnd.indexOf(name);
  while (start >= 0) {
    let end = start + name.length;
    if (
      (start === 0 || DELIMS.includes(cnd[start - 1] as string)) &&
      (end >= cnd.length || DELIMS.includes(cnd[end] as string))
    ) {
      while (start > 0 && BLANKS.includes(cnd[start - 1] as string)) start--;
      while (end < cnd.length && BLANKS.includes(cnd[end] as string)) end++;
      const sub = items.map(quoteItem).join(', ');
      if (sub === '') {
        if (start > 0 && cnd[start - 1] === ',') start--;
        else if (end < cnd.length && cnd[end] === ',') end++;
      }
      let next = '';
      if (start > 0) next += `${cnd.slice(0, start)} `;
      next += `${sub} `;
      if (end <= cnd.length) next += cnd.slice(end);
      cnd = next;
      start += sub.length + 1;
      used = true;
    }
    start = cnd.indexOf(name, start + 1);
  }
  return { cnd, used };
}

/** Falco's build_rule_exception_infos: appends `and not (...)` for each exception. */
export function applyExceptions(condition: string, exceptions: readonly ExceptionInfo[]): string {
  let cond = `(${condition})`;
  const listOps = supportedOperators(true);
  for (const ex of exceptions) {
    const fields = ex.fields;
    if (!fields) continue;
    let icond = '';
    if (!fields.isList) {
      for (const val of ex.values) {
        if (val.isList)
          throw new RuleLoadError(
            'LOAD_ERR_VALIDATE',
            'Expected values array to contain a list of strings',
            ex.ctx,
          );
        icond += icond === '' ? `(${fields.item} ${ex.comps?.item ?? 'in'} (` : ', ';
        icond += quoteItem(val.item);
      }
      icond += icond === '' ? '' : '))';
    } else {
      icond = '(';
      for (const values of ex.values) {
        if (fields.items.length !== values.items.length)
          throw new RuleLoadError(
            'LOAD_ERR_VALIDATE',
            'Fields and values lists must have equal length',
            ex.ctx,
          );
        icond += icond === '(' ? '' : ' or ';
        icond += '(';
        fields.items.forEach((field, k) => {
          icond += k === 0 ? '' : ' and ';
          const v = values.items[k];
          const comp = ex.comps?.items[k]?.item ?? '=';
          let istr: string;
          if (v?.isList) istr = `(${v.items.map((x) => quoteItem(x.item)).join(', ')})`;
          else {
            istr = v?.item ?? '';
            istr = listOps.includes(comp) ? parenItem(istr) : quoteItem(istr);
          }
          icond += ` ${field.item} ${comp} ${istr}`;
        });
        icond += ')';
      }
      icond += ')';
      if (icond === '()') icond = '';
    }
    cond += icond === '' ? '' : ` and not ${icond}`;
  }
  return cond;
}

const UNKNOWN_RE = /nonexistent field|invalid formatting token|unknown event type|unknown filter:/;

interface MacroEntry {
  name: string;
  index: number;
  visibility: number;
  ast: Expr;
  ctx: LoadContext;
  resolved?: Expr;
  resolving?: boolean;
  used: boolean;
}

export class RulesCompiler {
  private lists = new Map<string, { items: string[]; used: boolean; ctx: LoadContext }>();
  private macros = new Map<string, MacroEntry>();
  private expanded = 0;

  constructor(
    private readonly collector: Collector,
    private readonly sources: ReadonlyMap<string, EventSourceDef>,
    private readonly res: ResultBuilder,
  ) {}

  compile(): CompileOutput | undefined {
    try {
      this.compileLists();
      this.compileMacros();
      const rules = this.compileRules();
      for (const m of this.macros.values())
        if (!m.used)
          this.res.warn('LOAD_UNUSED_MACRO', 'Macro not referred to by any other rule/macro', m.ctx);
      for (const [, l] of this.lists)
        if (!l.used) this.res.warn('LOAD_UNUSED_LIST', 'List not referred to by any other rule/macro', l.ctx);
      return { rules, lists: this.lists.size, macros: this.macros.size };
    } catch (err) {
      if (err instanceof RuleLoadError) {
        this.res.error(err.code, err.message, err.ctx);
        return undefined;
      }
      throw err;
    }
  }

  private compileLists(): void {
    const used: string[] = [];
    const infos = this.collector.lists.byName;
    for (const list of this.collector.lists.values) {
      const items: string[] = [];
      for (const item of list.items) {
        const ref = infos.get(item);
        if (ref && ref.index < list.visibility) {
          used.push(ref.name);
          items.push(...ref.items);
        } else items.push(item);
      }
      this.lists.set(list.name, { items, used: false, ctx: list.ctx });
    }
    for (const n of used) {
      const l = this.lists.get(n);
      if (l) l.used = true;
    }
  }

  /** Substitutes lists and parses; syntax errors are LOAD_ERR_COMPILE_CONDITION. */
  private parseCondition(condition: string, ctx: LoadContext): Expr {
    let cnd = condition;
    for (const [name, l] of this.lists) {
      const r = resolveList(cnd, name, l.items);
      if (r.used) {
        cnd = r.cnd;
        l.used = true;
      }
    }
    try {
      return parseFilter(cnd);
    } catch (e) {
      if (e instanceof FilterSyntaxError)
        throw new RuleLoadError('LOAD_ERR_COMPILE_CONDITION', e.message, withConditionPos(ctx, e.pos));
      throw e;
    }
  }

  private compileMacros(): void {
    for (const m of this.collector.macros.values) {
      const ast = this.parseCondition(m.cond, { ...m.ctx });
      this.macros.set(m.name, {
        name: m.name,
        index: m.index,
        visibility: m.visibility,
        ast,
        ctx: m.ctx,
        used: false,
      });
    }
    for (const m of this.macros.values()) this.resolveMacro(m);
  }

  private resolveMacro(m: MacroEntry): Expr {
    if (m.resolved) return m.resolved;
    if (m.resolving)
      throw new RuleLoadError('LOAD_ERR_VALIDATE', `reference loop in macro '${m.name}'`, m.ctx);
    m.resolving = true;
    try {
      m.resolved = this.substitute(m.ast, m.visibility, m.ctx);
      return m.resolved;
    } finally {
      m.resolving = false;
    }
  }

  /** Replaces macro references visible at `visibility` by their resolved trees. */
  private substitute(e: Expr, visibility: number, ctx: LoadContext): Expr {
    if (++this.expanded > MAX_EXPANDED_NODES)
      throw new RuleLoadError(
        'LOAD_ERR_VALIDATE',
        `condition expands to more than ${MAX_EXPANDED_NODES} nodes`,
        ctx,
      );
    switch (e.kind) {
      case 'and':
      case 'or':
        return { ...e, children: e.children.map((c) => this.substitute(c, visibility, ctx)) };
      case 'not':
        return { ...e, child: this.substitute(e.child, visibility, ctx) };
      case 'identifier': {
        const m = this.macros.get(e.name);
        if (!m || m.index >= visibility)
          throw new RuleLoadError(
            'LOAD_ERR_VALIDATE',
            `Undefined macro '${e.name}' used in filter.`,
            withConditionPos(ctx, e.pos),
          );
        m.used = true;
        return this.resolveMacro(m);
      }
      default:
        return e;
    }
  }

  private compileRules(): CompiledRule[] {
    const out: CompiledRule[] = [];
    for (const r of this.collector.rules.values) {
      if (r.unknownSource) continue;
      const source = this.sources.get(r.source);
      if (!source) continue;
      const condition = r.exceptions.length > 0 ? applyExceptions(r.cond, r.exceptions) : r.cond;

      let output: CompiledOutput;
      try {
        output = compileOutput(r.output, source);
      } catch (e) {
        if (!(e instanceof OutputFormatError)) throw e;
        if (UNKNOWN_RE.test(e.message) && r.skipIfUnknownFilter) {
          this.res.warn('LOAD_UNKNOWN_FIELD', e.message, r.outputCtx);
          continue;
        }
        throw new RuleLoadError('LOAD_ERR_COMPILE_OUTPUT', e.message, {
          ...r.outputCtx,
          itemType: 'rule',
          itemName: r.name,
        });
      }

      const ruleCtx = { ...r.condCtx, itemType: 'rule', itemName: r.name };
      const parsed = this.parseCondition(condition, ruleCtx);
      this.expanded = 0;
      const ast = this.substitute(parsed, Number.MAX_SAFE_INTEGER, r.ctx);
      let compiled;
      try {
        compiled = compileFilter(ast, source);
      } catch (e) {
        if (!(e instanceof FilterCompileError)) throw e;
        if (UNKNOWN_RE.test(e.message) && r.skipIfUnknownFilter) {
          this.res.warn('LOAD_UNKNOWN_FIELD', e.message, withConditionPos(ruleCtx, e.pos));
          continue;
        }
        if (e.message.startsWith('Undefined macro'))
          throw new RuleLoadError('LOAD_ERR_VALIDATE', e.message, withConditionPos(ruleCtx, e.pos));
        throw new RuleLoadError('LOAD_ERR_COMPILE_CONDITION', e.message, withConditionPos(ruleCtx, e.pos));
      }
      for (const w of compiled.warnings) this.res.warn(w.code, w.message, withConditionPos(ruleCtx, w.pos));
      const types = compiled.eventTypes;
      // Falco counts event codes (an enter and an exit event per syscall) and warns above 100.
      if (types && r.warnEvttypes && (types.size === 0 || types.size * 2 > 100))
        this.res.warn(
          'LOAD_NO_EVTTYPE',
          'Rule matches too many evt.type values. This has a significant performance penalty.',
          r.ctx,
        );
      out.push({
        name: r.name,
        desc: r.desc,
        source: r.source,
        priority: r.priority,
        tags: [...new Set(r.tags)].sort(),
        enabled: r.enabled,
        order: r.index,
        condition,
        predicate: compiled.predicate,
        eventTypes: types && types.size * 2 > 100 ? undefined : types,
        guards: compiled.guards,
        output,
      });
    }
    return out;
  }
}

/** Adds the position inside the condition to a context's message location. */
function withConditionPos(ctx: LoadContext, pos: { line: number; col: number }): LoadContext {
  return { ...ctx, conditionLine: pos.line, conditionColumn: pos.col };
}
