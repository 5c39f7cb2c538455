/**
 * Errors of the expression layer. Syntax and limit errors are coded
 * PalisadeErrors carrying the expression and a 0-based character position;
 * evaluation errors keep Kyverno's messages so rule results read the same.
 */
import { PalisadeError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';

export class PolicyExpressionError extends PalisadeError {
  readonly expression: string;
  /** 0-based character offset of the problem in `expression`, when known. */
  readonly position: number | undefined;

  constructor(code: ErrorCode, message: string, expression: string, position?: number, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
    this.name = 'PolicyExpressionError';
    this.expression = expression;
    this.position = position;
  }
}

/** Kyverno's NotFoundError: a field is missing from an object on a path. */
export class JmesPathNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`Unknown key "${key}" in path`);
    this.name = 'JmesPathNotFoundError';
    this.key = key;
  }
}

/** An error raised while evaluating (a function's error, an undefined variable). */
export class JmesPathRuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JmesPathRuntimeError';
  }
}

export const FN_PREFIX = (name: string): string => `JMESPath function '${name}': `;
export const invalidArgumentType = (name: string, index: number, type: string): JmesPathRuntimeError =>
  new JmesPathRuntimeError(`${FN_PREFIX(name)}argument #${index} is not of type ${type}`);
export const genericError = (name: string, detail: string): JmesPathRuntimeError =>
  new JmesPathRuntimeError(`${FN_PREFIX(name)}${detail}`);
export const zeroDivision = (name: string): JmesPathRuntimeError => genericError(name, 'Zero divisor passed');
export const nonIntModulo = (name: string): JmesPathRuntimeError =>
  genericError(name, 'Non-integer argument(s) passed for modulo');
export const typeMismatch = (name: string): JmesPathRuntimeError => genericError(name, 'Types mismatch');
export const nonIntRound = (name: string): JmesPathRuntimeError =>
  genericError(name, 'Non-integer argument(s) passed for round off');
/** Kyverno formats this one with missing arguments; Go prints them as %!d(MISSING). */
export const argOutOfBounds = (name: string): JmesPathRuntimeError =>
  genericError(name, '%!d(MISSING) argument is out of bounds (%!d(MISSING))');
