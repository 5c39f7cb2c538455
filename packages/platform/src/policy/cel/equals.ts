/** CEL equality over runtime values (heterogeneous numeric equality, deep lists and maps). */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number'))
    return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a instanceof Map || b instanceof Map) {
    const ea =
      a instanceof Map ? [...a.entries()] : a && typeof a === 'object' ? Object.entries(a) : undefined;
    const eb =
      b instanceof Map ? new Map(b) : b && typeof b === 'object' ? new Map(Object.entries(b)) : undefined;
    if (!ea || !eb || ea.length !== eb.size) return false;
    return ea.every(([k, v]) => eb.has(k) && celEquals(v, eb.get(k)));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype)
      return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    const ob = b as Record<string, unknown>;
    const oa = a as Record<string, unknown>;
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(ob, k) && celEquals(oa[k], ob[k]));
  }
  return false;
}
