/**
 * Resolves settings with the precedence flag > env > config file > default.
 * The caller passes env, flags and the parsed file in: this module never
 * reaches for process.env itself, so tests and the CLI decide what is read.
 */
import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import { lazy } from '../core/lazy.js';

const yaml = lazy<typeof Yaml>('yaml');
import { PalisadeError } from '../core/errors.js';
import { settings } from './settings.js';
import type { SettingDecl, SettingName, Settings } from './settings.js';

export interface ResolveInput {
  env: NodeJS.ProcessEnv;
  /** Values from the command line, keyed by setting name; undefined = not given. */
  flags: Partial<Record<SettingName, unknown>>;
  /** Parsed config file (or undefined when none). */
  file?: Record<string, unknown> | undefined;
}

function fromFile(file: Record<string, unknown> | undefined, key: string): unknown {
  if (!file || !key) return undefined;
  let cur: unknown = file;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function coerce(decl: SettingDecl<unknown>, value: unknown, source: string): unknown {
  switch (decl.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const v = value.toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return true;
        if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      }
      break;
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      break;
    case 'list': {
      let items: string[] | undefined;
      if (Array.isArray(value)) items = value.map(String);
      else if (typeof value === 'string')
        items = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      if (!items) break;
      const bad = decl.choices ? items.filter((i) => !decl.choices!.includes(i)) : [];
      if (bad.length > 0)
        throw new PalisadeError(
          'E_CONFIG',
          `${source}: '${bad.join(', ')}' ${bad.length === 1 ? 'is' : 'are'} not among ${decl.choices!.join(', ')}`,
        );
      return items;
    }
    case 'string':
      if (typeof value === 'string') {
        if (decl.choices && value !== '' && !decl.choices.includes(value)) {
          throw new PalisadeError(
            'E_CONFIG',
            `${source}: '${value}' is not one of ${decl.choices.join(', ')}`,
          );
        }
        return value;
      }
      if (typeof value === 'number') return String(value);
      break;
  }
  throw new PalisadeError('E_CONFIG', `${source}: expected a ${decl.type}, got ${JSON.stringify(value)}`);
}

export function resolveSettings(input: ResolveInput): Settings {
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(settings) as [SettingName, SettingDecl<unknown>][]) {
    const flag = input.flags[name];
    const env = input.env[d.env];
    const file = fromFile(input.file, d.fileKey);
    if (flag !== undefined) out[name] = coerce(d, flag, `--${d.flag}`);
    else if (env !== undefined) out[name] = coerce(d, env, d.env);
    else if (file !== undefined) out[name] = coerce(d, file, `config key ${d.fileKey}`);
    else
      out[name] =
        typeof d.default === 'function'
          ? (d.default as (e: NodeJS.ProcessEnv) => unknown)(input.env)
          : d.default;
  }
  return out as Settings;
}

/** Reads the YAML config file; a missing default file is not an error, a missing explicit one is. */
export function loadConfigFile(path: string, explicit: boolean): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PalisadeError('E_CONFIG', `cannot read config file ${path}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = yaml().parse(text, { maxAliasCount: 100 });
  } catch (err) {
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new PalisadeError('E_CONFIG', `config file is not valid YAML: ${(err as Error).message}`, {
      location: pos ? { file: path, line: pos.line, column: pos.col } : { file: path },
    });
  }
  if (doc === null || doc === undefined) return undefined;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PalisadeError('E_CONFIG', 'config file must be a YAML mapping', { location: { file: path } });
  }
  return doc as Record<string, unknown>;
}
