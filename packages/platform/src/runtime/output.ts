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
    tokens.push({ text, field });
    text = '';
    i = j;
  }
  if (text) tokens.push({ text });
  sortedFields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
  const parts: string[] = [];
  for (const t of out.tokens) {
    parts.push(t.text);
    if (t.field) parts.push(formatValue(t.field.extract(e)));
  }
  // one flat string (a chain of += is a rope every later reader must flatten)
  const s = parts.join('');
  const fields: Record<string, string | null> = {};
  // extractors are memoized per event: the second read of each field is a lookup
  for (const f of out.sortedFields) {
    const v = f.extract(e);
    fields[f.name] = v === undefined ? null : formatValue(v);
  }
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

/** Falco's JSON alert line (keys in the order Falco writes them). */
export function alertJson(a: AlertInput, opts: AlertFormatOptions = {}): string {
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
