/**
 * Alert rendering exactly as Falco prints it:
 *   text:  `<evt.time>: <Priority> <output>` (time as HH:MM:SS.nnnnnnnnn, local, or ISO 8601)
 *   json:  {"hostname","output","output_fields","priority","rule","source","tags","time"}
 *          keys sorted (as nlohmann::json writes them), `time` in ISO 8601 UTC with
 *          nanoseconds, missing fields `null` in output_fields and `<NA>` in the text.
 * Output formats are compiled once per rule: `%field` and `%field[arg]` tokens
 * resolved against the source's field table.
 */
import type { EventSourceDef, FieldValue, RuntimeEvent } from './fields/types.js';
import { FieldError, formatValue, memoized } from './fields/types.js';
import { lookupField } from './filter/compile.js';
import { clockTime, iso8601 } from './fields/time.js';

interface Token {
  /** Literal text before the field. */
  text: string;
  field?: { name: string; extract: (e: RuntimeEvent) => FieldValue };
  /** Index of the field in `sortedFields` (-1 for the trailing literal). */
  slot: number;
}

export class OutputFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputFormatError';
  }
}

export interface CompiledOutput {
  /** The format as written. */
  format: string;
  tokens: Token[];
  /** Field names referenced, in order of first use. */
  fields: string[];
  /** The referenced fields once each, sorted by name (the key order of Falco's output_fields). */
  sortedFields: { name: string; extract: (e: RuntimeEvent) => FieldValue }[];
}

const FIELD_CHARS = /[a-zA-Z0-9_.]/;

/** Compiles an output format; throws OutputFormatError("invalid formatting token X") for unknown fields. */
export function compileOutput(format: string, source: EventSourceDef): CompiledOutput {
  const tokens: Token[] = [];
  const fields: string[] = [];
  const sortedFields: CompiledOutput['sortedFields'] = [];
  let text = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c !== '%') {
      text += c;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      text += '%';
      i += 2;
      continue;
    }
    let j = i + 1;
    while (j < format.length && FIELD_CHARS.test(format[j] as string)) j++;
    let name = format.slice(i + 1, j);
    let arg: string | undefined;
    if (format[j] === '[') {
      const close = format.indexOf(']', j);
      if (close > j) {
        arg = format.slice(j + 1, close);
        j = close + 1;
      }
    }
    if (name.endsWith('.')) {
      name = name.slice(0, -1);
      j--;
    }
    const def = name.includes('.') ? lookupField(source, name) : undefined;
    if (!def) throw new OutputFormatError(`invalid formatting token ${name}`);
    let extract: (e: RuntimeEvent) => FieldValue;
    try {
      extract = def.extractor(arg);
    } catch (e) {
      if (e instanceof FieldError) throw new OutputFormatError(e.message);
      throw e;
    }
    const full = arg === undefined ? name : `${name}[${arg}]`;
    extract = memoized(source.name, full, extract);
    const field = { name: full, extract };
    if (!fields.includes(full)) {
      fields.push(full);
      sortedFields.push(field);
    }
    tokens.push({ text, field, slot: -1 });
    text = '';
    i = j;
  }
  if (text) tokens.push({ text, slot: -1 });
  sortedFields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // each field slot of the format points at its field's place in sortedFields: one extraction and
  // one rendering per field serve both the text and output_fields
  for (const t of tokens) if (t.field) t.slot = sortedFields.findIndex((f) => f.name === t.field?.name);
  return { format, tokens, fields, sortedFields };
}

export interface RenderedOutput {
  output: string;
  fields: Record<string, string | null>;
}

/**
 * Renders a compiled output for an event. `fields` has its keys in sorted order
 * (what Falco's JSON output writes), so the JSON line needs no re-sorting.
 */
export function renderOutput(out: CompiledOutput, e: RuntimeEvent): RenderedOutput {
  const sorted = out.sortedFields;
  const texts: string[] = new Array<string>(sorted.length);
  const fields: Record<string, string | null> = {};
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i] as CompiledOutput['sortedFields'][number];
    const v = f.extract(e);
    if (v === undefined) {
      texts[i] = '<NA>';
      fields[f.name] = null;
    } else fields[f.name] = texts[i] = typeof v === 'string' ? v : formatValue(v);
  }
  let s = '';
  for (const t of out.tokens) s += t.slot >= 0 ? t.text + (texts[t.slot] as string) : t.text;
  return { output: s, fields };
}

export interface AlertInput {
  rule: string;
  priority: string;
  source: string;
  tags: readonly string[];
  event: RuntimeEvent;
  rendered: RenderedOutput;
  hostname: string;
}

export interface AlertFormatOptions {
  /** Falco's time_format_iso_8601 setting. */
  timeIso8601?: boolean;
}

/** The text line Falco prints (`<time>: <Priority> <output>`). */
export function alertText(a: AlertInput, opts: AlertFormatOptions = {}): string {
  const t = opts.timeIso8601 ? iso8601Offset(a.event) : clockTime(a.event.sec, a.event.nsec);
  return `${t}: ${a.priority} ${a.rendered.output}`;
}

