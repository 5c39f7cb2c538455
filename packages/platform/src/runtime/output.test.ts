import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/shared-data.js';
import { Engine } from './engine.js';
import { loadRules } from './rules/loader.js';
import type { AlertInput } from './output.js';
import { alertJson, alertJsonReference, jsonString } from './output.js';
import { auditEvent, decodeAuditEvents } from './sources/k8saudit.js';

const falco = sharedData('conformance', 'falco');
const rulesPath = join(falco, 'k8saudit', 'k8s_audit_rules.yaml');
const loaded = loadRules([{ name: rulesPath, content: readFileSync(rulesPath, 'utf8') }]);
const traceDir = join(falco, 'k8saudit-fixtures', 'trace_files');
const traceText = readdirSync(traceDir)
  .sort()
  .map((f) => readFileSync(join(traceDir, f), 'utf8'))
  .join('\n');

/** Strings JSON.stringify writes escaped, and ones it does not (the fast path must match both). */
const HOSTILE = [
  '',
  'plain',
  'quote " inside',
  'back\\slash',
  'controls \u0000\u0001\b\t\n\u000b\f\r\u001f end',
  'del \u007f and nbsp \u00a0',
  'line sep \u2028 para sep \u2029',
  'pair 😀 astral',
  'lone high \ud800 x',
  'lone low \udc00 x',
  'reversed \udc00\ud800',
  'high at end \ud83d',
  '</script><!-- {"a":1}',
  'ünïcødé ✓',
];

describe('jsonString', () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('%s as JSON.stringify writes it', (_, s) => {
    expect(jsonString(s)).toBe(JSON.stringify(s));
  });
  it('every single UTF-16 code unit below U+0080 and every surrogate', () => {
    for (let c = 0; c < 0x80; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      expect(jsonString(s)).toBe(JSON.stringify(s));
    }
    for (let c = 0xd800; c <= 0xdfff; c += 0x37) {
      const s = `a${String.fromCharCode(c)}b`;
      expect(jsonString(s)).toBe(JSON.stringify(s));
    }
  });
});

describe('alertJson (built from parts) against JSON.stringify of the alert object', () => {
  it('is byte-identical for every alert of every rule over the k8saudit fixtures (both time formats)', () => {
    expect(loaded.ok).toBe(true);
    const engine = new Engine(loaded.rules, { match: 'all', hostname: 'host-"1"' });
    const { events } = decodeAuditEvents(traceText);
    let alerts = 0;
    const rules = new Set<string>();
    for (const e of events)
      for (const m of engine.process(e)) {
        const a = engine.alert(m);
        expect(alertJson(a)).toBe(alertJsonReference(a));
        expect(alertJson(a, { timeIso8601: true })).toBe(alertJsonReference(a, { timeIso8601: true }));
        alerts++;
        rules.add(a.rule);
      }
    // the fixtures alert on many rules; a differential test over a handful would prove little
    expect(alerts).toBeGreaterThan(40);
    expect(rules.size).toBeGreaterThan(20);
    console.log(`alertJson differential: ${alerts} alerts of ${rules.size} rules, byte-identical`);
  });

  it('is byte-identical with hostile strings in every part of the alert', () => {
    const e = auditEvent({ kind: 'Event', verb: 'get', user: { username: 'u' } }, 1540476552);
    for (const s of HOSTILE) {
      const a: AlertInput = {
        rule: `rule ${s}`,
        priority: s || 'Warning',
        source: `src${s}`,
        tags: [`t${s}`, 'a', s],
        event: e,
        rendered: { output: `out ${s}`, fields: { [`k${s}`]: s, 'z.null': null, [`a${s}`]: `v${s}` } },
        hostname: `h${s}`,
      };
      expect(alertJson(a)).toBe(alertJsonReference(a));
    }
  });

  it('sorts output_fields and tags given out of order, and follows a rule whose constant parts change', () => {
    const e = auditEvent({ kind: 'Event', verb: 'get' }, 1540476552);
    const tags = ['b', 'a'];
    const a: AlertInput = {
      rule: 'r',
      priority: 'Notice',
      source: 'k8s_audit',
      tags,
      event: e,
      rendered: { output: 'o', fields: { 'z.f': 'z', 'a.f': null, 'm.f': 'm' } },
      hostname: 'h',
    };
    expect(alertJson(a)).toBe(alertJsonReference(a));
    expect(JSON.parse(alertJson(a))).toMatchObject({ tags: ['a', 'b'] });
    expect(Object.keys((JSON.parse(alertJson(a)) as { output_fields: object }).output_fields)).toEqual([
      'a.f',
      'm.f',
      'z.f',
    ]);
    // same tags list (the cache key), other rule, priority and hostname: no stale fragment
    const b: AlertInput = { ...a, rule: 'other', priority: 'Critical', hostname: 'h2' };
    expect(alertJson(b)).toBe(alertJsonReference(b));
    expect(JSON.parse(alertJson(b))).toMatchObject({ rule: 'other', priority: 'Critical', hostname: 'h2' });
  });
});
