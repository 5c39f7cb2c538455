import type { Obj, RuleResponse } from '../engine/types.js';
import type { RuleEnv } from './validate.js';

export interface MutateOutcome {
  readonly response: RuleResponse;
  readonly patched?: Obj;
}

export function runMutate(_mutate: Obj, env: RuleEnv): MutateOutcome {
  return {
    response: {
      name: env.ruleName,
      type: 'Mutation',
      status: 'error',
      message: 'mutate rules are not supported by Palisade yet',
    },
  };
}
