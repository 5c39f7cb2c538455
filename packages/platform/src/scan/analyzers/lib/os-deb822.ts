/**
 * Reader for Debian control-file paragraphs (deb822): /var/lib/dpkg/status,
 * status.d/*, available. Trivy reads each blank-line separated paragraph with
 * Go's net/textproto MIME header reader, and this reader keeps its rules so
 * that the same paragraphs are accepted and rejected:
 *
 * - `Key: value`; continuation lines start with a space or tab and are joined
 *   to the value with single spaces, each trimmed.
 * - Keys are matched case-insensitively; the first of repeated keys is used.
 * - A paragraph whose first line is a continuation, or that has a line with
 *   no colon, an empty key or a key with a character outside RFC 7230 tokens
 *   (spaces are tolerated), or a control character in a value, is rejected
 *   as a whole.
 *
 * Paragraphs are separated by lines that are empty once a trailing `\r` is
 * removed. (Trivy splits at `\n\n`, which drops the paragraph after two
 * consecutive blank lines and reads CRLF files as one paragraph; dpkg never
 * writes either, and Palisade reads both the way dpkg does.)
 */

export interface Paragraph {
  /** 1-based line of the paragraph's first line. */
  line: number;
  fields: ReadonlyMap<string, string>;
}

export interface RejectedParagraph {
  line: number;
  /** 1-based line that made the paragraph unreadable. */
  badLine: number;
  reason: string;
}

export interface Deb822Result {
  paragraphs: Paragraph[];
  rejected: RejectedParagraph[];
}

// RFC 7230 tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const tokenChar = /^[!#$%&'*+\-.^_`|~0-9A-Za-z ]*$/;
// Bytes textproto refuses in a header value: controls other than tab, and DEL.
// eslint-disable-next-line no-control-regex
const badValueChar = /[\x00-\x08\x0a-\x1f\x7f]/;

interface RawLine {
  no: number;
  text: string;
}

function parseParagraph(lines: readonly RawLine[]): Paragraph | RejectedParagraph {
  const start = lines[0]?.no ?? 0;
  const fields = new Map<string, string>();
  let i = 0;
  while (i < lines.length) {
    const first = lines[i] as RawLine;
    if (first.text.startsWith(' ') || first.text.startsWith('\t')) {
      return { line: start, badLine: first.no, reason: 'paragraph starts with a continuation line' };
    }
    const parts = [first.text.trim()];
    i++;
    while (i < lines.length) {
      const cont = lines[i] as RawLine;
      if (!cont.text.startsWith(' ') && !cont.text.startsWith('\t')) break;
      parts.push(cont.text.trim());
      i++;
    }
    const joined = parts.join(' ');
    const colon = joined.indexOf(':');
    if (colon < 0) return { line: start, badLine: first.no, reason: 'line has no "key: value"' };
    const key = joined.slice(0, colon);
    if (key === '') return { line: start, badLine: first.no, reason: 'empty field name' };
    if (!tokenChar.test(key))
      return { line: start, badLine: first.no, reason: 'invalid character in field name' };
    const value = joined.slice(colon + 1).replace(/^[ \t]+/, '');
    if (badValueChar.test(value))
      return { line: start, badLine: first.no, reason: 'control character in value' };
    const k = key.toLowerCase();
    if (!fields.has(k)) fields.set(k, value);
  }
  return { line: start, fields };
}

/**
 * Splits `text` into paragraphs. `maxParagraphs` bounds the work on hostile
 * input; paragraphs past it are not read (the caller reports the cut).
 */
export function parseDeb822(text: string, maxParagraphs = 1_000_000): Deb822Result & { truncated: boolean } {
  const out: Deb822Result & { truncated: boolean } = { paragraphs: [], rejected: [], truncated: false };
  let current: RawLine[] = [];
  const flush = (): void => {
    if (current.length === 0) return;
    const p = parseParagraph(current);
    if ('fields' in p) out.paragraphs.push(p);
    else out.rejected.push(p);
    current = [];
  };
  let no = 0;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    no++;
    if (line === '') {
      flush();
      if (out.paragraphs.length + out.rejected.length >= maxParagraphs) {
        out.truncated = nl >= 0 && text.slice(nl + 1).trim() !== '';
        return out;
      }
    } else {
      current.push({ no, text: line });
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  flush();
  return out;
}
