/**
 * The shapes of secret rules (Trivy's secret.Rule and secret.AllowRule) before
 * and after compilation. Built-in rules are plain data (builtin-rules.ts);
 * user rules come from trivy-secret.yaml (config.ts); both compile to the same
 * CompiledRule, once, before any file is scanned.
 */
import type { Severity } from '@palisade/api';
import type { GoRegexp } from './regex.js';

export interface AllowRuleSpec {
  id: string;
  description?: string;
  /** Allows a finding whose whole match this pattern matches (Go RE2 syntax). */
  regex?: string;
  /** Allows every file whose path this pattern matches. */
  path?: string;
}

export interface RuleSpec {
  id: string;
  category: string;
  title: string;
  severity: Severity;
  /** Go RE2 syntax. */
  regex: string;
  /** Name of the group that holds the secret; without it the whole match is the secret. */
  secretGroupName?: string;
  /** The rule runs only on files containing one of these (case-insensitive). */
  keywords?: readonly string[];
  /** The rule runs only on paths this pattern matches. */
  path?: string;
  allowRules?: readonly AllowRuleSpec[];
  excludeBlock?: { description?: string; regexes: readonly string[] };
  /** `trivy`: same ID and meaning as Trivy's built-in rule; `palisade`: our addition. */
  origin?: 'trivy' | 'palisade';
}

export interface CompiledAllowRule {
  id: string;
  regex?: GoRegexp;
  path?: GoRegexp;
}

export interface CompiledRule {
  id: string;
  category: string;
  title: string;
  severity: Severity;
  regex: GoRegexp;
  secretGroupName?: string;
  /** Lower-cased keywords as UTF-8 bytes; empty means "always run". */
  keywords: Buffer[];
  path?: GoRegexp;
  allowRules: CompiledAllowRule[];
  excludeBlocks: GoRegexp[];
}
