/** Pattern failure messages are worded as Kyverno's buildErrorMessage words them. */
import { describe, expect, it } from 'vitest';
import { patternFailMessage } from './validate.js';

describe('pattern failure message', () => {
  it.each([
    [
      'a message without a period gets one',
      'Privileged mode is disallowed',
      'validation error: Privileged mode is disallowed. rule p failed at path /spec/',
    ],
    [
      'a message ending in a period keeps just that one',
      'Privileged mode is disallowed.',
      'validation error: Privileged mode is disallowed. rule p failed at path /spec/',
    ],
    ['no message names only the rule and path', '', 'validation error: rule p failed at path /spec/'],
  ])('%s', (_name, msg, want) => {
    expect(patternFailMessage(msg, 'p', '/spec/')).toBe(want);
  });
});
