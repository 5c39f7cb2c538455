/**
 * Load results as Falco reports them: per rules file, a list of errors and
 * warnings, each with Falco's code (LOAD_ERR_*, LOAD_*), its one-line
 * description, the message, the item it concerns (type and name) and a YAML
 * position (1-based line and column) with the offending line as a snippet.
 */

export const ERROR_CODES = {
  LOAD_ERR_FILE_READ: 'File read error',
  LOAD_ERR_YAML_PARSE: 'YAML parse error',
  LOAD_ERR_YAML_VALIDATE: 'Error validating internal structure of YAML file',
  LOAD_ERR_COMPILE_CONDITION: 'Error compiling condition',
  LOAD_ERR_COMPILE_OUTPUT: 'Error compiling output',
  LOAD_ERR_VALIDATE: 'Error validating rule/macro/list/exception objects',
  LOAD_ERR_EXTENSION: 'Error in extension item',
} as const;

/**
 * Warning codes. LOAD_UNKNOWN_FIELD is the name Falco's rule-validation tests
 * use (later Falco releases call it LOAD_UNKNOWN_FILTER).
 */
export const WARNING_CODES = {
  LOAD_UNKNOWN_SOURCE: 'Unknown event source',
  LOAD_UNSAFE_NA_CHECK: 'Unsafe <NA> comparison in condition',
  LOAD_NO_EVTTYPE: 'Condition has no event-type restriction',
  LOAD_UNKNOWN_FIELD: 'Unknown field or event-type in condition or output',
  LOAD_UNUSED_MACRO: 'Unused macro',
  LOAD_UNUSED_LIST: 'Unused list',
  LOAD_UNKNOWN_ITEM: 'Unknown rules file item',
  LOAD_DEPRECATED_ITEM: 'Used deprecated item',
  LOAD_WARNING_EXTENSION: 'Warning in extension item',
  LOAD_APPEND_NO_VALUES: 'Overriding/appending with no values',
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: 'Multiple exceptions defined with the same name',
  LOAD_INVALID_MACRO_NAME: 'Invalid macro name',
  LOAD_INVALID_LIST_NAME: 'Invalid list name',
  LOAD_COMPILE_CONDITION: 'Warning in rule condition',
} as const;

export type LoadErrorCode = keyof typeof ERROR_CODES;
export type LoadWarningCode = keyof typeof WARNING_CODES;

/** Where a message points: the item it concerns and a position in a file. */
export interface LoadContext {
  /** `rule`, `macro`, `list`, `exception`, `rules content`, `rules content item`, `required_engine_version` … */
  itemType: string;
  itemName: string;
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  column: number;
  /** The line of the file at that position. */
  snippet?: string;
  /** For condition errors: the position inside the condition (after list substitution). */
  conditionLine?: number;
  conditionColumn?: number;
}

export interface LoadMessage extends LoadContext {
  severity: 'error' | 'warning';
  code: LoadErrorCode | LoadWarningCode;
  /** Falco's one-line description of the code. */
  codeDescription: string;
  message: string;
}

export interface FileLoadResult {
  file: string;
  ok: boolean;
  errors: LoadMessage[];
  warnings: LoadMessage[];
}

/** Thrown inside the loader stages; caught and recorded as an error. */
export class RuleLoadError extends Error {
  constructor(
    readonly code: LoadErrorCode,
    message: string,
    readonly ctx: LoadContext,
  ) {
    super(message);
    this.name = 'RuleLoadError';
  }
}

export class ResultBuilder {
  readonly errors: LoadMessage[] = [];
  readonly warnings: LoadMessage[] = [];
  constructor(readonly file: string) {}

  error(code: LoadErrorCode, message: string, ctx: LoadContext): void {
    this.errors.push({ ...ctx, severity: 'error', code, codeDescription: ERROR_CODES[code], message });
  }

  warn(code: LoadWarningCode, message: string, ctx: LoadContext): void {
    this.warnings.push({ ...ctx, severity: 'warning', code, codeDescription: WARNING_CODES[code], message });
  }

  build(): FileLoadResult {
    return { file: this.file, ok: this.errors.length === 0, errors: this.errors, warnings: this.warnings };
  }
}

/** `file:line:col: severity CODE (description): message [item type 'name']` */
export function formatLoadMessage(m: LoadMessage): string {
  const where = m.line > 0 ? `${m.file}:${m.line}:${m.column}` : m.file;
  const item = m.itemName ? `${m.itemType} '${m.itemName}'` : m.itemType;
  const inCond =
    m.conditionLine !== undefined ? ` (condition ${m.conditionLine}:${m.conditionColumn ?? 0})` : '';
  return `${where}: ${m.severity} ${m.code} (${m.codeDescription}): ${m.message} [${item}]${inCond}`;
}
