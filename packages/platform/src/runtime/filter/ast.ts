/**
 * The filter AST: what the parser produces and the compiler consumes. Node
 * kinds follow libsinsp's (and/or/not, identifier, unary and binary checks,
 * field, transformer, value, list), each with the position it started at.
 */

/** 0-based index and 1-based line/column inside the condition string. */
export interface Pos {
  idx: number;
  line: number;
  col: number;
}

export interface FieldNode {
  kind: 'field';
  name: string;
  /** The text inside `[...]`, unescaped when it was quoted. */
  arg?: string;
  pos: Pos;
}

export interface TransformerNode {
  kind: 'transformer';
  /** tolower, toupper, b64, basename, len, join, val */
  name: string;
  args: Operand[];
  pos: Pos;
}

export interface ValueNode {
  kind: 'value';
  value: string;
  pos: Pos;
}

export interface ListNode {
  kind: 'list';
  values: string[];
  pos: Pos;
}

/** `(a, b, ...)` as an argument of a transformer such as join. */
export interface TransformerListNode {
  kind: 'tlist';
  items: Operand[];
  pos: Pos;
}

export type Operand = FieldNode | TransformerNode | ValueNode | TransformerListNode;

export interface AndNode {
  kind: 'and';
  children: Expr[];
  pos: Pos;
}
export interface OrNode {
  kind: 'or';
  children: Expr[];
  pos: Pos;
}
export interface NotNode {
  kind: 'not';
  child: Expr;
  pos: Pos;
}
/** A bare identifier: a macro reference. */
export interface IdentifierNode {
  kind: 'identifier';
  name: string;
  pos: Pos;
}
export interface UnaryCheckNode {
  kind: 'unary';
  left: FieldNode | TransformerNode;
  op: 'exists';
  pos: Pos;
}
export interface BinaryCheckNode {
  kind: 'binary';
  left: FieldNode | TransformerNode;
  op: string;
  right: ValueNode | ListNode | FieldNode | TransformerNode;
  pos: Pos;
}

export type Expr = AndNode | OrNode | NotNode | IdentifierNode | UnaryCheckNode | BinaryCheckNode;

/** Depth-first walk over boolean nodes (checks are leaves). */
export function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  if (e.kind === 'and' || e.kind === 'or') for (const c of e.children) walkExpr(c, visit);
  else if (e.kind === 'not') walkExpr(e.child, visit);
}
