import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/shared-data.js';
import { Engine } from './engine.js';
import type { RuntimeEvent } from './fields/types.js';
import type { CompiledRule } from './rules/compiler.js';
import { loadRules } from './rules/loader.js';
import { auditEvent, decodeAuditEvents } from './sources/k8saudit.js';

const falco = sharedData('conformance', 'falco');
const rulesPath = join(falco, 'k8saudit', 'k8s_audit_rules.yaml');
const loaded = loadRules([{ name: rulesPath, content: readFileSync(rulesPath, 'utf8') }]);
const traceDir = join(falco, 'k8saudit-fixtures', 'trace_files');
const traceText = readdirSync(traceDir)
  .sort()
  .map((f) => readFileSync(join(traceDir, f), 'utf8'))
  .join('\n');

/** Every enabled rule's predicate on a fresh copy of the event (no index, no shared memo). */
function bruteForce(rules: readonly CompiledRule[], e: RuntimeEvent): string[] {
  return rules
    .filter((r) => r.enabled && r.source === e.source)
    .sort((a, b) => a.order - b.order)
    .filter((r) => r.predicate({ ...e, memo: undefined }))
    .map((r) => r.name);
}

const audit = (over: Record<string, unknown>): RuntimeEvent =>
  auditEvent(
    {
      kind: 'Event',
      stage: 'ResponseComplete',
      verb: 'create',
      user: { username: 'alice' },
      objectRef: { resource: 'pods', namespace: 'default', name: 'p' },
      requestObject: { spec: { containers: [{ image: 'nginx', securityContext: { privileged: true } }] } },
      ...over,
    },
    1,
  );

describe('rule index', () => {
  it('the k8s audit rules are indexed by stage, verb, resource and subresource', () => {
    expect(loaded.ok).toBe(true);
    const engine = new Engine(loaded.rules, { sources: ['k8s_audit'] });
    expect(engine.indexFields('k8s_audit')).toEqual([
      'jevt.value[/stage]',
      'ka.verb',
      'ka.target.resource',
      'ka.target.subresource',
    ]);
  });

  it('reports the same matches as running every rule, on every fixture event', () => {
    const engine = new Engine(loaded.rules, { sources: ['k8s_audit'], match: 'all' });
    const { events } = decodeAuditEvents(traceText);
    expect(events.length).toBeGreaterThan(30);
    let matched = 0;
    // twice: the second pass answers from the index cache
    for (const pass of [1, 2])
      for (const e of events) {
        const want = bruteForce(loaded.rules, e);
        const fresh = { ...e, memo: undefined };
        expect(
          engine.process(fresh).map((m) => m.rule.name),
          `pass ${pass} event ${e.num}`,
        ).toEqual(want);
        matched += want.length;
      }
    expect(matched).toBeGreaterThan(30);
  });

  it('values that would collide if joined with a separator get their own index entries', () => {
    // '|'-joined, both would read ResponseComplete|a|b|pods|…: the first fails the stage guard of
    // rules that only guard the stage, the second passes it
    const variants = [
      audit({ stage: 'ResponseComplete|a', verb: 'b' }),
      audit({ verb: 'a|b' }),
      audit({ stage: 'ResponseComplete|3:a', verb: '1:b' }),
      audit({ verb: 'a|3:b' }),
    ];
    const engine = new Engine(loaded.rules, { sources: ['k8s_audit'], match: 'all' });
    for (const e of variants)
      expect(engine.process({ ...e, memo: undefined }).map((m) => m.rule.name)).toEqual(
        bruteForce(loaded.rules, e),
      );
    expect(bruteForce(loaded.rules, variants[1] as RuntimeEvent)).toContain('Disallowed K8s User');
  });

  it.each([
    [
      'missing verb, resource or stage',
      [{ verb: undefined }, { objectRef: undefined }, { stage: undefined }, {}],
    ],
    [
      'non-string values (numbers, lists, objects)',
      [
        { verb: 7 },
        { verb: ['create'] },
        { objectRef: { resource: { a: 1 } } },
        { stage: ['ResponseComplete'] },
      ],
    ],
  ])('%s: same matches as running every rule', (_name, overs) => {
    const engine = new Engine(loaded.rules, { sources: ['k8s_audit'], match: 'all' });
    for (const o of overs) {
      const e = audit(o);
      expect(
        engine.process({ ...e, memo: undefined }).map((m) => m.rule.name),
        JSON.stringify(o),
      ).toEqual(bruteForce(loaded.rules, e));
    }
  });

  it('stays correct past its cache bound (many distinct verbs)', () => {
    const engine = new Engine(loaded.rules, { sources: ['k8s_audit'], match: 'all' });
    for (let i = 0; i < 5000; i++) {
      const e = audit({ verb: i % 2 === 0 ? `v${i}` : 'create' });
      const got = engine.process({ ...e, memo: undefined }).map((m) => m.rule.name);
      if (i % 97 === 0 || i > 4090) expect(got).toEqual(bruteForce(loaded.rules, e));
    }
  });

  it('first match wins through the index as without it', () => {
    const engine = new Engine(loaded.rules, { sources: ['k8s_audit'] });
    const { events } = decodeAuditEvents(traceText);
    for (const e of events)
      expect(engine.process({ ...e, memo: undefined }).map((m) => m.rule.name)).toEqual(
        bruteForce(loaded.rules, e).slice(0, 1),
      );
  });
});

describe('field memo', () => {
  it('each field is read from the event once, however many rules and outputs use it', () => {
    const rules = ['a', 'b', 'c']
      .map(
        (n) =>
          `- rule: ${n}\n  desc: d\n  condition: ka.verb startswith ${n === 'c' ? 'cr' : n}\n  output: ${n} %ka.verb\n  priority: NOTICE\n  source: k8s_audit\n`,
      )
      .join('');
    const r = loadRules([{ name: 'memo.yaml', content: rules }]);
    expect(r.ok).toBe(true);
    const engine = new Engine(r.rules, { sources: ['k8s_audit'], match: 'all' });
    let reads = 0;
    const data = {
      get verb(): string {
        reads++;
        return 'create';
      },
    };
    const e: RuntimeEvent = { source: 'k8s_audit', type: 'k8s_audit', num: 1, sec: 0, nsec: 0, data };
    const matches = engine.process(e);
    expect(matches.map((m) => m.rule.name)).toEqual(['c']);
    expect(engine.alert(matches[0] as (typeof matches)[0]).rendered.output).toBe('c create');
    expect(reads).toBe(1);
  });
});
