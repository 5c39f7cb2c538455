/**
 * Small text helpers shared by the OS analyzers.
 */
import type { SourceLocation } from '../../../core/location.js';
import type { AnalyzerContext } from '../types.js';

/** Lines as Go's bufio.ScanLines yields them: split at `\n`, one trailing `\r` dropped, no empty last line. */
export function scanLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Where a diagnostic points: the file, the layer being analysed, and a 1-based line when known. */
export function locationOf(ctx: AnalyzerContext, file: string, line?: number): SourceLocation {
  const loc: SourceLocation = { file };
  if (ctx.layer !== undefined) loc.layer = ctx.layer;
  if (line !== undefined) loc.line = line;
  return loc;
}
