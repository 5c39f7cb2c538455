/**
 * Test support: locates ../shared/data beside the repository (upstream
 * conformance data is read in place, never copied) and builds analyzer inputs.
 */
import { existsSync, readFileSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../core/diagnostics.js';
import { nullLogger } from '../core/logger.js';
import type { AnalyzerContext, AnalyzerFile } from '../scan/analyzers/types.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Absolute path of a path under ../shared/data; fails with a clear message when shared/ is missing. */
export function sharedData(...parts: string[]): string {
  const root = process.env['PALISADE_SHARED_DATA'] ?? resolve(repoRoot, '..', 'shared', 'data');
  if (!existsSync(root)) {
    throw new Error(
      `shared test data not found at ${root}: check out the repository beside ../shared (or set PALISADE_SHARED_DATA)`,
    );
  }
  return join(root, ...parts);
}

/** Reads a host file as an analyzer input with the given in-image path. */
export function analyzerFile(hostPath: string, path: string, mode = 0o644): AnalyzerFile {
  const content = readFileSync(hostPath);
  return { path, content, size: statSync(hostPath).size, mode };
}

export function testContext(): AnalyzerContext {
  return {
    diagnostics: new Diagnostics(),
    logger: nullLogger,
    scratchDir: mkdtempSync(join(tmpdir(), 'palisade-test-')),
  };
}
