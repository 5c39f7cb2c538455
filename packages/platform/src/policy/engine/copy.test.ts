import { describe, expect, it } from 'vitest';
import { cloneJson, copyObject } from './copy.js';

describe('copyObject', () => {
  it('copies own keys in order, shallowly', () => {
    const inner = { x: 1 };
    const src = { b: 1, a: inner, c: 'z' };
    const out = copyObject(src);
    expect(Object.keys(out)).toEqual(['b', 'a', 'c']);
    expect(out).not.toBe(src);
    expect(out['a']).toBe(inner);
  });

  it('keeps __proto__ a plain key, as spread does', () => {
    const src = JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as Record<string, unknown>;
    const out = copyObject(src);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'k']);
    expect(out).toEqual({ ...src });
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('cloneJson', () => {
  it('deep-copies maps and lists, keeping key order and scalars', () => {
    const src = { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }], n: null, t: true } };
    const out = cloneJson(src);
    expect(out).toEqual(src);
    expect(JSON.stringify(out)).toBe(JSON.stringify(src));
    expect(out.spec).not.toBe(src.spec);
    expect(out.spec.containers[0]).not.toBe(src.spec.containers[0]);
    out.spec.containers[0]!.name = 'b';
    expect(src.spec.containers[0]!.name).toBe('a');
  });

  it('keeps __proto__ a plain key at any depth', () => {
    const src = JSON.parse('{"m": {"__proto__": {"x": 1}}}') as { m: Record<string, unknown> };
    const out = cloneJson(src);
    expect(Object.getPrototypeOf(out.m)).toBe(Object.prototype);
    expect(Object.keys(out.m)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(out.m, '__proto__')?.value).toEqual({ x: 1 });
  });

  it('copies a map reached twice as two maps', () => {
    const shared = { a: 1 };
    const out = cloneJson({ x: shared, y: shared });
    expect(out.x).not.toBe(out.y);
    out.x.a = 2;
    expect(out.y.a).toBe(1);
  });

  it('copies values that are not plain maps or lists with structuredClone', () => {
    const d = new Date(0);
    const out = cloneJson({ d });
    expect(out.d).not.toBe(d);
    expect(out.d).toEqual(d);
  });
});
