import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJmesPath } from '../jmespath/index.js';
import {
  findVariables,
  loadContextEntries,
  PolicyContext,
  substituteShared,
  substituteVariables,
} from './index.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
};

function ctx(operation = 'CREATE'): PolicyContext {
  return PolicyContext.forRequest({
    object: pod,
    oldObject: operation === 'DELETE' ? pod : null,
    operation,
    userInfo: { username: 'system:serviceaccount:kube-system:deployer' },
  });
}

describe('substitution', () => {
  it.each([
    ['a whole-string variable keeps its type', '{{ request.object.metadata.labels }}', { app: 'web' }],
    ['an embedded variable becomes text', 'name-{{request.object.metadata.name}}', 'name-web'],
    ['an embedded object becomes JSON', 'l={{request.object.metadata.labels}}', 'l={"app":"web"}'],
    ['pipes and functions', '{{ request.object.metadata.name | to_upper(@) }}', 'WEB'],
    ['nested variables resolve inside out', '{{ request.object.metadata.{{ `"name"` }} }}', 'web'],
    ['escaped variables lose the backslash', '\\{{ not.a.var }}', '{{ not.a.var }}'],
    ['serviceAccountName', '{{serviceAccountName}}/{{serviceAccountNamespace}}', 'deployer/kube-system'],
    ['images', '{{ images.containers.nginx.tag }}', '1.25'],
    ['default with ||', "{{ request.object.metadata.annotations.x || 'none' }}", 'none'],
  ] as [string, string, unknown][])('%s', (_n, input, expected) => {
    expect(substituteVariables(input, ctx())).toEqual({ value: expected });
  });

  it('substitutes object keys too', () => {
    expect(substituteVariables({ '{{request.object.metadata.name}}': 1 }, ctx())).toEqual({
      value: { web: 1 },
    });
  });

  it('{{@}} reads the same path under request.object', () => {
    const r = substituteVariables({ metadata: { name: '{{@}}' } }, ctx(), { path: '/validate/pattern' });
    expect(r).toEqual({ value: { metadata: { name: 'web' } } });
  });

  it('DELETE requests read request.object as request.oldObject', () => {
    const c = PolicyContext.forRequest({ object: null, oldObject: pod, operation: 'DELETE' });
    expect(substituteVariables('{{ request.object.metadata.name }}', c)).toEqual({ value: 'web' });
  });

  it('an unresolved variable is an error with Kyverno message and rule prefix', () => {
    expect(substituteVariables('{{ request.object.spec.nope.x }}', ctx())).toEqual({
      error: 'Unknown key "nope" in path',
    });
    expect(
      substituteVariables('x-{{ to_upper(`1`) }}', ctx(), { path: '/validate/message', ruleName: 'r1' }),
    ).toEqual({
      error:
        "variable substitution failed for rule r1: failed to resolve to_upper(`1`) at path /validate/message: JMESPath function 'to_upper': argument #1 is not of type String",
    });
  });

  it('self-referencing substitution is bounded', () => {
    const c = ctx();
    c.set('loop', '{{ loop }}x');
    const r = substituteVariables('a {{ loop }}', c);
    expect('error' in r && r.error).toMatch(/did not settle/);
  });

  it('$() references resolve against the document, with operators', () => {
    const doc = {
      spec: { max: '10', '(min)': 5, value: '$(./../max)', other: '<=$(./../max)', n: '$(>=./../min)' },
    };
    expect(substituteVariables(doc, ctx(), { path: '/validate/pattern' })).toEqual({
      value: { spec: { max: '10', '(min)': 5, value: '10', other: '<=10', n: '>=5.000000' } },
    });
  });

  it('checkpoint and restore around foreach elements', () => {
    const c = ctx();
    c.checkpoint();
    c.set('element', { name: 'a' });
    c.set('elementIndex', 0);
    expect(c.query('element.name')).toBe('a');
    c.restore();
    expect(c.get('element')).toBeUndefined();
  });
});

describe('context entries', () => {
  it('loads variables, configMaps, apiCalls and global references from supplied data', () => {
    const c = ctx();
    const r = loadContextEntries(
      [
        { name: 'ns', variable: { jmesPath: 'request.object.metadata.namespace' } },
        { name: 'fallback', variable: { jmesPath: 'request.object.metadata.nothing', default: 'dflt' } },
        { name: 'val', variable: { value: { n: '{{ns}}' }, jmesPath: 'n' } },
        { name: 'cm', configMap: { name: 'settings', namespace: '{{ns}}' } },
        {
          name: 'count',
          apiCall: { urlPath: '/api/v1/namespaces/{{ns}}/pods', jmesPath: 'items | length(@)' },
        },
        { name: 'g', globalReference: { name: 'regs', jmesPath: '[0]' } },
      ],
      c,
      {
        configMaps: [
          { kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'prod' }, data: { k: 'v' } },
        ],
        apiCalls: { '/api/v1/namespaces/prod/pods': { items: [1, 2, 3] } },
        globalContext: { regs: ['ghcr.io'] },
      },
    );
    expect(r).toEqual({ ok: true, loaded: ['ns', 'fallback', 'val', 'cm', 'count', 'g'] });
    expect(c.query('[ns, fallback, val, cm.data.k, count, g]')).toEqual([
      'prod',
      'dflt',
      'prod',
      'v',
      3,
      'ghcr.io',
    ]);
  });

  it('supplied test variables win, and missing data is an error naming the entry', () => {
    const c = ctx();
    expect(
      loadContextEntries([{ name: 'cm', configMap: { name: 'x' } }], c, { variables: { cm: 1 } }).ok,
    ).toBe(true);
    const r = loadContextEntries([{ name: 'cm2', configMap: { name: 'x' } }], c, {});
    expect(r.error).toEqual({
      entry: 'cm2',
      message: 'failed to retrieve config map for context entry cm2: configmaps "x" not found',
    });
    expect(loadContextEntries([{ name: 'img', imageRegistry: { reference: 'nginx' } }], c).ok).toBe(false);
  });
});

