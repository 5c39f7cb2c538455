import { describe, expect, it } from 'vitest';
import { evaluateOperator } from './conditions.js';
import { parseDuration, parseQuantity } from './quantity.js';
import { compileScalarPattern } from './scalar.js';
import { matchPattern } from './validate.js';
import { wildcardMatch } from './wildcard.js';

describe('wildcards', () => {
  it.each([
    ['*', '', true],
    ['nginx:*', 'nginx:1.2', true],
    ['nginx:*', 'nginx', false],
    ['?', 'a', true],
    ['?', '', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['*.io/*', 'ghcr.io/x', true],
  ])('%s against %s is %s', (p, t, want) => {
    expect(wildcardMatch(p, t)).toBe(want);
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    const pattern = `${'*a'.repeat(200)}b`;
    const text = 'a'.repeat(5000);
    const t0 = performance.now();
    expect(wildcardMatch(pattern, text)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('quantities and durations', () => {
  it.each([
    ['1Gi', 2 ** 30],
    ['500m', 0.5],
    ['1k', 1000],
    ['1e3', 1000],
    ['abc', undefined],
    ['1Gb', undefined],
  ])('quantity %s', (s, v) => expect(parseQuantity(s)).toBe(v));
  it.each([
    ['1h30m', 5400],
    ['-2.5s', -2.5],
    ['0', 0],
    ['10', undefined],
    ['1x', undefined],
  ])('duration %s', (s, v) => expect(parseDuration(s)).toBe(v));
});

describe('scalar patterns', () => {
  it.each<[unknown, unknown, boolean]>([
    ['!default', 'default', false],
    ['!default', 'prod', true],
    ['!default', undefined, false],
    ['>=2', 3, true],
    ['>=2', '1', false],
    ['<=10', undefined, true], // upstream reads a missing number as 0
    ['>1Gi', '2Gi', true],
    ['>1Gi', '512Mi', false],
    ['1-10', 5, true],
    ['1-10', 11, false],
    ['1!-10', 11, true],
    ['1!-10', 5, false],
    ['*:latest | *:dev', 'nginx:dev', true],
    ['>1 & <5', 3, true],
    ['>1 & <5', 7, false],
    ['?*', '', false],
    ['?*', 'x', true],
    [true, true, true],
    [true, 'true', false],
    [3, '3', true],
    [3, 3.5, false],
    [null, '', true],
    [null, 'x', false],
    ['true', true, true],
  ])('pattern %j against %j is %s', (pattern, value, want) => {
    expect(compileScalarPattern(pattern)(value)).toBe(want);
  });
});

const pod = (containers: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web', 'app.kubernetes.io/name': 'web' } },
  spec: { containers, ...extra },
});

describe('validate patterns', () => {
  it('fails with the path of the first mismatch', () => {
    const out = matchPattern(pod([{ name: 'a', image: 'nginx:latest' }]), {
      spec: { containers: [{ image: '!*:latest' }] },
    });
    expect(out).toMatchObject({ status: 'fail', path: '/spec/containers/0/image/' });
  });

  it('passes when every element matches', () => {
    expect(
      matchPattern(pod([{ image: 'nginx:1' }, { image: 'redis:7' }]), {
        spec: { containers: [{ image: '!*:latest' }] },
      }).status,
    ).toBe('pass');
  });

  it('skips when a top-level conditional anchor does not hold', () => {
    expect(
      matchPattern(pod([{ image: 'a' }]), { spec: { '(hostNetwork)': true, containers: [{ image: 'b' }] } })
        .status,
    ).toBe('skip');
  });

  it('checks the rest when the conditional anchor holds', () => {
    const p = { spec: { '(hostNetwork)': true, containers: [{ image: 'b' }] } };
    expect(matchPattern(pod([{ image: 'a' }], { hostNetwork: true }), p).status).toBe('fail');
    expect(matchPattern(pod([{ image: 'b' }], { hostNetwork: true }), p).status).toBe('pass');
  });

  it('applies a conditional anchor per array element', () => {
    const p = { spec: { containers: [{ '(image)': '*:latest', imagePullPolicy: 'Always' }] } };
    expect(
      matchPattern(pod([{ image: 'a:latest', imagePullPolicy: 'Always' }, { image: 'b:1' }]), p).status,
    ).toBe('pass');
    expect(matchPattern(pod([{ image: 'a:latest', imagePullPolicy: 'IfNotPresent' }]), p).status).toBe(
      'fail',
    );
    expect(matchPattern(pod([{ image: 'a:1' }]), p).status).toBe('skip');
  });

  it('equality anchor checks only when the key is present', () => {
    const p = { spec: { '=(hostPID)': false } };
    expect(matchPattern(pod([]), p).status).toBe('pass');
    expect(matchPattern(pod([], { hostPID: false }), p).status).toBe('pass');
    expect(matchPattern(pod([], { hostPID: true }), p)).toMatchObject({
      status: 'fail',
      path: '/spec/hostPID/',
    });
  });

  it('negation anchor forbids the key', () => {
    const p = { spec: { 'X(hostPath)': 'null' } };
    expect(matchPattern({ spec: {} }, p).status).toBe('pass');
    expect(matchPattern({ spec: { hostPath: {} } }, p)).toMatchObject({
      status: 'fail',
      path: '/spec/hostPath/',
    });
  });

  it('existence anchor needs one matching element', () => {
    const p = { spec: { '^(containers)': [{ image: 'nginx*' }] } };
    expect(matchPattern(pod([{ image: 'redis' }, { image: 'nginx:1' }]), p).status).toBe('pass');
    expect(matchPattern(pod([{ image: 'redis' }]), p).status).toBe('fail');
  });

  it('global anchor skips the rule when it does not hold', () => {
    const p = { spec: { containers: [{ '<(image)': 'corp.io/*', imagePullPolicy: 'Always' }] } };
    expect(matchPattern(pod([{ image: 'docker.io/x', imagePullPolicy: 'Never' }]), p).status).toBe('skip');
    expect(matchPattern(pod([{ image: 'corp.io/x', imagePullPolicy: 'Never' }]), p).status).toBe('fail');
  });

  it('requires a key whose pattern is *', () => {
    expect(matchPattern({ metadata: {} }, { metadata: { labels: '*' } }).status).toBe('fail');
    expect(matchPattern({ metadata: { labels: { a: 'b' } } }, { metadata: { labels: '*' } }).status).toBe(
      'pass',
    );
  });

  it('expands wildcard label keys against the resource', () => {
    const p = { metadata: { labels: { 'app.kubernetes.io/*': 'web' } } };
    expect(matchPattern(pod([]), p).status).toBe('pass');
    expect(matchPattern(pod([]), { metadata: { labels: { 'app.kubernetes.io/*': 'db' } } }).status).toBe(
      'fail',
    );
  });

  it('reports a type mismatch as a failure', () => {
    expect(matchPattern({ spec: 'x' }, { spec: { a: 1 } }).status).toBe('fail');
    expect(matchPattern({ spec: { a: 'x' } }, { spec: { a: [{ b: 1 }] } }).status).toBe('fail');
  });
});

describe('condition operators', () => {
  it.each<[string, unknown, unknown, boolean | undefined]>([
    ['Equals', 'CREATE', 'CREATE', true],
    ['equals', 'CREATE', 'CRE*', true],
    ['NotEquals', 'DELETE', 'DELETE', false],
    ['Equals', '1Gi', '1024Mi', true],
    ['Equals', '1h', '60m', true],
    ['Equals', 3, '3', true],
    ['Equals', { a: 1 }, { a: 1 }, true],
    ['AnyIn', ['a', 'b'], ['b', 'c'], true],
    ['AnyIn', ['a'], ['b', 'c'], false],
    ['AllIn', ['a', 'b'], ['a', 'b', 'c'], true],
    ['AllIn', ['a', 'x'], ['a', 'b'], false],
    ['AnyNotIn', ['a', 'x'], ['a', 'b'], true],
    ['AllNotIn', ['x', 'y'], ['a', 'b'], true],
    ['AllNotIn', ['a', 'y'], ['a', 'b'], false],
    ['In', 'kube-system', ['kube-*'], true],
    ['NotIn', 'default', ['kube-*'], true],
    ['AnyIn', 8080, '8000-9000', true],
    ['AnyIn', 'b', '["a","b"]', true],
    ['GreaterThan', 5, 3, true],
    ['GreaterThan', '2Gi', '1Gi', true],
    ['LessThan', '1.2.3', '1.10.0', true],
    ['GreaterThanOrEquals', '10', 10, true],
    ['DurationGreaterThan', '2h', '90m', true],
    ['DurationLessThanOrEquals', '30s', 30, true],
    ['Bogus', 1, 1, undefined],
  ])('%s %j %j is %s', (op, k, v, want) => {
    expect(evaluateOperator(op, k, v)).toBe(want);
  });
});