/**
 * Falco's JSON alert line (keys in the order Falco writes them), byte for byte what
 * JSON.stringify writes for {hostname, output, output_fields, priority, rule, source, tags, time}
 * (see {@link alertJsonReference}), built from parts: the fragments that are the same for every
 * alert of a rule are written once per rule, and each per-event string is escaped on its own,
 * without JSON.stringify when it has nothing to escape.
 */
export function alertJson(a: AlertInput, opts: AlertFormatOptions = {}): string {
  const c = ruleFragments(a);
  // renderOutput's records come in key order: written in one pass, a sorted copy otherwise
  let f = fieldsJson(a.rendered.fields, true);
  if (f === undefined) f = fieldsJson(sortedKeys(a.rendered.fields), false);
  return (
    c.head +
    jsonString(alertText(a, opts)) +
    ',"output_fields":{' +
    f +
    c.tail +
    iso8601(a.event.sec, a.event.nsec) +
    '"}'
  );
}

/** output_fields' members (without braces); undefined when `check` finds keys out of order or unset. */
function fieldsJson(fields: Record<string, string | null>, check: boolean): string | undefined {
  let f = '';
  let prev: string | undefined;
  for (const k in fields) {
    const v = fields[k];
    if (check) {
      if (v === undefined || (prev !== undefined && prev >= k)) return undefined;
      prev = k;
    }
    f +=
      (f === '' ? '' : ',') +
      keyFragment(k) +
      (v === null ? 'null' : typeof v === 'string' ? jsonString(v) : JSON.stringify(v));
  }
  return f;
}

/** The JSON alert line through JSON.stringify of the whole object (what alertJson must equal). */
export function alertJsonReference(a: AlertInput, opts: AlertFormatOptions = {}): string {
  return JSON.stringify({
    hostname: a.hostname,
    output: alertText(a, opts),
    output_fields: sortedKeys(a.rendered.fields),
    priority: a.priority,
    rule: a.rule,
    source: a.source,
    tags: sortedList(a.tags),
    time: iso8601(a.event.sec, a.event.nsec),
  });
}

/**
 * Characters JSON.stringify writes escaped: `"`, `\`, controls, and lone surrogates (any
 * surrogate sends the string to JSON.stringify, which tells paired from lone).
 */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as a JSON string literal, exactly as JSON.stringify writes it. */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `"key":` per output field name (field names are few: those of the loaded rules' outputs). */
const keyFragments = new Map<string, string>();
const MAX_KEY_FRAGMENTS = 4096;

function keyFragment(k: string): string {
  let f = keyFragments.get(k);
  if (f === undefined) {
    f = `${jsonString(k)}:`;
    if (keyFragments.size < MAX_KEY_FRAGMENTS) keyFragments.set(k, f);
  }
  return f;
}

interface RuleFragments {
  rule: string;
  priority: string;
  source: string;
  hostname: string;
  /** `{"hostname":…,"output":` */
  head: string;
  /** `},"priority":…,"rule":…,"source":…,"tags":[…],"time":"` */
  tail: string;
}

/** The constant fragments of a rule's alerts, kept per tags list (one per compiled rule). */
const fragmentCache = new WeakMap<readonly string[], RuleFragments>();

function ruleFragments(a: AlertInput): RuleFragments {
  const c = fragmentCache.get(a.tags);
  if (
    c !== undefined &&
    c.rule === a.rule &&
    c.priority === a.priority &&
    c.source === a.source &&
    c.hostname === a.hostname
  )
    return c;
  const made: RuleFragments = {
    rule: a.rule,
    priority: a.priority,
    source: a.source,
    hostname: a.hostname,
    head: `{"hostname":${JSON.stringify(a.hostname)},"output":`,
    tail:
      `},"priority":${JSON.stringify(a.priority)},"rule":${JSON.stringify(a.rule)}` +
      `,"source":${JSON.stringify(a.source)},"tags":${JSON.stringify(sortedList(a.tags))},"time":"`,
  };
  fragmentCache.set(a.tags, made);
  return made;
}

/** `2018-10-25T14:09:12.000000000+0000` as Falco's text line with time_format_iso_8601 (UTC). */
function iso8601Offset(e: RuntimeEvent): string {
  return iso8601(e.sec, e.nsec).replace(/Z$/, '+0000');
}

/** The record itself when its keys are already in order (renderOutput's are) and set, else a sorted copy. */
function sortedKeys(rec: Record<string, string | null>): Record<string, string | null> {
  let prev: string | undefined;
  let sorted = true;
  for (const k in rec) {
    if (rec[k] === undefined || (prev !== undefined && prev >= k)) {
      sorted = false;
      break;
    }
    prev = k;
  }
  if (sorted) return rec;
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k] ?? null;
  return out;
}

/** The list itself when already sorted (compiled rules' tags are), else a sorted copy. */
function sortedList(list: readonly string[]): readonly string[] {
  for (let i = 1; i < list.length; i++)
    if ((list[i - 1] as string) > (list[i] as string)) return [...list].sort();
  return list;
}
