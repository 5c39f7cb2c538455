/**
 * Anchors in pattern keys (Kyverno's pkg/engine/anchor): `(key)` conditional, `=(key)` equality,
 * `^(key)` existence, `X(key)` negation, `<(key)` global and `+(key)` add-if-not-present (mutate only).
 */

export type AnchorModifier =
  'condition' | 'equality' | 'existence' | 'negation' | 'global' | 'addIfNotPresent';

export interface Anchor {
  readonly modifier: AnchorModifier;
  readonly key: string;
}

const ANCHOR_RE = /^([+<=X^])?\((.+)\)$/s;
const MODIFIERS: Record<string, AnchorModifier> = {
  '': 'condition',
  '=': 'equality',
  '^': 'existence',
  X: 'negation',
  '<': 'global',
  '+': 'addIfNotPresent',
};

const cache = new Map<string, Anchor | null>();

/** The anchor of a pattern key, or null for a plain key. */
export function parseAnchor(key: string): Anchor | null {
  // most keys are plain: no map lookup for keys that cannot be anchors
  if (key.length < 3 || key.charCodeAt(key.length - 1) !== 41 /* ) */) return null;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const m = ANCHOR_RE.exec(key);
  const a = m ? { modifier: MODIFIERS[m[1] ?? ''] as AnchorModifier, key: m[2] as string } : null;
  if (cache.size < 10_000) cache.set(key, a);
  return a;
}

/** The key without its anchor. */
export function anchorKey(key: string): string {
  return parseAnchor(key)?.key ?? key;
}

/** True when a pattern value holds an anchor anywhere below it. */
export function containsAnchor(value: unknown, depth = 0): boolean {
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  // loops (no closure, no entries array): pattern walks ask this of substituted maps per request
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (containsAnchor(value[i], depth + 1)) return true;
    return false;
  }
  const map = value as Record<string, unknown>;
  for (const k in map) {
    if (!Object.prototype.hasOwnProperty.call(map, k)) continue;
    if (parseAnchor(k)) return true;
    if (containsAnchor(map[k], depth + 1)) return true;
  }
  return false;
}
