import { describe, expect, it } from 'vitest';
import type { Obj } from '../engine/types.js';
import { strategicMergePatch } from './strategic.js';

const pod = (spec: Obj, metadata: Obj = { name: 'p' }): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec,
});

describe('patchStrategicMerge as Kyverno applies it', () => {
  const cases: Array<{ name: string; resource: Obj; overlay: Obj; want: Obj }> = [
    {
      name: 'plain maps are merged key by key',
      resource: pod({ a: 1 }, { name: 'p', labels: { x: '1' } }),
      overlay: { metadata: { labels: { y: '2' } } },
      want: pod({ a: 1 }, { name: 'p', labels: { x: '1', y: '2' } }),
    },
    {
      name: 'a null value deletes the key',
      resource: pod({ a: 1 }, { name: 'p', labels: { x: '1' } }),
      overlay: { metadata: { labels: { x: null } } },
      want: pod({ a: 1 }, { name: 'p', labels: {} }),
    },
    {
      name: 'add-if-not-present adds a missing key',
      resource: pod({}, { name: 'p' }),
      overlay: { metadata: { annotations: { '+(safe)': 'true' } } },
      want: pod({}, { name: 'p', annotations: { safe: 'true' } }),
    },
    {
      name: 'add-if-not-present keeps a key that exists',
      resource: pod({}, { name: 'p', annotations: { safe: 'false' } }),
      overlay: { metadata: { annotations: { '+(safe)': 'true' } } },
      want: pod({}, { name: 'p', annotations: { safe: 'false' } }),
    },
    {
      name: 'a top-level conditional anchor that fails leaves the resource unchanged',
      resource: pod({ hostNetwork: false }),
      overlay: { spec: { '(hostNetwork)': true, dnsPolicy: 'ClusterFirstWithHostNet' } },
      want: pod({ hostNetwork: false }),
    },
    {
      name: 'a top-level conditional anchor that holds applies the rest',
      resource: pod({ hostNetwork: true }),
      overlay: { spec: { '(hostNetwork)': true, dnsPolicy: 'ClusterFirstWithHostNet' } },
      want: pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }),
    },
    {
      name: 'a conditional anchor in a list element patches only the matching elements, by name',
      resource: pod({
        containers: [
          { name: 'a', image: 'nginx:latest' },
          { name: 'b', image: 'nginx:1.27' },
        ],
      }),
      overlay: { spec: { containers: [{ '(image)': '*:latest', imagePullPolicy: 'Always' }] } },
      want: pod({
        containers: [
          { name: 'a', image: 'nginx:latest', imagePullPolicy: 'Always' },
          { name: 'b', image: 'nginx:1.27' },
        ],
      }),
    },
    {
      name: 'a global anchor in a list that no element satisfies skips the whole patch',
      resource: pod({ containers: [{ name: 'a', image: 'nginx' }] }),
      overlay: {
        spec: {
          containers: [{ '<(image)': 'corp.reg.com/*' }],
          imagePullSecrets: [{ name: 'my-secret' }],
        },
      },
      want: pod({ containers: [{ name: 'a', image: 'nginx' }] }),
    },
    {
      name: 'a global anchor in a list that one element satisfies applies the patch',
      resource: pod({ containers: [{ name: 'a', image: 'corp.reg.com/app' }] }),
      overlay: {
        spec: {
          containers: [{ '<(image)': 'corp.reg.com/*' }],
          imagePullSecrets: [{ name: 'my-secret' }],
        },
      },
      want: pod({
        containers: [{ name: 'a', image: 'corp.reg.com/app' }],
        imagePullSecrets: [{ name: 'my-secret' }],
      }),
    },
    {
      name: 'a global anchor nested in a list element checks the nested field',
      resource: pod({ volumes: [{ name: 'v', hostPath: { path: '/foo' } }] }, { name: 'p' }),
      overlay: {
        metadata: { annotations: { '+(safe-to-evict)': 'true' } },
        spec: { volumes: [{ hostPath: { '<(path)': '*' } }] },
      },
      want: pod(
        { volumes: [{ name: 'v', hostPath: { path: '/foo' } }] },
        { name: 'p', annotations: { 'safe-to-evict': 'true' } },
      ),
    },
    {
      name: 'a global anchor on a list that is absent skips the whole patch',
      resource: pod({ containers: [{ name: 'a', image: 'nginx' }] }, { name: 'p' }),
      overlay: {
        metadata: { annotations: { x: 'y' } },
        spec: { initContainers: [{ '<(name)': '*' }] },
      },
      want: pod({ containers: [{ name: 'a', image: 'nginx' }] }, { name: 'p' }),
    },
    {
      name: 'lists of maps without anchors are merged by name and new elements appended',
      resource: pod({ containers: [{ name: 'a', image: 'x', env: [{ name: 'A', value: '1' }] }] }),
      overlay: {
        spec: {
          containers: [
            { name: 'a', env: [{ name: 'B', value: '2' }] },
            { name: 'b', image: 'y' },
          ],
        },
      },
      want: pod({
        containers: [
          {
            name: 'a',
            image: 'x',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
          { name: 'b', image: 'y' },
        ],
      }),
    },
    {
      name: 'volume mounts are merged by mountPath',
      resource: pod({ containers: [{ name: 'a', volumeMounts: [{ mountPath: '/x', name: 'v1' }] }] }),
      overlay: { spec: { containers: [{ name: 'a', volumeMounts: [{ mountPath: '/x', readOnly: true }] }] } },
      want: pod({
        containers: [{ name: 'a', volumeMounts: [{ mountPath: '/x', name: 'v1', readOnly: true }] }],
      }),
    },
    {
      name: 'lists of scalars are replaced',
      resource: pod({ containers: [{ name: 'a', args: ['1', '2'] }] }),
      overlay: { spec: { containers: [{ name: 'a', args: ['3'] }] } },
      want: pod({ containers: [{ name: 'a', args: ['3'] }] }),
    },
    {
      name: 'add-if-not-present in an anchored list element sets a default on a matching element without the key',
      resource: pod({ containers: [{ name: 'a', resources: {} }] }),
      overlay: {
        spec: { containers: [{ '(name)': '*', resources: { limits: { '+(memory)': '512Mi' } } }] },
      },
      want: pod({ containers: [{ name: 'a', resources: { limits: { memory: '512Mi' } } }] }),
    },
    {
      // Kyverno preprocesses one copy of the element for all resource elements, so the first element
      // that has the key removes the add-if-not-present field for the following ones
      name: 'add-if-not-present in an anchored list element is resolved once, by the first element',
      resource: pod({
        containers: [
          { name: 'a', resources: { limits: { memory: '1Gi' } } },
          { name: 'b', resources: {} },
        ],
      }),
      overlay: {
        spec: { containers: [{ '(name)': '*', resources: { limits: { '+(memory)': '512Mi' } } }] },
      },
      want: pod({
        containers: [
          { name: 'a', resources: { limits: { memory: '1Gi' } } },
          { name: 'b', resources: {} },
        ],
      }),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.resource);
      expect(strategicMergePatch(c.resource, c.overlay)).toEqual(c.want);
      expect(c.resource, 'the input resource is not modified').toEqual(before);
    });
  }
  it('a patch nested deeper than the bound is an error, not a crash', () => {
    let overlay: Obj = { x: 1 };
    for (let i = 0; i < 200; i++) overlay = { n: overlay };
    expect(() => strategicMergePatch({}, overlay)).toThrow(/deeper/);
  });
});

describe('patchStrategicMerge with a "__proto__" key (parsed from JSON or YAML, a key like any other)', () => {
  it('adds it as a plain key and never changes the result prototype', () => {
    const overlay = JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":"yes"},"a":"1"}}}') as Obj;
    const out = strategicMergePatch(pod({}, { name: 'p', labels: { x: '1' } }), overlay);
    const labels = (out['metadata'] as Obj)['labels'] as Obj;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect((labels as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(labels)).toEqual(['x', '__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('merges into an existing own "__proto__" key', () => {
    const resource = JSON.parse('{"apiVersion":"v1","kind":"Pod","metadata":{"__proto__":{"a":"1"}}}') as Obj;
    const overlay = JSON.parse('{"metadata":{"__proto__":{"b":"2"}}}') as Obj;
    const md = strategicMergePatch(resource, overlay)['metadata'] as Obj;
    expect(Object.getPrototypeOf(md)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(md, '__proto__')?.value).toEqual({ a: '1', b: '2' });
  });
});
