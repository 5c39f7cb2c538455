/**
 * Loads a dependency on first use instead of at start-up. The CLI's warm path (a cached image
 * scan) needs none of the parsers (YAML, TOML, XML, zip, purl…); loading them eagerly cost more
 * than the scan itself. Types come from `import type`, values from `lazy(...)()`.
 */
import { createRequire } from 'node:module';

const req = createRequire(import.meta.url);

export function lazy<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= req(id) as T);
}
