/**
 * A tiny YAML writer for the one shape Kyverno marshals into its denial message (policy → rule →
 * message, `map[string]interface{}` through sigs.k8s.io/yaml, i.e. go-yaml v2 over libyaml), so
 * the text matches Kyverno's byte for byte: keys sorted, two-space indent, scalars plain when they
 * can be, else single-quoted, and long scalars folded as libyaml folds them — at the first space
 * after column 80, continuing at the value's indent plus two.
 */
const BEST_WIDTH = 80;

const RESERVED =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const NUMBERISH = /^[-+]?(?:\.?[0-9]|\.(?:inf|Inf|INF|nan|NaN|NAN)$)/;

function plainAllowed(s: string): boolean {
  if (!s || s !== s.trim()) return false;
  // eslint-disable-next-line no-control-regex -- control characters are what is tested
  if (/[\n\r\t\u0000-\u001f\u007f]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s)) return false;
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  if (RESERVED.test(s) || NUMBERISH.test(s)) return false;
  return true;
}

/** Writes `text` starting at `column`; breaks at spaces once past BEST_WIDTH. */
function folded(text: string, column: number, indent: number): string {
  let out = '';
  let col = column;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (
      c === ' ' &&
      col > BEST_WIDTH &&
      i > 0 &&
      text[i - 1] !== ' ' &&
      i + 1 < text.length &&
      text[i + 1] !== ' '
    ) {
      out += '\n' + ' '.repeat(indent);
      col = indent;
      continue;
    }
    out += c;
    col++;
  }
  return out;
}

function scalar(s: string, column: number, indent: number): string {
  if (plainAllowed(s)) return folded(s, column, indent);
  // eslint-disable-next-line no-control-regex -- control characters are what is tested
  if (!/[\n\r\u0000-\u0008\u000b-\u001f\u007f]/.test(s)) {
    return "'" + folded(s.replace(/'/g, "''"), column + 1, indent) + "'";
  }
  return JSON.stringify(s);
}

/** Marshals a two-level map of strings as go-yaml v2 does. */
export function goYamlNestedMap(m: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
  let out = '';
  for (const k of Object.keys(m).sort()) {
    out += `${scalar(k, 0, 2)}:\n`;
    const inner = m[k] ?? {};
    for (const rk of Object.keys(inner).sort()) {
      const key = scalar(rk, 2, 4);
      const prefix = `  ${key}: `;
      out += prefix + scalar(inner[rk] ?? '', prefix.length, 4) + '\n';
    }
  }
  return out;
}
