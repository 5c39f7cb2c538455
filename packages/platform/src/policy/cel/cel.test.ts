/**
 * Table tests for the CEL libraries; expected values from the Kubernetes CEL library documentation
 * (kubernetes.io/docs/reference/using-api/cel) and Kyverno's CEL library docs.
 */
import { describe, expect, it } from 'vitest';
import { desugarStructs } from '../celpolicy/structs.js';
import { evaluateCel, MAX_EXPRESSION_LENGTH } from './index.js';
import { toCel } from './values.js';

const CASES: Array<[string, string, unknown]> = [
  ['lists: isSorted on a sorted list', '[1, 2, 3].isSorted()', true],
  ['lists: isSorted on an unsorted list', "['a', 'c', 'b'].isSorted()", false],
  ['lists: sum of ints', '[1, 2, 3].sum()', 6],
  ['lists: min', '[3, 1, 2].min()', 1],
  ['lists: max', '[3, 1, 2].max()', 3],
  ['lists: indexOf', '[1, 2, 2, 3].indexOf(2)', 1],
  ['lists: lastIndexOf', '[1, 2, 2, 3].lastIndexOf(2)', 2],
  ['regex: find', "'abc 123'.find('[0-9]+')", '123'],
  ['regex: findAll', "'123 abc 456'.findAll('[0-9]+')", ['123', '456']],
  ['regex: findAll with a limit', "'123 abc 456'.findAll('[0-9]+', 1)", ['123']],
  ['regex: matches uses RE2 search semantics', "'hello'.matches('ell')", true],
  ['strings: replace all', "'hello hello'.replace('he', 'we')", 'wello wello'],
  ['strings: replace n', "'hello hello'.replace('he', 'we', 1)", 'wello hello'],
  ['strings: lowerAscii', "'TacoCat'.lowerAscii()", 'tacocat'],
  ['strings: split and join', "'a,b,c'.split(',').join('-')", 'a-b-c'],
  ['strings: charAt', "'tacocat'.charAt(3)", 'o'],
  ['urls: host', "url('https://example.com:80/').getHost()", 'example.com:80'],
  ['urls: hostname of IPv6', "url('https://[::1]:80/').getHostname()", '::1'],
  ['urls: query', "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()", { k1: ['a'], k2: ['b', 'c'] }],
  ['urls: isURL on a relative path', "isURL('/path')", true],
  ['urls: isURL on garbage', "isURL('../relative')", false],
  ['quantity: comparison', "quantity('1Gi').isGreaterThan(quantity('1Mi'))", true],
  ['quantity: isQuantity', "isQuantity('1.3Gi')", true],
  ['quantity: invalid', "isQuantity('1.3Gb')", false],
  ['quantity: asInteger', "quantity('1k').asInteger()", 1000],
  ['quantity: add', "quantity('50M').add(quantity('20M')).isGreaterThan(quantity('60M'))", true],
  ['ip: family', "ip('192.168.0.1').family()", 4],
  ['ip: loopback v6', "ip('::1').isLoopback()", true],
  ['ip: canonical v6', "ip.isCanonical('2001:db8::abcd')", true],
  ['ip: non-canonical v6', "ip.isCanonical('2001:DB8::ABCD')", false],
  ['cidr: contains ip', "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", true],
  ['cidr: contains cidr', "cidr('192.168.0.0/24').containsCIDR('192.168.0.0/25')", true],
  ['cidr: masked', "string(cidr('192.168.0.1/24').masked())", '192.168.0.0/24'],
  ['semver: compare', "semver('1.0.0').isLessThan(semver('1.1.0'))", true],
  ['semver: major', "semver('2.3.4').major()", 2],
  ['sets: contains', 'sets.contains([1, 2, 3], [2, 3])', true],
  ['sets: intersects', 'sets.intersects([1], [2])', false],
  ['optional: orValue on a missing field', 'object.spec.?missing.orValue(7)', 7],
  ['optional: chained optional selection', "object.?spec.?containers[0].?name.orValue('none')", 'web'],
  ['cel.bind', 'cel.bind(x, 2, x * x)', 4],
  ['jsonpatch.escapeKey', "jsonpatch.escapeKey('k8s.io/a~b')", 'k8s.io~1a~0b'],
  ['base64 round trip', "string(base64.decode(base64.encode(b'hi')))", 'hi'],
];

const object = toCel({ spec: { containers: [{ name: 'web', image: 'nginx' }] } });

describe('CEL libraries', () => {
  it.each(CASES)('%s', (_name, expr, want) => {
    const r = evaluateCel(expr, { object });
    expect(r.ok ? r.value : r.error.message).toEqual(want);
  });

  it('resource.Get returns a supplied object and errors clearly when absent', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n' },
      data: { k: 'v' },
    };
    const ok = evaluateCel("resource.Get('v1', 'configmaps', 'n', 'c').data.k", {}, { resources: [cm] });
    expect(ok).toEqual({ ok: true, value: 'v' });
    const missing = evaluateCel("resource.Get('v1', 'configmaps', 'n', 'x')", {}, { resources: [cm] });
    expect(missing.ok).toBe(false);
  });

  it('http calls error with a clear message', () => {
    const r = evaluateCel("http.Get('https://example.com')", {});
    expect(r.ok ? '' : r.error.message).toMatch(/network/);
  });

  it('bounds: an over-long expression is rejected', () => {
    const r = evaluateCel('1 + '.repeat(MAX_EXPRESSION_LENGTH / 4 + 1) + '1', {});
    expect(r.ok ? '' : r.error.code).toBe('E_CEL_LIMIT');
  });

  it('bounds: nested comprehensions stop at the cost limit', () => {
    const r = evaluateCel(
      'l.all(a, l.all(b, l.all(c, true)))',
      { l: toCel(Array.from({ length: 100 }, (_, i) => i)) },
      {},
      { costLimit: 10_000 },
    );
    expect(r.ok ? '' : r.error.code).toBe('E_CEL_LIMIT');
  });

  it('bounds: a catastrophic-backtracking pattern runs in linear time (RE2)', () => {
    const start = Date.now();
    const r = evaluateCel("s.matches('^(a+)+$')", { s: 'a'.repeat(5000) + 'b' });
    expect(r).toEqual({ ok: true, value: false });
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('syntax errors are coded errors, not exceptions', () => {
    const r = evaluateCel('object.spec.(', {});
    expect(r.ok ? '' : r.error.code).toBe('E_CEL_PARSE');
  });

  it('object construction becomes map literals, strings untouched', () => {
    expect(desugarStructs('Object{metadata: Object.metadata{labels: {"a": "x{y: z}"}}}')).toBe(
      '{"metadata": {"labels": {"a": "x{y: z}"}}}',
    );
    const r = evaluateCel(desugarStructs('JSONPatch{op: "add", path: "/a", value: 1}'), {});
    expect(r).toEqual({ ok: true, value: { op: 'add', path: '/a', value: 1 } });
  });
});
