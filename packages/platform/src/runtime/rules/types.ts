/** What the reader hands the collector, and the collector the compiler (Falco's *_info structs). */
import type { LoadContext } from './result.js';

/** A scalar or a (nested) list in an exception's fields/comps/values. */
export interface ExceptionEntry {
  isList: boolean;
  item: string;
  items: ExceptionEntry[];
}

export interface ExceptionInfo {
  name: string;
  fields?: ExceptionEntry;
  comps?: ExceptionEntry;
  values: ExceptionEntry[];
  ctx: LoadContext;
}

interface Ordered {
  /** Order of first definition (kept when redefined). */
  index: number;
  /** Order of the last definition or append. */
  visibility: number;
}

export interface ListInfo extends Ordered {
  name: string;
  items: string[];
  ctx: LoadContext;
}

export interface MacroInfo extends Ordered {
  name: string;
  cond: string;
  ctx: LoadContext;
  condCtx: LoadContext;
}

export type Priority =
  'Emergency' | 'Alert' | 'Critical' | 'Error' | 'Warning' | 'Notice' | 'Informational' | 'Debug';

/** Falco's priorities, most severe first; the index is the numeric level. */
export const PRIORITIES: readonly Priority[] = [
  'Emergency',
  'Alert',
  'Critical',
  'Error',
  'Warning',
  'Notice',
  'Informational',
  'Debug',
];

/** Case-insensitive, `info` accepted for Informational (falco_common::parse_priority). */
export function parsePriority(s: string): Priority | undefined {
  const l = s.toLowerCase();
  if (l === 'info') return 'Informational';
  return PRIORITIES.find((p) => p.toLowerCase() === l);
}

export interface RuleInfo extends Ordered {
  name: string;
  cond: string;
  output: string;
  desc: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  tags: string[];
  exceptions: ExceptionInfo[];
  unknownSource: boolean;
  ctx: LoadContext;
  condCtx: LoadContext;
  outputCtx: LoadContext;
}

export interface RuleUpdateInfo {
  name: string;
  ctx: LoadContext;
  cond?: string;
  output?: string;
  desc?: string;
  tags?: string[];
  exceptions?: ExceptionInfo[];
  priority?: Priority;
  enabled?: boolean;
  warnEvttypes?: boolean;
  skipIfUnknownFilter?: boolean;
}

export interface PluginRequirement {
  name: string;
  version: string;
}
