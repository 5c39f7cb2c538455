import { describe, expect, it } from 'vitest';
import { goYamlNestedMap } from './goyaml.js';

// Expected texts are Kyverno denials as users pasted them (wrapped by go-yaml at column 80).
describe('goYamlNestedMap', () => {
  it.each([
    [
      'a message folded after column 80',
      {
        'james-disallow-privileged-containers': {
          'check-privileged-james-1':
            'validation error: Privileged containers are not allowed. rule check-privileged-james-1 failed at path /spec/containers/',
        },
      },
      "james-disallow-privileged-containers:\n  check-privileged-james-1: 'validation error: Privileged containers are not allowed.\n    rule check-privileged-james-1 failed at path /spec/containers/'\n",
    ],
    [
      'a fold inside parentheses and a second continuation line',
      {
        'james-require-labels': {
          'check-required-labels-james-1':
            'validation error: Required labels (app, version, environment) must be present. rule check-required-labels-james-1 failed at path /metadata/labels/environment/',
        },
      },
      "james-require-labels:\n  check-required-labels-james-1: 'validation error: Required labels (app, version,\n    environment) must be present. rule check-required-labels-james-1 failed at path\n    /metadata/labels/environment/'\n",
    ],
    ['a short plain message', { p: { r: 'denied' } }, 'p:\n  r: denied\n'],
    ['quotes doubled inside single quotes', { p: { r: "it's: bad" } }, "p:\n  r: 'it''s: bad'\n"],
    ['newlines as a double-quoted scalar', { p: { r: 'a\nb' } }, 'p:\n  r: "a\\nb"\n'],
    ['sorted keys', { b: { c: 'x', a: 'x' }, a: { z: 'x' } }, 'a:\n  z: x\nb:\n  a: x\n  c: x\n'],
  ])('%s', (_name, input, expected) => {
    expect(goYamlNestedMap(input)).toBe(expected);
  });
});
