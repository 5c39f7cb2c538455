/** Where something came from: a file (optionally inside an image layer) and a position. */
export interface SourceLocation {
  /** Path of the file as the user knows it (host path, or path inside the image). */
  file: string;
  /** Layer digest when the file was read from an image layer. */
  layer?: string;
  /** 1-based line and column. */
  line?: number;
  column?: number;
  /** The offending text, for CLI output. */
  snippet?: string;
}

export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  if (loc.layer) s += ` (layer ${shortDigest(loc.layer)})`;
  return s;
}

export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 ? digest.slice(0, i + 13) : digest.slice(0, 12);
}

/** Line and column (1-based) of a character offset in text. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}
