/**
 * Parser for Falco's filter (condition) language, following the grammar of
 * falcosecurity/libs (userspace/libsinsp/filter/parser.h). Our own code; the
 * grammar, the operator tables and the error messages are the upstream ones so
 * that diagnostics read the same as Falco's.
 *
 * Productions (EBNF):
 *   Expr                  ::= OrExpr
 *   OrExpr                ::= AndExpr ('or' OrExprTail)*
 *   OrExprTail            ::= ' ' AndExpr | '(' Expr ')'
 *   AndExpr               ::= NotExpr ('and' AndExprTail)*
 *   AndExprTail           ::= ' ' NotExpr | '(' Expr ')'
 *   NotExpr               ::= ('not ')* NotExprTail
 *   NotExprTail           ::= 'not(' Expr ')' | Check
 *   Check                 ::= Field Condition
 *                           | FieldTransformer Condition
 *                           | Identifier
 *                           | '(' Expr ')'
 *   FieldTransformer      ::= FieldTransformerType FieldTransformerTail
 *   FieldTransformerTail  ::= FieldTransformerArg (',' FieldTransformerArg)* ')'
 *   FieldTransformerArg   ::= NumValue | QuotedStr | TransformerList | FieldTransformer | Field
 *   TransformerList       ::= '(' (TransformerListArg (',' TransformerListArg)*)? ')'
 *   TransformerListArg    ::= Field | FieldTransformer | QuotedStr | NumValue
 *   FieldTransformerOrVal ::= FieldTransformer | FieldTransformerVal Field ')'
 *   Condition             ::= UnaryOperator
 *                           | NumOperator (NumValue | FieldTransformerOrVal)
 *                           | StrOperator (StrValue | FieldTransformerOrVal)
 *                           | ListOperator (ListValue | FieldTransformerOrVal)
 *   ListValue             ::= '(' (StrValue (',' StrValue)*)* ')' | Identifier
 *   Field                 ::= FieldName ('[' FieldArg ']')?
 *   FieldArg              ::= QuotedStr | FieldArgBareStr
 *   NumValue              ::= HexNumber | Number
 *   StrValue              ::= QuotedStr | BareStr
 *
 * Operators:
 *   UnaryOperator         ::= 'exists'
 *   NumOperator           ::= '<=' | '<' | '>=' | '>'
 *   StrOperator           ::= '==' | '=' | '!=' | 'glob ' | 'iglob ' | 'contains ' | 'icontains '
 *                           | 'bcontains ' | 'startswith ' | 'bstartswith ' | 'endswith ' | 'regex '
 *   ListOperator          ::= 'intersects' | 'in' | 'pmatch'
 *   FieldTransformerVal   ::= 'val('
 *   FieldTransformerType  ::= 'tolower(' | 'toupper(' | 'b64(' | 'basename(' | 'len(' | 'join('
 *   (an operator written with a trailing blank must be followed by at least one blank)
 *
 * Tokens:
 *   Identifier            ::= [a-zA-Z]+[a-zA-Z0-9_]*
 *   FieldName             ::= [a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+
 *   FieldArgBareStr       ::= [^ \b\t\n\r\[\]"']+
 *   HexNumber             ::= 0[xX][0-9a-fA-F]+
 *   Number                ::= [+\-]?[0-9]+[\.]?[0-9]*([eE][+\-][0-9]+)?
 *   QuotedStr             ::= "(?:\\"|.)*?"|'(?:\\'|.)*?'
 *   BareStr               ::= [^ \b\t\n\r\(\),="']+
 *   Blank                 ::= [ \t\b\r\n]+
 *
 * Recursion depth is bounded (default 1000, as Falco's rule compiler sets it)
 * and so is the input length.
 */
import type {
  BinaryCheckNode,
  Expr,
  FieldNode,
  ListNode,
  Operand,
  Pos,
  TransformerListNode,
  TransformerNode,
  ValueNode,
} from './ast.js';

export const UNARY_OPS = ['exists'] as const;
export const NUM_OPS = ['<=', '<', '>=', '>'] as const;
export const STR_OPS = [
  '==',
  '=',
  '!=',
  'glob ',
  'iglob ',
  'contains ',
  'icontains ',
  'bcontains ',
  'startswith ',
  'bstartswith ',
  'endswith ',
  'regex ',
] as const;
export const LIST_OPS = ['intersects', 'in', 'pmatch'] as const;
export const TRANSFORMERS = ['tolower(', 'toupper(', 'b64(', 'basename(', 'len(', 'join('] as const;
const VAL_TRANSFORMER = 'val(';

