/**
 * A reader for the txtar format (golang.org/x/tools/txtar), in which Trivy
 * keeps analyzer fixtures: a free-text comment, then files, each introduced
 * by a line `-- path --` and running up to the next such line. A file's text
 * always ends with a newline (one is added when the archive lacks it).
 */

export interface TxtarFile {
  name: string;
  data: string;
}

export interface Txtar {
  comment: string;
  files: TxtarFile[];
}

const markerStart = '-- ';
const markerEnd = ' --';

/** If `text` starts at a marker line, its file name and the text after the line. */
function markerAt(text: string, at: number): { name: string; after: number } | undefined {
  if (!text.startsWith(markerStart, at)) return undefined;
  const nl = text.indexOf('\n', at);
  const lineEnd = nl < 0 ? text.length : nl;
  const line = text.slice(at, lineEnd);
  if (line.length < markerStart.length + markerEnd.length || !line.endsWith(markerEnd)) return undefined;
  const name = line.slice(markerStart.length, line.length - markerEnd.length).trim();
  if (name === '') return undefined;
  return { name, after: nl < 0 ? text.length : nl + 1 };
}

function withNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}

/** Splits `text` at the next marker at or after `from`: the text before it, and the marker. */
function nextMarker(
  text: string,
  from: number,
): { before: string; marker?: { name: string; after: number } } {
  let i = from;
  for (;;) {
    const m = markerAt(text, i);
    if (m) return { before: text.slice(from, i), marker: m };
    const j = text.indexOf('\n-- ', i);
    if (j < 0) return { before: withNewline(text.slice(from)) };
    i = j + 1;
  }
}

export function parseTxtar(text: string): Txtar {
  const first = nextMarker(text, 0);
  const archive: Txtar = { comment: first.before, files: [] };
  let marker = first.marker;
  while (marker) {
    const next = nextMarker(text, marker.after);
    archive.files.push({ name: marker.name, data: next.before });
    marker = next.marker;
  }
  return archive;
}