// Every {{ }} expression in the Kyverno policy library must compile.
const LIBRARY = resolve(__dirname, '../../../../../../shared/data/conformance/kyverno-policies');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

describe('Kyverno policy library expressions', () => {
  it('every {{ }} expression in the library compiles', () => {
    if (!existsSync(LIBRARY)) throw new Error(`conformance data missing: ${LIBRARY}`);
    const failures: string[] = [];
    let count = 0;
    for (const file of yamlFiles(LIBRARY)) {
      const text = readFileSync(file, 'utf8');
      for (const line of text.split('\n')) {
        for (const v of findVariables(line)) {
          // Inner nested variables and the {{@}} shorthand are resolved before compiling.
          // Expressions inside JSON embedded in block scalars (patchesJson6902) carry JSON escapes.
          const expr = v === '@' ? '@' : v.replace(/\{\{[^{}]*\}\}/g, 'x').replace(/\\"/g, '"');
          if (expr === '') continue;
          count++;
          try {
            compileJmesPath(expr);
          } catch (err) {
            failures.push(`${file.slice(LIBRARY.length + 1)}: ${expr}: ${(err as Error).message}`);
          }
        }
      }
    }
    console.log(
      `Kyverno library: ${count} {{ }} expressions, ${count - failures.length} compile, ${failures.length} fail`,
    );
    for (const f of failures) console.log(`  FAIL ${f}`);
    expect(count).toBeGreaterThan(100);
    expect(failures).toEqual([]);
  });
});

describe('PolicyContext.setMany', () => {
  it('sets several paths like successive set() calls and leaves checkpoints untouched', () => {
    const a = new PolicyContext({ request: { object: { a: 1 }, operation: 'CREATE' }, x: 1 });
    const b = new PolicyContext({ request: { object: { a: 1 }, operation: 'CREATE' }, x: 1 });
    a.checkpoint();
    const before = a.snapshot();
    const entries: Array<[string, unknown]> = [
      ['request.object', { a: 2 }],
      ['request.object.b', 3],
      ['element', 'e'],
      ['elementIndex', 0],
      ['deep.er.path', true],
    ];
    a.setMany(entries);
    for (const [k, v] of entries) b.set(k, v);
    expect(a.snapshot()).toEqual(b.snapshot());
    expect(before).toEqual({ request: { object: { a: 1 }, operation: 'CREATE' }, x: 1 });
    a.reset();
    expect(a.snapshot()).toBe(before);
  });
});

describe('substituteShared (compiled plans, copy-on-write) gives what substituteVariables gives', () => {
  const ctx = new PolicyContext({
    request: {
      object: { metadata: { name: 'web', labels: { app: 'a' } }, spec: { n: 3 } },
      operation: 'CREATE',
    },
  });
  it.each<[string, unknown]>([
    ['no variables', { a: ['x', { b: 'y' }], c: 1 }],
    ['a typed variable', { spec: { replicas: '{{ request.object.spec.n }}' }, keep: { x: 1 } }],
    [
      'embedded variables in a list',
      ['name={{ request.object.metadata.name }}', 'plain', '{{request.object.metadata.labels.app}}'],
    ],
    ['a missing key errors', { a: '{{ request.object.nope.x }}' }],
    ['a default with ||', { a: "{{ request.object.nope || 'd' }}" }],
    ['an escaped variable', { a: '\\{{ not.substituted }}' }],
    ['a reference', { a: { b: 'v', c: '$(./b)' } }],
    ['a variable in a key', { '{{ request.object.metadata.name }}': 1 }],
  ])('%s', (_name, value) => {
    const shared = substituteShared(value, ctx, { path: '/validate/pattern' });
    const full = substituteVariables(value, ctx, { path: '/validate/pattern' });
    expect(shared).toEqual(full);
    if (!('error' in shared) && JSON.stringify(shared.value) === JSON.stringify(value))
      expect(shared.value).toBe(value);
  });
  it('shares the parts without variables and never modifies its input', () => {
    const value = { keep: { deep: ['x'] }, change: { v: '{{ request.object.metadata.name }}' } };
    const copy = structuredClone(value);
    const r = substituteShared(value, ctx);
    expect('value' in r && (r.value as typeof value).keep).toBe(value.keep);
    expect('value' in r && (r.value as typeof value).change.v).toBe('web');
    expect(value).toEqual(copy);
  });
});
