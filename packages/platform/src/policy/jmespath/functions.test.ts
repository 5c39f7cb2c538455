import { describe, expect, it } from 'vitest';
import { compileJmesPath, KYVERNO_FUNCTIONS, PolicyExpressionError, searchJmesPath } from './index.js';
import { formatQuantity, parseQuantity } from './quantity.js';
import { formatDuration, parseDuration } from './duration.js';

const fixedEnv = {
  env: { now: () => Date.UTC(2023, 0, 2, 3, 4, 5), localOffsetSeconds: 0, random: () => 0.5 },
};
const run = (e: string, data: unknown = {}): unknown => searchJmesPath(e, data, fixedEnv);

// Expected values transcribed from Kyverno's documented examples and Go/Kubernetes semantics.
const cases: [string, string, unknown][] = [
  ['compare orders strings', "compare('a', 'b')", -1],
  ['equal_fold ignores case', "equal_fold('Abc', 'aBC')", true],
  ['replace replaces n occurrences', "replace('aaa', 'a', 'b', `2`)", 'bba'],
  ['replace with -1 replaces all', "replace('aaa', 'a', 'b', `-1`)", 'bbb'],
  [
    'replace_all replaces every occurrence',
    "replace_all('Lorem ipsum dolor sit amet', 'ipsum', 'muspi')",
    'Lorem muspi dolor sit amet',
  ],
  ['to_upper', "to_upper('abc')", 'ABC'],
  ['to_lower', "to_lower('ABC')", 'abc'],
  ['trim strips a cutset from both ends', "trim('¡¡¡Hello, Gophers!!!', '!¡')", 'Hello, Gophers'],
  ['trim_prefix removes a prefix', "trim_prefix('docker.io/nginx', 'docker.io/')", 'nginx'],
  ['trim_prefix keeps a string without the prefix', "trim_prefix('nginx', 'docker.io/')", 'nginx'],
  ['split on a separator', "split('a,b,c', ',')", ['a', 'b', 'c']],
  [
    'regex_replace_all expands groups',
    "regex_replace_all('([Hh]e|G)l', 'Hello, Gophers', '${1}L')",
    'HeLlo, Gophers',
  ],
  ['regex_replace_all of a number', "regex_replace_all('^(\\\\d+)$', `10`, '${1}0')", '100'],
  ['regex_replace_all_literal does not expand', "regex_replace_all_literal('l+', 'Hello', '$1')", 'He$1o'],
  ['regex_match searches unanchored', "regex_match('[0-9]+', 'abc123')", true],
  ['regex_match of a number argument', "regex_match('^[0-9]+$', `12`)", true],
  ['pattern_match with *', "pattern_match('nginx-*', 'nginx-123')", true],
  ['pattern_match with ?', "pattern_match('a?c', 'abd')", false],
  ['label_match subset', 'label_match(`{"app":"x"}`, `{"app":"x","tier":"y"}`)', true],
  ['label_match mismatch', 'label_match(`{"app":"x"}`, `{"app":"z"}`)', false],
  ['to_boolean', "to_boolean('FaLsE')", false],
  ['add numbers', 'add(`1`, `2`)', 3],
  ['add quantities', "add('1Gi', '1Mi')", '1025Mi'],
  ['add milli quantities', "add('10m', '5m')", '15m'],
  ['add durations: an ambiguous 30m follows the other operand', "add('1h', '30m')", '1h30m0s'],
  ['subtract quantities', "subtract('1Gi', '512Mi')", '512Mi'],
  ['subtract durations', "subtract('1h', '90m')", '-30m0s'],
  ['multiply a quantity', "multiply('10m', `2`)", '20m'],
  ['multiply a duration', "multiply('1h', `1.5`)", '1h30m0s'],
  ['divide a quantity by a scalar', "divide('1Gi', `2`)", '512Mi'],
  ['divide quantities gives a number', "divide('1Gi', '512Mi')", 2],
  ['divide durations gives a number', "divide('10s', '4s')", 2.5],
  ['modulo integers', 'modulo(`7`, `3`)', 1],
  ['modulo quantities', "modulo('7', '3')", '1'],
  ['sum quantities', "sum(['1Gi', '512Mi'])", '1536Mi'],
  ['sum numbers', 'sum(`[1, 2, 3]`)', 6],
  ['round to two places', 'round(`3.14159`, `2`)', 3.14],
  ['round half away from zero', 'round(`2.5`, `0`)', 3],
  ['base64_decode', "base64_decode('SGVsbG8=')", 'Hello'],
  ['base64_encode', "base64_encode('Hello')", 'SGVsbG8='],
  [
    'time_since between two times',
    "time_since('', '2021-01-01T00:00:00Z', '2021-01-01T01:00:00Z')",
    '1h0m0s',
  ],
  ['time_since to now', "time_since('', '2023-01-02T03:00:00Z', '')", '4m5s'],
  ['time_now_utc', 'time_now_utc()', '2023-01-02T03:04:05Z'],
  ['time_now in the local zone', 'time_now()', '2023-01-02T03:04:05Z'],
  ['time_add', "time_add('2023-01-12T12:37:56-05:00', '6h')", '2023-01-12T18:37:56-05:00'],
  [
    'time_parse with a Go layout',
    "time_parse('Mon Jan 02 2006 15:04:05 -0700', 'Fri Jun 22 2022 17:45:00 +0100')",
    '2022-06-22T17:45:00+01:00',
  ],
  ['time_parse of epoch seconds', "time_parse('1136214245', '1666030994')", '2022-10-17T18:23:14Z'],
  ['time_to_cron', "time_to_cron('2023-02-02T15:04:05Z')", '4 15 2 2 4'],
  ['time_utc', "time_utc('2023-02-02T15:04:05-05:00')", '2023-02-02T20:04:05Z'],
  ['time_diff', "time_diff('2023-01-10T00:00:00Z', '2023-01-11T00:00:00Z')", '24h0m0s'],
  ['time_before', "time_before('2023-01-12T00:00:00Z', '2023-01-13T00:00:00Z')", true],
  ['time_after', "time_after('2023-01-12T00:00:00Z', '2023-01-13T00:00:00Z')", false],
  [
    'time_between',
    "time_between('2023-01-12T00:00:00Z', '2023-01-01T00:00:00Z', '2023-01-31T00:00:00Z')",
    true,
  ],
  ['time_truncate to an hour', "time_truncate('2023-01-12T17:37:00Z', '1h')", '2023-01-12T17:00:00Z'],
  [
    'time_truncate to a week counts from Go zero time',
    "time_truncate('2023-01-12T17:37:00Z', '168h')",
    '2023-01-09T00:00:00Z',
  ],
  ['path_canonicalize', "path_canonicalize('/var//lib/../run/')", '/var/run'],
  ['truncate', "truncate('Lorem ipsum', `5`)", 'Lorem'],
  ['truncate with a negative length', "truncate('Lorem', `-1`)", ''],
  ['semver_compare in range', "semver_compare('4.1.3', '>=4.1.x')", true],
  ['semver_compare out of range', "semver_compare('4.1.3', '!4.x.x')", false],
  ['semver_compare AND/OR', "semver_compare('1.5.0', '<1.0.0 || >=1.4.0 <2.0.0')", true],
  ['semver_compare: an invalid version is 0.0.0', "semver_compare('v1.2.3', '<0.0.1')", true],
  ['parse_json', 'parse_json(\'{"a":[1,2]}\')', { a: [1, 2] }],
  ['parse_yaml', "parse_yaml('a: 1\nb: [x, y]')", { a: 1, b: ['x', 'y'] }],
  ['lookup in an object', 'lookup(`{"a":1}`, \'a\')', 1],
  ['lookup out of array range is null', 'lookup(`[1]`, `5`)', null],
  [
    'items of an object, sorted by key',
    'items(`{"b":1,"a":2}`, \'k\', \'v\')',
    [
      { k: 'a', v: 2 },
      { k: 'b', v: 1 },
    ],
  ],
  ['items of an array', "items(`[\"x\"]`, 'i', 'v')", [{ i: 0, v: 'x' }]],
  ['object_from_lists pads with null', 'object_from_lists(`["a","b"]`, `[1]`)', { a: 1, b: null }],
  ['image_normalize adds registry and tag', "image_normalize('nginx')", 'docker.io/nginx:latest'],
  [
    'image_normalize keeps a digest only',
    "image_normalize('ghcr.io/a/b:1@sha256:" + 'a'.repeat(64) + "')",
    'ghcr.io/a/b@sha256:' + 'a'.repeat(64),
  ],
  ['is_external_url of a private IP', "is_external_url('http://192.168.1.1/x')", false],
  ['is_external_url of a public IP', "is_external_url('https://8.8.8.8')", true],
  ['sha256', "sha256('abc')", 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['md5', "md5('abc')", '900150983cd24fb0d6963f7d28e17f72'],
];

describe('Kyverno JMESPath functions', () => {
  it.each(cases)('%s', (_name, expr, expected) => {
    expect(run(expr)).toEqual(expected);
  });

  const errors: [string, string, string][] = [
    [
      'to_boolean of other text',
      "to_boolean('yes')",
      "JMESPath function 'to_boolean': lowercase argument must be 'true' or 'false' (provided: 'yes')",
    ],
    ['divide by zero', 'divide(`1`, `0`)', "JMESPath function 'divide': Zero divisor passed"],
    [
      'modulo of fractions',
      'modulo(`1.5`, `1`)',
      "JMESPath function 'modulo': Non-integer argument(s) passed for modulo",
    ],
    ['add of a quantity and a number', "add('1Gi', `1`)", "JMESPath function 'add': Types mismatch"],
    ['add of text', "add('abc', `1`)", "JMESPath function 'add': invalid operand"],
    ['sum of nothing', 'sum(`[]`)', "JMESPath function 'sum': at least one element in the array is required"],
    [
      'round with fractional digits',
      'round(`1`, `1.5`)',
      "JMESPath function 'round': Non-integer argument(s) passed for round off",
    ],
    [
      'wrong argument type',
      'to_upper(`1`)',
      "JMESPath function 'to_upper': argument #1 is not of type String",
    ],
    ['wrong arity', "trim('a')", "JMESPath function 'trim': expected 2 arguments, got 1"],
    ['bad base64', "base64_decode('abc')", 'illegal base64 data at input byte 0'],
    ['bad time', "time_utc('yesterday')", 'parsing time "yesterday"'],
    ['bad regex', "regex_match('(', 'x')", 'error parsing regexp'],
  ];
  it.each(errors)('error: %s', (_name, expr, message) => {
    expect(() => run(expr)).toThrow(message);
  });

  it('random produces a string matching its pattern', () => {
    const s = run("random('[a-z]{4}-[0-9]{2}')") as string;
    expect(s).toMatch(/^[a-z]{4}-[0-9]{2}$/);
  });

  it('every function in the table has a test case or a documented reason', () => {
    const tested = new Set([...cases, ...errors].map(([, e]) => /^([a-z0-9_]+)\(/.exec(e)?.[1]));
    const untested = KYVERNO_FUNCTIONS.map((f) => f.name).filter(
      (n) => !tested.has(n) && n !== 'random' && n !== 'x509_decode',
    );
    expect(untested).toEqual([]);
  });
});

describe('evaluation semantics (Kyverno interpreter)', () => {
  const data = { a: { b: { c: 1 } }, list: [{ n: 'x' }, { n: 'y' }] };
  it.each([
    ['a missing key on a path is an error', 'a.x.c', 'error'],
    ['|| falls back over a missing key', "a.x || 'd'", 'd'],
    ['a pipe swallows a missing key', 'a.x | @', null],
    ['function arguments treat missing keys as null', 'to_string(a.x)', 'null'],
    ['projections skip missing keys', 'list[].m', []],
    ['filters compare', "list[?n=='y'].n", ['y']],
    ['let binds variables', 'let $v = a.b in $v.c', 1],
  ] as [string, string, unknown][])('%s', (_n, expr, expected) => {
    if (expected === 'error') expect(() => searchJmesPath(expr, data)).toThrow('Unknown key "x" in path');
    else expect(searchJmesPath(expr, data)).toEqual(expected);
  });

  it('syntax errors are coded with the expression and a position', () => {
    try {
      compileJmesPath('a.b[');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyExpressionError);
      const e = err as PolicyExpressionError;
      expect(e.code).toBe('E_PARSE');
      expect(e.expression).toBe('a.b[');
      expect(e.position).toBe(4);
    }
  });

  it('bounds: long expressions, deep nesting, step budget and hostile regexes', () => {
    expect(() => compileJmesPath('a'.repeat(20000))).toThrow(/limit/);
    expect(() => compileJmesPath('('.repeat(100) + 'a' + ')'.repeat(100))).toThrow(/nests deeper/);
    const big = { l: Array.from({ length: 2000 }, (_, i) => i) };
    expect(() => compileJmesPath('l[].[l]').search(big, { maxSteps: 1000 })).toThrow(/evaluation steps/);
    const start = Date.now();
    expect(searchJmesPath("regex_match('(a+)+$', @)", 'a'.repeat(5000) + 'b')).toBe(false);
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('Kubernetes quantities and Go durations', () => {
  it.each([
    ['1.5Gi', '1536Mi'],
    ['1000m', '1'],
    ['0.1', '100m'],
    ['1500', '1500'],
    ['2000', '2k'],
    ['512Ki', '512Ki'],
    ['100Ki', '100Ki'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['0.1n', '1n'],
    ['-1Gi', '-1Gi'],
  ])('quantity %s is shown as %s', (input, expected) => {
    expect(formatQuantity(parseQuantity(input))).toBe(expected);
  });
  it.each(['', 'abc', '1.2.3', '1Zi', '--1'])('quantity %j is rejected', (input) => {
    expect(() => parseQuantity(input)).toThrow();
  });
  it.each([
    ['1h', '1h0m0s'],
    ['90m', '1h30m0s'],
    ['1.5s', '1.5s'],
    ['100ms', '100ms'],
    ['1500us', '1.5ms'],
    ['0', '0s'],
    ['-2m3s', '-2m3s'],
  ])('duration %s is shown as %s', (input, expected) => {
    expect(formatDuration(parseDuration(input))).toBe(expected);
  });
});
