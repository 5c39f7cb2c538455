/**
 * A box-drawing table with the layout rules of the table library Trivy prints
 * with (github.com/aquasecurity/table): one space of padding, headers centred,
 * cells left-aligned unless told, text wrapped at a column width (60 by default)
 * with over-long words broken by a hyphen, a line between rows, and, with
 * auto-merge, a non-empty cell equal to the one above drawn blank with no line
 * between them. Widths are display widths (wide East Asian characters and
 * emoji count two, combining marks zero).
 */

export type Align = 'left' | 'center' | 'right';

export interface TextTableOptions {
  headers: string[];
  rows: string[][];
  align?: Align[];
  headerAlign?: Align[];
  autoMerge?: boolean;
  rowLines?: boolean;
  maxColumnWidth?: number;
}

const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|[\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u;
const ZERO = /\p{M}|[\u200B-\u200F\uFEFF]/u;

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    if (ZERO.test(ch)) continue;
    w += WIDE.test(ch) ? 2 : 1;
  }
  return w;
}

/** Splits a display string into pieces of at most `width` columns. */
function chunk(word: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  let w = 0;
  for (const ch of word) {
    const cw = displayWidth(ch);
    if (w + cw > width && cur !== '') {
      out.push(cur);
      cur = '';
      w = 0;
    }
    cur += ch;
    w += cw;
  }
  out.push(cur);
  return out;
}

/**
 * Word wrap as the table library does: each input line on its own, words split on
 * whitespace (runs collapse), a word longer than the width broken into
 * `width-1` columns plus `-`.
 */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    const words = para.split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) {
      lines.push('');
      continue;
    }
    let line = '';
    let lw = 0;
    for (const word of words) {
      let ww = displayWidth(word);
      let rest = word;
      if (lw > 0 && lw + 1 + ww <= width) {
        line += ` ${rest}`;
        lw += 1 + ww;
        continue;
      }
      if (lw > 0) {
        lines.push(line);
        line = '';
        lw = 0;
      }
      while (ww > width && width > 1) {
        const [head, ...tail] = chunk(rest, width - 1);
        lines.push(`${head ?? ''}-`);
        rest = tail.join('');
        ww = displayWidth(rest);
      }
      line = rest;
      lw = ww;
    }
    lines.push(line);
  }
  return lines;
}

function pad(s: string, width: number, align: Align): string {
  const gap = Math.max(0, width - displayWidth(s));
  if (align === 'right') return ' '.repeat(gap) + s;
  if (align === 'center') {
    const left = Math.floor(gap / 2);
    return ' '.repeat(left) + s + ' '.repeat(gap - left);
  }
  return s + ' '.repeat(gap);
}

interface Cell {
  lines: string[];
  merge: boolean;
}

/** Renders the table; the result ends with a newline. An empty table (no headers, no rows) renders as ''. */
export function renderTextTable(o: TextTableOptions): string {
  if (o.headers.length === 0 && o.rows.length === 0) return '';
  const maxW = o.maxColumnWidth ?? 60;
  const ncol = Math.max(o.headers.length, ...o.rows.map((r) => r.length));
  const toCells = (r: string[]): Cell[] => {
    const wrapped = Array.from({ length: ncol }, (_, c) => wrapText(r[c] ?? '', maxW));
    const height = Math.max(...wrapped.map((l) => l.length));
    return wrapped.map((lines) => ({
      lines: [...lines, ...Array<string>(height - lines.length).fill('')],
      merge: false,
    }));
  };
  const header = o.headers.length > 0 ? toCells(o.headers) : undefined;
  const body = o.rows.map(toCells);
  const all = header ? [header, ...body] : body;
  const widths = Array.from({ length: ncol }, (_, c) =>
    Math.max(0, ...all.map((row) => Math.max(...(row[c]?.lines ?? ['']).map(displayWidth)))),
  );
  const align = (c: number, isHeader: boolean): Align =>
    isHeader ? (o.headerAlign?.[c] ?? 'center') : (o.align?.[c] ?? 'left');
  // Merge flags compare the aligned content, as the library does after formatting.
  if (o.autoMerge) {
    for (let c = 0; c < ncol; c++) {
      let prev = header ? header[c]?.lines.map((l) => pad(l, widths[c] ?? 0, align(c, true))).join('') : '';
      let prevHeader = header !== undefined;
      for (const row of body) {
        const cell = row[c];
        if (!cell) continue;
        const cur = cell.lines.map((l) => pad(l, widths[c] ?? 0, align(c, false))).join('');
        cell.merge = !prevHeader && cur === prev && cur.trim() !== '';
        prev = cur;
        prevHeader = false;
      }
    }
  }
  const out: string[] = [];
  const rowLines = o.rowLines ?? true;
  const lineAbove = (row: Cell[], first: boolean) => {
    let s = '';
    for (let c = 0; c < ncol; c++) {
      const cell = row[c];
      const merged = cell?.merge ?? false;
      const prevMerged = c > 0 && (row[c - 1]?.merge ?? false);
      if (first) s += c === 0 ? '┌' : '┬';
      else if (c === 0) s += merged ? '│' : '├';
      else if (merged && prevMerged) s += '│';
      else if (merged) s += '┤';
      else if (prevMerged) s += '├';
      else s += '┼';
      s += (merged ? ' ' : '─').repeat((widths[c] ?? 0) + 2);
      if (c === ncol - 1) s += first ? '┐' : merged ? '│' : '┤';
    }
    out.push(s);
  };
  const drawRow = (row: Cell[], isHeader: boolean) => {
    const height = row[0]?.lines.length ?? 1;
    for (let y = 0; y < height; y++) {
      let s = '│';
      for (let c = 0; c < ncol; c++) {
        const cell = row[c];
        const text = cell?.merge ? '' : (cell?.lines[y] ?? '');
        s += ` ${pad(text, widths[c] ?? 0, align(c, isHeader))} │`;
      }
      out.push(s);
    }
  };
  all.forEach((row, i) => {
    const isHeader = header !== undefined && i === 0;
    const afterHeader = header !== undefined && i === 1;
    if (i === 0) lineAbove(row, true);
    else if (rowLines || afterHeader) lineAbove(row, false);
    drawRow(row, isHeader);
  });
  out.push(`└${widths.map((w) => '─'.repeat(w + 2)).join('┴')}┘`);
  return `${out.join('\n')}\n`;
}
