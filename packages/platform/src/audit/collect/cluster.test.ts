import { describe, expect, it } from 'vitest';
import { auditObjects, compileChecks } from '../engine.js';
import { CLUSTER_KINDS, selectObjects } from './cluster.js';
import type { ClusterKind } from './cluster.js';

const kind = (k: string): ClusterKind => {
  const found = CLUSTER_KINDS.find((x) => x.kind === k);
  if (!found) throw new Error(`no ${k}`);
  return found;
};

const owned = (name: string, ns: string, ownerKind: string, controller = true): Record<string, unknown> => ({
  metadata: {
    name,
    namespace: ns,
    ownerReferences: [{ apiVersion: 'apps/v1', kind: ownerKind, name: 'o', uid: 'u', controller }],
  },
});

describe('selecting listed objects for the audit', () => {
  const cases: { name: string; kind: string; item: Record<string, unknown>; audited: boolean }[] = [
    {
      name: 'a Pod without owner is audited',
      kind: 'Pod',
      item: { metadata: { name: 'p', namespace: 'a' } },
      audited: true,
    },
    {
      name: 'a Pod controlled by a ReplicaSet is not',
      kind: 'Pod',
      item: owned('p', 'a', 'ReplicaSet'),
      audited: false,
    },
    { name: 'a Pod controlled by a Job is not', kind: 'Pod', item: owned('p', 'a', 'Job'), audited: false },
    {
      name: 'a Pod controlled by a custom controller is audited',
      kind: 'Pod',
      item: owned('p', 'a', 'Rollout'),
      audited: true,
    },
    {
      name: 'a Pod with a non-controller owner is audited',
      kind: 'Pod',
      item: owned('p', 'a', 'ReplicaSet', false),
      audited: true,
    },
    {
      name: "a Deployment's ReplicaSet is not audited",
      kind: 'ReplicaSet',
      item: owned('r', 'a', 'Deployment'),
      audited: false,
    },
    {
      name: 'a bare ReplicaSet is audited',
      kind: 'ReplicaSet',
      item: { metadata: { name: 'r', namespace: 'a' } },
      audited: true,
    },
    { name: "a CronJob's Job is not audited", kind: 'Job', item: owned('j', 'a', 'CronJob'), audited: false },
    {
      name: 'an object being deleted is not audited',
      kind: 'Deployment',
      item: { metadata: { name: 'd', namespace: 'a', deletionTimestamp: '2024-01-01T00:00:00Z' } },
      audited: false,
    },
    {
      name: 'an item without a name is skipped',
      kind: 'Service',
      item: { metadata: { namespace: 'a' } },
      audited: false,
    },
  ];
  it.each(cases)('$name', ({ kind: k, item, audited }) => {
    expect(selectObjects(kind(k), [item]).length).toBe(audited ? 1 : 0);
  });

  it('sets apiVersion/kind from the list, drops managedFields and names the object k8s://ns/Kind/name', () => {
    const [o] = selectObjects(kind('Deployment'), [
      {
        metadata: { name: 'web', namespace: 'shop', managedFields: [{ manager: 'x' }], uid: 'u1' },
        spec: {},
      },
    ]);
    expect(o?.apiVersion).toBe('apps/v1');
    expect(o?.object['kind']).toBe('Deployment');
    expect(o?.object['metadata']).toEqual({ name: 'web', namespace: 'shop', uid: 'u1' });
    expect(o?.location.file).toBe('k8s://shop/Deployment/web');
  });

  it('with a namespace filter keeps its Namespace objects and the ClusterRoleBindings into it only', () => {
    const only = { namespaces: ['shop'] };
    expect(
      selectObjects(
        kind('Namespace'),
        [{ metadata: { name: 'shop' } }, { metadata: { name: 'other' } }],
        only,
      ).map((o) => o.name),
    ).toEqual(['shop']);
    const crbs = [
      { metadata: { name: 'in' }, subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'shop' }] },
      { metadata: { name: 'out' }, subjects: [{ kind: 'Group', name: 'system:masters' }] },
    ];
    expect(selectObjects(kind('ClusterRoleBinding'), crbs, only).map((o) => o.name)).toEqual(['in']);
    expect(selectObjects(kind('ClusterRole'), [{ metadata: { name: 'admin' } }], only)).toEqual([]);
    expect(selectObjects(kind('Role'), [{ metadata: { name: 'r', namespace: 'other' } }], only)).toEqual([]);
  });
});

describe('PAL001 over cluster objects', () => {
  it('does not count cluster-scoped objects as objects of the default namespace', () => {
    const objs = [
      ...selectObjects(kind('Namespace'), [{ metadata: { name: 'shop' } }]),
      ...selectObjects(kind('ClusterRoleBinding'), [{ metadata: { name: 'crb' }, subjects: [] }]),
      ...selectObjects(kind('ClusterRole'), [{ metadata: { name: 'cr' }, rules: [] }]),
    ];
    const results = auditObjects(compileChecks({ ids: ['PAL001'] }), objs);
    const flagged = results.filter((r) => r.results.some((c) => c.checkId === 'PAL001' && !c.success));
    expect(flagged.map((r) => r.object.name)).toEqual(['shop']);
  });
});
