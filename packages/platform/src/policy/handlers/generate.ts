import type { ContextSources } from '../context/index.js';
import type { Obj, RuleResponse } from '../engine/types.js';
import type { RuleEnv } from './validate.js';

export function runGenerate(_generate: Obj, env: RuleEnv, _sources: ContextSources): RuleResponse {
  return {
    name: env.ruleName,
    type: 'Generation',
    status: 'error',
    message: 'generate rules are not supported by Palisade yet',
  };
}