/** Every operator name, as Falco's parser::supported_operators() lists them. */
export function supportedOperators(listOnly = false): string[] {
  if (listOnly) return [...LIST_OPS];
  return [...UNARY_OPS, ...NUM_OPS, ...STR_OPS, ...LIST_OPS].map((o) => o.trim());
}

export function supportedTransformers(includeVal = false): string[] {
  const out = includeVal ? ['val'] : [];
  for (const t of TRANSFORMERS) out.push(t.slice(0, -1));
  return out;
}

const quoteList = (vals: readonly string[]): string => vals.map((v) => `'${v}'`).join(', ');

const RGX_NOT_BLANK = /not[ \t\n\v\f\r]+/y;
const RGX_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
const RGX_FIELDNAME = /[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const RGX_FIELDARG_BARESTR = /[^\]["' \t\n\v\f\r]+/y;
const RGX_HEXNUM = /0[xX][0-9a-fA-F]+/y;
const RGX_NUMBER = /[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?/y;
const RGX_BARESTR = /[^()"' \t\n\v\f\r=,]+/y;

/** A syntax error with the position the parser had reached (as Falco reports it). */
export class FilterSyntaxError extends Error {
  readonly pos: Pos;
  constructor(message: string, pos: Pos) {
    super(message);
    this.name = 'FilterSyntaxError';
    this.pos = pos;
  }
}

/** Unescapes a quoted token (delimiters included), as libsinsp's unescape_str. */
export function unescapeQuoted(str: string): string {
  let res = '';
  let escaped = false;
  const delim = str[0];
  for (let i = 1; i < str.length - 1; i++) {
    const c = str[i] as string;
    if (!escaped) {
      if (c === '\\') escaped = true;
      else res += c;
      continue;
    }
    switch (c) {
      case 'b':
        res += '\b';
        break;
      case 'f':
        res += '\f';
        break;
      case 'n':
        res += '\n';
        break;
      case 'r':
        res += '\r';
        break;
      case 't':
        res += '\t';
        break;
      case ' ':
      case '\\':
        res += '\\';
        break;
      case '/':
        res += '/';
        break;
      case '"':
        if (delim !== c) throw new Error(`invalid \\" escape in '-quoted string`);
        res += '"';
        break;
      case "'":
        if (delim !== c) throw new Error(`invalid \\' escape in "-quoted string`);
        res += "'";
        break;
      default:
        throw new Error(`unsupported string escape sequence: \\${c}`);
    }
    escaped = false;
  }
  return res;
}

export interface ParseOptions {
  /** Max recursion depth (Falco's rule loader uses 1000). */
  maxDepth?: number;
  /** Max condition length in characters. */
  maxLength?: number;
}

export const DEFAULT_MAX_CONDITION_LENGTH = 1 << 20;

export class FilterParser {
  private readonly input: string;
  private idx = 0;
  private line = 1;
  private col = 1;
  private depth = 0;
  private lastToken = '';
  private readonly maxDepth: number;

  constructor(input: string, options: ParseOptions = {}) {
    this.input = input;
    this.maxDepth = options.maxDepth ?? 1000;
    const maxLength = options.maxLength ?? DEFAULT_MAX_CONDITION_LENGTH;
    if (input.length > maxLength)
      throw new FilterSyntaxError(`filter input string exceeds ${maxLength} characters`, this.pos());
  }

  pos(): Pos {
    return { idx: this.idx, line: this.line, col: this.col };
  }

  parse(): Expr {
    if (this.input.length === 0) throw this.error('filter input string is empty');
    this.idx = 0;
    this.line = 1;
    this.col = 1;
    this.lastToken = '';
    this.depth = 0;
    const res = this.parseOr();
    if (this.idx !== this.input.length)
      throw this.error(`unexpected token after '${this.lastToken}', expecting 'or', 'and'`);
    return res;
  }

  private error(message: string): FilterSyntaxError {
    return new FilterSyntaxError(message, this.pos());
  }

  private enter(): void {
    this.depth++;
    if (this.depth >= this.maxDepth) throw this.error(`exceeded max depth limit of ${this.maxDepth}`);
  }

  private leave(): void {
    this.depth--;
  }

  private guarded<T>(fn: () => T): T {
    this.enter();
    try {
      return fn();
    } finally {
      this.leave();
    }
  }

  private parseOr(): Expr {
    return this.guarded(() => {
      const pos = this.pos();
      const children: Expr[] = [];
      this.lexBlank();
      children.push(this.parseAnd());
      this.lexBlank();
      while (this.lexStr('or')) {
        let child: Expr;
        if (!this.lexBlank()) {
          if (this.lexStr('(')) child = this.parseEmbeddedRemainder();
          else throw this.error("expected blank or '(' after 'or'");
        } else child = this.parseAnd();
        children.push(child);
        this.lexBlank();
      }
      return children.length > 1 ? { kind: 'or', children, pos } : (children[0] as Expr);
    });
  }

  private parseAnd(): Expr {
    return this.guarded(() => {
      const pos = this.pos();
      const children: Expr[] = [];
      this.lexBlank();
      children.push(this.parseNot());
      this.lexBlank();
      while (this.lexStr('and')) {
        let child: Expr;
        if (!this.lexBlank()) {
          if (this.lexStr('(')) child = this.parseEmbeddedRemainder();
          else throw this.error("expected blank or '(' after 'and'");
        } else child = this.parseNot();
        children.push(child);
        this.lexBlank();
      }
      return children.length > 1 ? { kind: 'and', children, pos } : (children[0] as Expr);
    });
  }

  private parseNot(): Expr {
    return this.guarded(() => {
      const pos = this.pos();
      let isNot = false;
      this.lexBlank();
      while (this.lexRgx(RGX_NOT_BLANK)) isNot = !isNot;
      let child: Expr;
      if (this.lexStr('not(')) {
        isNot = !isNot;
        child = this.parseEmbeddedRemainder();
      } else child = this.parseCheck();
      return isNot ? { kind: 'not', child, pos } : child;
    });
  }

  private parseEmbeddedRemainder(): Expr {
    return this.guarded(() => {
      this.lexBlank();
      const child = this.parseOr();
      this.lexBlank();
      if (!this.lexStr(')')) throw this.error("expected a ')' token");
      return child;
    });
  }

  private parseCheck(): Expr {
    return this.guarded(() => {
      const pos = this.pos();
      this.lexBlank();
      if (this.lexStr('(')) return this.parseEmbeddedRemainder();
      if (this.lexRgx(RGX_FIELDNAME)) {
        const left = this.parseFieldRemainder(this.lastToken, pos);
        return this.parseCondition(left, pos);
      }
      if (this.lexList(TRANSFORMERS)) {
        this.lexBlank();
        const left = this.parseTransformerRemainder(this.lastToken.slice(0, -1), pos);
        return this.parseCondition(left, pos);
      }
      if (this.lexRgx(RGX_IDENTIFIER)) return { kind: 'identifier', name: this.lastToken, pos };
      throw this.error("expected a '(' token, a field check, or an identifier");
    });
  }

  private parseFieldRemainder(name: string, pos: Pos): FieldNode {
    return this.guarded(() => {
      const field: FieldNode = { kind: 'field', name, pos };
      if (this.lexStr('[')) {
        if (!this.lexQuoted() && !this.lexRgx(RGX_FIELDARG_BARESTR))
          throw this.error('expected a valid field argument: a quoted string or a bare string');
        field.arg = this.lastToken;
        if (!this.lexStr(']')) throw this.error("expected a ']' token");
      }
      return field;
    });
  }

  private parseTransformerRemainder(name: string, pos: Pos): TransformerNode {
    return this.guarded(() => {
      this.lexBlank();
      const args: Operand[] = [];
      do {
        args.push(this.parseTransformerArg(this.pos()));
        this.lexBlank();
      } while (this.lexStr(','));
      this.lexBlank();
      if (!this.lexStr(')')) throw this.error("expected a ')' token closing the transformer");
      return { kind: 'transformer', name, args, pos };
    });
  }

  private parseTransformerArg(pos: Pos): Operand {
    return this.guarded((): Operand => {
      this.lexBlank();
      if (this.lexRgx(RGX_HEXNUM) || this.lexRgx(RGX_NUMBER))
        return { kind: 'value', value: this.lastToken, pos };
      if (this.lexQuoted()) return { kind: 'value', value: this.lastToken, pos };
      if (this.lexStr('(')) return this.parseTransformerList(pos);
      if (this.lexList(TRANSFORMERS)) return this.parseTransformerRemainder(this.lastToken.slice(0, -1), pos);
      if (this.lexRgx(RGX_FIELDNAME)) return this.parseFieldRemainder(this.lastToken, pos);
      throw this.error(
        'expected field transformer argument: field, transformer, quoted string, number, or transformer list',
      );
    });
  }

  private parseTransformerList(pos: Pos): TransformerListNode {
    const items: Operand[] = [];
    this.lexBlank();
    if (this.lexStr(')')) return { kind: 'tlist', items, pos };
    items.push(this.parseTransformerListArg(pos));
    this.lexBlank();
    while (this.lexStr(',')) {
      this.lexBlank();
      items.push(this.parseTransformerListArg(pos));
      this.lexBlank();
    }
    if (!this.lexStr(')')) throw this.error("expected ')'");
    return { kind: 'tlist', items, pos };
  }

  private parseTransformerListArg(pos: Pos): Operand {
    if (this.lexRgx(RGX_FIELDNAME)) return this.parseFieldRemainder(this.lastToken, pos);
    if (this.lexList(TRANSFORMERS)) {
      this.lexBlank();
      return this.parseTransformerRemainder(this.lastToken.slice(0, -1), pos);
    }
    if (this.lexQuoted()) return { kind: 'value', value: this.lastToken, pos };
    if (this.lexRgx(RGX_HEXNUM) || this.lexRgx(RGX_NUMBER))
      return { kind: 'value', value: this.lastToken, pos };
    throw this.error('expected transformer list argument: field, transformer, quoted string, or number');
  }

  private parseCondition(left: FieldNode | TransformerNode, pos: Pos): Expr {
    return this.guarded((): Expr => {
      this.lexBlank();
      if (this.lexOperators(UNARY_OPS)) return { kind: 'unary', left, op: 'exists', pos };
      this.lexBlank();
      let op: string;
      let right: BinaryCheckNode['right'];
      if (this.lexOperators(NUM_OPS)) {
        op = this.lastToken;
        right = this.parseNumValueOrTransformer();
      } else if (this.lexOperators(STR_OPS)) {
        op = this.lastToken;
        right = this.parseStrValueOrTransformer(false);
      } else if (this.lexOperators(LIST_OPS)) {
        op = this.lastToken;
        right = this.parseListValueOrTransformer();
      } else {
        throw this.error(`expected a valid check operator: one of ${quoteList(supportedOperators())}`);
      }
      return { kind: 'binary', left, op: op.trim(), right, pos };
    });
  }

  private parseNumValueOrTransformer(): ValueNode | TransformerNode {
    return this.guarded(() => {
      this.lexBlank();
      const pos = this.pos();
      const t = this.tryParseTransformerOrVal();
      if (t) return t;
      if (this.lexRgx(RGX_HEXNUM) || this.lexRgx(RGX_NUMBER))
        return { kind: 'value', value: this.lastToken, pos };
      throw this.error(
        `expected a number value or a field with a valid transformer: ${quoteList(supportedTransformers(true))}`,
      );
    });
  }

  private parseStrValueOrTransformer(noTransformer: boolean): ValueNode | TransformerNode {
    return this.guarded(() => {
      this.lexBlank();
      const pos = this.pos();
      if (!noTransformer) {
        const t = this.tryParseTransformerOrVal();
        if (t) return t;
      }
      if (this.lexQuoted() || this.lexRgx(RGX_BARESTR)) return { kind: 'value', value: this.lastToken, pos };
      if (noTransformer) throw this.error('expected a string value');
      throw this.error(
        `expected a string value or a field with a valid transformer: ${quoteList(supportedTransformers(true))}`,
      );
    });
  }

  private parseListValueOrTransformer(): ListNode | ValueNode | TransformerNode {
    return this.guarded((): ListNode | ValueNode | TransformerNode => {
      this.lexBlank();
      const pos = this.pos();
      if (this.lexStr('(')) {
        const values: string[] = [];
        this.lexBlank();
        let first: ValueNode | TransformerNode | undefined;
        const save = this.save();
        try {
          first = this.parseStrValueOrTransformer(true);
        } catch (e) {
          if (!(e instanceof FilterSyntaxError)) throw e;
          this.restore(save);
          first = undefined;
        }
        if (first) {
          values.push((first as ValueNode).value);
          this.lexBlank();
          while (this.lexStr(',')) {
            const next = this.parseStrValueOrTransformer(true) as ValueNode;
            values.push(next.value);
            this.lexBlank();
          }
        }
        if (!this.lexStr(')')) throw this.error("expected a ')' token");
        return { kind: 'list', values, pos };
      }
      const t = this.tryParseTransformerOrVal();
      if (t) return t;
      if (this.lexRgx(RGX_IDENTIFIER)) return { kind: 'value', value: this.lastToken, pos };
      throw this.error(
        `expected a list, an identifier, or a field with a valid transformer: ${quoteList(supportedTransformers(true))}`,
      );
    });
  }

  private tryParseTransformerOrVal(): TransformerNode | undefined {
    return this.guarded(() => {
      this.lexBlank();
      const pos = this.pos();
      if (this.lexStr(VAL_TRANSFORMER)) {
        this.lexBlank();
        const fieldPos = this.pos();
        if (!this.lexRgx(RGX_FIELDNAME)) throw this.error(`expected a field within 'val' transformer`);
        const child = this.parseFieldRemainder(this.lastToken, fieldPos);
        this.lexBlank();
        if (!this.lexStr(')')) throw this.error("expected a ')' token closing the transformer");
        return { kind: 'transformer', name: 'val', args: [child], pos } satisfies TransformerNode;
      }
      if (this.lexList(TRANSFORMERS)) {
        this.lexBlank();
        return this.parseTransformerRemainder(this.lastToken.slice(0, -1), pos);
      }
      return undefined;
    });
  }

  // ---- lexer helpers ----

  private save(): [number, number, number, string] {
    return [this.idx, this.line, this.col, this.lastToken];
  }

  private restore(s: [number, number, number, string]): void {
    [this.idx, this.line, this.col, this.lastToken] = s;
  }

  private advance(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      this.col++;
      if (c === 13 || c === 10) {
        this.col = 1;
        this.line++;
      }
      this.idx++;
    }
  }

  /** The only lexer that does not update the last token. */
  private lexBlank(): boolean {
    let found = false;
    for (;;) {
      const c = this.input.charCodeAt(this.idx);
      if (c === 32 || c === 9 || c === 8 || c === 13 || c === 10) {
        found = true;
        this.advance(this.input[this.idx] as string);
      } else return found;
    }
  }

  private lexRgx(re: RegExp): boolean {
    re.lastIndex = this.idx;
    const m = re.exec(this.input);
    if (!m || m[0].length === 0) return false;
    this.lastToken = m[0];
    this.advance(m[0]);
    return true;
  }

  private lexStr(s: string): boolean {
    if (!this.input.startsWith(s, this.idx)) return false;
    this.lastToken = s;
    this.advance(s);
    return true;
  }

  private lexList(list: readonly string[]): boolean {
    for (const s of list) if (this.lexStr(s)) return true;
    return false;
  }

  /** Operators written with a trailing blank need a blank after them. */
  private lexOperators(list: readonly string[]): boolean {
    for (const op of list) {
      if (!op.endsWith(' ')) {
        if (this.lexStr(op)) return true;
        continue;
      }
      if (this.lexStr(op.trimEnd())) {
        const ok = this.lexBlank();
        return ok;
      }
    }
    return false;
  }

  private lexQuoted(): boolean {
    const delim = this.input[this.idx];
    if (delim !== '"' && delim !== "'") return false;
    let prev = '\\';
    const start = this.save();
    let token = '';
    while (this.idx < this.input.length) {
      const c = this.input[this.idx] as string;
      if (c === delim && prev !== '\\') {
        this.advance(c);
        token += c;
        try {
          this.lastToken = unescapeQuoted(token);
        } catch (e) {
          throw this.error((e as Error).message);
        }
        return true;
      }
      prev = c;
      token += c;
      this.advance(c);
    }
    this.restore(start);
    return false;
  }
}

/** Parses a condition; throws FilterSyntaxError with the position reached. */
export function parseFilter(input: string, options: ParseOptions = {}): Expr {
  return new FilterParser(input, options).parse();
}
