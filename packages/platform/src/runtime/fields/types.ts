/**
 * Field tables: what a condition or an output may read from an event of a
 * given source. One table per event source (fields/k8saudit.ts, fields/syscall.ts),
 * plus the generic evt.* fields every source shares (fields/generic.ts).
 */

/** One event as the engine sees it, whatever its source. */
export interface RuntimeEvent {
  /** Event source name (`k8s_audit`, `syscall`, …). */
  source: string;
  /** Event type (evt.type): a syscall name for syscall events, the source's single type otherwise. */
  type: string;
  /** Sequence number in the stream, from 1. */
  num: number;
  /** Event time: seconds since the epoch and nanoseconds within the second. */
  sec: number;
  nsec: number;
  /** The decoded event body. */
  data: Record<string, unknown>;
  /** The raw JSON text, when the source kept it (jevt.obj). */
  raw?: string;
  /** Host that produced the event (evt.hostname). */
  hostname?: string;
  /**
   * Field values already extracted from this event, by memo slot (see
   * {@link memoized}); created on first use. Events are not changed after
   * decoding, so a value extracted once holds for every rule and the output.
   */
  memo?: unknown[] | undefined;
}

/** Field value types, named after libsinsp's parameter types. */
export type FieldType =
  'string' | 'uint64' | 'int64' | 'bool' | 'ipaddr' | 'ipnet' | 'port' | 'abstime' | 'reltime';

/** An extracted value: `undefined` means not available (`<NA>`). */
export type Scalar = string | number | boolean;
export type FieldValue = Scalar | readonly Scalar[] | undefined;

/** How a field takes an argument in `[...]`. */
export type FieldArg = 'none' | 'optional' | 'required' | 'index' | 'key';

export interface FieldDef {
  name: string;
  type: FieldType;
  desc: string;
  isList?: boolean;
  /** Default 'none'. 'index' accepts an optional numeric index; 'key' requires one. */
  arg?: FieldArg;
  /** Builds the extractor once, at compile time, for the given argument. */
  extractor(arg: string | undefined): (evt: RuntimeEvent) => FieldValue;
}

/** Marks a memoized extraction whose value is not available. */
const NA: unique symbol = Symbol('NA');
const slots = new Map<string, number>();

/**
 * Wraps an extractor so that each event computes it once: every rule that
 * reads the same field (name and argument) on the same source shares one memo
 * slot, so `kevt` (jevt.value[/stage]) costs one lookup per event however many
 * rules start with it.
 */
export function memoized(source: string, key: string, extract: (evt: RuntimeEvent) => FieldValue) {
  const id = `${source}\0${key}`;
  let slot = slots.get(id);
  if (slot === undefined) {
    slot = slots.size;
    slots.set(id, slot);
  }
  const s = slot;
  return (e: RuntimeEvent): FieldValue => {
    let m = e.memo;
    if (m === undefined) m = e.memo = [];
    const v = m[s];
    if (v !== undefined) return v === NA ? undefined : (v as FieldValue);
    const r = extract(e);
    m[s] = r === undefined ? NA : r;
    return r;
  };
}

/** A compile-time problem with a field reference (unknown field, bad argument). */
export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

export interface EventSourceDef {
  name: string;
  fields: ReadonlyMap<string, FieldDef>;
  /** Known evt.type values; undefined when the source has a single implicit type. */
  eventTypes?: ReadonlySet<string>;
  /** Lookup for dynamic field families (evt.arg.NAME); falls back to `fields`. */
  lookup?: (name: string) => FieldDef | undefined;
}

export function fieldTable(defs: readonly FieldDef[]): Map<string, FieldDef> {
  const m = new Map<string, FieldDef>();
  for (const d of defs) m.set(d.name, d);
  return m;
}

/** Renders a value as Falco prints it in outputs (`<NA>` when missing; lists as `(a,b)`). */
export function formatValue(v: FieldValue): string {
  if (v === undefined) return '<NA>';
  if (Array.isArray(v)) return `(${(v as readonly Scalar[]).map(String).join(',')})`;
  return String(v);
}

/** Follows a path of keys through decoded JSON; undefined when any step is missing. */
export function getPath(obj: unknown, keys: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** JSON value as a string, as the k8saudit plugin renders it (strings bare, others as JSON). */
export function jsonAsString(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v);
  } catch {
    // cyclic or too deep to render: not available
    return undefined;
  }
}
