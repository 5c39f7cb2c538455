/**
 * TOML loading for analyzers (poetry.lock, uv.lock, pdm.lock,
 * pyproject.toml): a syntax error becomes a TomlLoadError with its line,
 * nesting is bounded, and unsafe keys (`__proto__`) are dropped.
 */
import type * as SmolToml from 'smol-toml';
import { lazy } from '../../../core/lazy.js';

const toml = lazy<typeof SmolToml>('smol-toml');

export class TomlLoadError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'TomlLoadError';
  }
}

export type TomlTable = Record<string, unknown>;

const MAX_DEPTH = 200;

/** Parses a TOML document; throws TomlLoadError with a 1-based line. */
export function loadToml(text: string): TomlTable {
  try {
    return toml().parse(text, { maxDepth: MAX_DEPTH, unsafeKeyBehaviour: 'drop' });
  } catch (err) {
    if (err instanceof toml().TomlError) {
      const first = err.message.split('\n')[0] ?? err.message;
      return fail(first.replace(/^Invalid TOML document: /, ''), err.line);
    }
    return fail((err as Error).message);
  }
}

function fail(message: string, line?: number): never {
  throw new TomlLoadError(message, line);
}

export function isTomlTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function tomlTable(v: unknown): TomlTable {
  return isTomlTable(v) ? v : {};
}

export function tomlArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function tomlString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
