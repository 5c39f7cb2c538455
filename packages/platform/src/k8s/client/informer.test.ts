/**
 * The informer and the REST client against a real kube-apiserver + etcd (one cluster for this
 * file; see docs/testing-cluster.md). Each test works in its own namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, startTestCluster } from '../../testing/cluster.js';
import type { TestCluster } from '../../testing/cluster.js';
import { Informer, SharedInformerFactory, objectKey } from './informer.js';
import type { InformerOptions } from './informer.js';
import { ConfigMaps, CustomResourceDefinitions, defineResource } from './resources.js';
import type { KubeObject, ResourceType } from './resources.js';
import { KubeApiError, KubeClient } from './rest.js';

let cluster: TestCluster;
let client: KubeClient;
const stops: AbortController[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  console.log(`test cluster ready in ${cluster.timings.totalMs} ms`);
  client = KubeClient.fromFile(cluster.kubeconfigPath);
});

afterAll(async () => {
  for (const c of stops) c.abort();
  client?.close();
  await cluster?.stop();
});

function stopper(): AbortController {
  const c = new AbortController();
  stops.push(c);
  return c;
}

async function waitUntil(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Applies handler callbacks to a map: what a consumer of the handlers would believe. */
function mirror<T extends KubeObject>(inf: Informer<T>): { state: Map<string, string>; log: string[] } {
  const state = new Map<string, string>();
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (o) => {
      state.set(objectKey(o), o.metadata?.resourceVersion ?? '');
      log.push(`add ${o.metadata?.name} ${o.metadata?.resourceVersion}`);
    },
    onUpdate: (_old, o) => {
      state.set(objectKey(o), o.metadata?.resourceVersion ?? '');
      log.push(`update ${o.metadata?.name} ${o.metadata?.resourceVersion}`);
    },
    onDelete: (o, unknown) => {
      state.delete(objectKey(o));
      log.push(`delete ${o.metadata?.name}${unknown ? ' (final state unknown)' : ''}`);
    },
  });
  return { state, log };
}

/** name -> resourceVersion of a fresh list from the apiserver. */
async function freshList<T extends KubeObject>(r: ResourceType<T>, ns: string): Promise<Map<string, string>> {
  const list = await client.listAll(r, ns);
  return new Map(list.items.map((o) => [objectKey(o), o.metadata?.resourceVersion ?? '']));
}

function cacheOf<T extends KubeObject>(inf: Informer<T>): Map<string, string> {
  return new Map(inf.list().map((o) => [objectKey(o), o.metadata?.resourceVersion ?? '']));
}

type ConfigMap = NonNullable<(typeof ConfigMaps)['__type']>;

function cm(ns: string, name: string, data: Record<string, string> = {}): ConfigMap {
  return { metadata: { name, namespace: ns }, data };
}

async function start<T extends KubeObject>(
  r: ResourceType<T>,
  opts: InformerOptions<T>,
  c: KubeClient = client,
): Promise<{ inf: Informer<T>; stop: AbortController; run: Promise<void> }> {
  const stop = stopper();
  const inf = new Informer(c, r, opts);
  const run = inf.run(stop.signal);
  expect(await inf.waitForSync(AbortSignal.timeout(60_000))).toBe(true);
  return { inf, stop, run };
}

describe('REST client', () => {
  it('creates, reads, patches, lists and deletes, and reports apiserver errors with their status', async () => {
    await cluster.createNamespace('rest');
    const created = await client.create(ConfigMaps, cm('rest', 'a', { x: '1' }));
    expect(created.metadata?.uid).toBeTruthy();
    const got = await client.get(ConfigMaps, 'a', 'rest');
    expect(got.data).toEqual({ x: '1' });
    const patched = await client.patch(ConfigMaps, 'a', { data: { y: '2' } }, { namespace: 'rest' });
    expect(patched.data).toEqual({ x: '1', y: '2' });
    // A PUT with the stale resourceVersion conflicts.
    const stale = await client.replace(ConfigMaps, { ...created, data: { z: '3' } }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(KubeApiError);
    expect((stale as KubeApiError).isConflict).toBe(true);
    expect((stale as KubeApiError).code).toBe('E_K8S_API');
    const dup = await client.create(ConfigMaps, cm('rest', 'a')).catch((e: unknown) => e);
    expect((dup as KubeApiError).isAlreadyExists).toBe(true);
    for (let i = 0; i < 7; i++) await client.create(ConfigMaps, cm('rest', `page-${i}`));
    const page = await client.list(ConfigMaps, 'rest', { limit: 3 });
    expect(page.items).toHaveLength(3);
    expect(page.metadata.continue).toBeTruthy();
    const all = await client.listAll(ConfigMaps, 'rest', { limit: 3 });
    // 8 of ours plus the kube-root-ca.crt ConfigMap only when a controller-manager runs (none here).
    expect(all.items.map((o) => o.metadata?.name).sort()).toEqual(
      ['a', ...Array.from({ length: 7 }, (_, i) => `page-${i}`)].sort(),
    );
    await client.delete(ConfigMaps, 'a', 'rest');
    const gone = await client.get(ConfigMaps, 'a', 'rest').catch((e: unknown) => e);
    expect((gone as KubeApiError).isNotFound).toBe(true);
  });
});

describe('informer', () => {
  it('sees creates, updates and deletes of ConfigMaps in the order they happened', async () => {
    await cluster.createNamespace('order');
    await client.create(ConfigMaps, cm('order', 'pre', { v: '0' }));
    const { inf } = await start(ConfigMaps, { namespace: 'order' });
    const { log } = mirror(inf);
    expect(log).toEqual([`add pre ${inf.get('pre', 'order')?.metadata?.resourceVersion}`]);
    const expected = [...log];
    const a = await client.create(ConfigMaps, cm('order', 'a', { v: '1' }));
    expected.push(`add a ${a.metadata?.resourceVersion}`);
    const b = await client.create(ConfigMaps, cm('order', 'b'));
    expected.push(`add b ${b.metadata?.resourceVersion}`);
    const a2 = await client.patch(ConfigMaps, 'a', { data: { v: '2' } }, { namespace: 'order' });
    expected.push(`update a ${a2.metadata?.resourceVersion}`);
    await client.delete(ConfigMaps, 'b', 'order');
    expected.push('delete b');
    const pre = await client.patch(ConfigMaps, 'pre', { data: { v: '9' } }, { namespace: 'order' });
    expected.push(`update pre ${pre.metadata?.resourceVersion}`);
    await client.delete(ConfigMaps, 'a', 'order');
    expected.push('delete a');
    await waitUntil('six events', () => log.length === expected.length);
    expect(log).toEqual(expected);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['pre']);
    expect(inf.get('pre', 'order')?.data).toEqual({ v: '9' });
  });

  it('advances its resourceVersion on bookmarks without any event of its own', async () => {
    await cluster.createNamespace('bm-a');
    await cluster.createNamespace('bm-b');
    // A short server-side timeout: the apiserver sends a bookmark ~2 s before it closes a watch.
    const { inf } = await start(ConfigMaps, { namespace: 'bm-a', watchTimeoutSeconds: 4 });
    const listed = inf.lastSyncResourceVersion;
    // A change elsewhere moves the ConfigMap watch cache's resourceVersion past our list.
    const other = await client.create(ConfigMaps, cm('bm-b', 'elsewhere'));
    const otherRv = BigInt(other.metadata?.resourceVersion ?? '0');
    await waitUntil('a bookmark past the other namespace write', () => {
      return inf.stats.bookmarks > 0 && BigInt(inf.lastSyncResourceVersion) >= otherRv;
    });
    expect(inf.stats.events).toBe(0);
    expect(BigInt(inf.lastSyncResourceVersion)).toBeGreaterThan(BigInt(listed));
    // Bookmarks let the next watch start from the newer version: no relist was needed.
    expect(inf.stats.lists).toBe(1);
  });

  it('recovers from an apiserver restart mid-watch without losing events', async () => {
    await cluster.createNamespace('restart');
    for (let i = 0; i < 5; i++) await client.create(ConfigMaps, cm('restart', `base-${i}`));
    const { inf } = await start(ConfigMaps, {
      namespace: 'restart',
      backoff: { initialMs: 100, maxMs: 1_000 },
    });
    const seen = mirror(inf);
    for (const [k, v] of cacheOf(inf)) seen.state.set(k, v);
    // Writers keep going through the restart; writes that fail while the apiserver is down are
    // simply not counted.
    let writing = true;
    let ok = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        try {
          if (i % 3 === 0) await client.create(ConfigMaps, cm('restart', `w-${i}`, { i: String(i) }));
          else if (i % 3 === 1)
            await client.patch(
              ConfigMaps,
              `base-${i % 5}`,
              { data: { i: String(i) } },
              { namespace: 'restart' },
            );
          else await client.delete(ConfigMaps, `w-${i - 2}`, 'restart');
          ok++;
        } catch {
          // apiserver down
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await waitUntil('some writes before the restart', () => ok >= 10);
    const before = ok;
    await cluster.restartApiserver();
    await waitUntil('writes after the restart', () => ok >= before + 10);
    writing = false;
    await writer;
    const expected = await freshList(ConfigMaps, 'restart');
    await waitUntil('the informer to catch up', () => {
      const c = cacheOf(inf);
      return c.size === expected.size && [...expected].every(([k, v]) => c.get(k) === v);
    });
    expect(cacheOf(inf)).toEqual(expected);
    // What the handlers told a consumer adds up to the same state.
    expect(seen.state).toEqual(expected);
    expect(inf.stats.watches).toBeGreaterThan(1);
  });

  it('relists on 410 Gone after etcd compaction and an apiserver restart while it was cut off', async () => {
    await cluster.createNamespace('gone');
    for (const n of ['keep', 'change', 'remove']) await client.create(ConfigMaps, cm('gone', n));
    // The informer reaches the apiserver through a proxy the test can cut.
    const port = Number(new URL(cluster.server).port);
    const proxy = await startTcpProxy(port);
    try {
      const viaProxy = KubeClient.fromString(
        cluster.kubeconfig.replace(cluster.server, `https://${proxy.address}`),
      );
      const { inf } = await start(
        ConfigMaps,
        { namespace: 'gone', backoff: { initialMs: 200, maxMs: 500 } },
        viaProxy,
      );
      const seen = mirror(inf);
      for (const [k, v] of cacheOf(inf)) seen.state.set(k, v);
      const oldRv = inf.lastSyncResourceVersion;
      proxy.cut();
      // Changes the informer cannot see as events.
      await client.patch(ConfigMaps, 'change', { data: { v: 'new' } }, { namespace: 'gone' });
      await client.delete(ConfigMaps, 'remove', 'gone');
      await client.create(ConfigMaps, cm('gone', 'added'));
      // The informer's resourceVersion is now compacted in etcd and older than the restarted
      // apiserver's watch cache.
      await cluster.compactEtcd();
      await cluster.restartApiserver();
      // The real apiserver answers a watch from that version with 410 Gone.
      const direct = await (async () => {
        try {
          for await (const ev of client.watch(ConfigMaps, 'gone', {
            resourceVersion: oldRv,
            timeoutSeconds: 5,
          }))
            return ev.type === 'ERROR' ? (ev.object.code ?? 0) : `event ${ev.type}`;
          return 'closed';
        } catch (err) {
          return err instanceof KubeApiError ? err.status : String(err);
        }
      })();
      expect(direct).toBe(410);
      proxy.resume();
      await waitUntil('a relist after 410', () => inf.stats.goneRelists > 0 && inf.stats.lists > 1);
      const expected = await freshList(ConfigMaps, 'gone');
      await waitUntil('the cache to match', () => cacheOf(inf).size === expected.size);
      expect(cacheOf(inf)).toEqual(expected);
      expect(seen.state).toEqual(expected);
      expect(seen.log).toContain('delete remove (final state unknown)');
      expect(seen.log.some((l) => l.startsWith('update change '))).toBe(true);
      expect(seen.log.some((l) => l.startsWith('add added '))).toBe(true);
      viaProxy.close();
    } finally {
      await proxy.stop();
    }
  });

  it('calls onUpdate(obj, obj) for every cached object on each resync', async () => {
    await cluster.createNamespace('resync');
    await client.create(ConfigMaps, cm('resync', 'one'));
    await client.create(ConfigMaps, cm('resync', 'two'));
    const { inf } = await start(ConfigMaps, { namespace: 'resync', resyncPeriodMs: 300 });
    const same: string[] = [];
    inf.addEventHandler({ onUpdate: (o, n) => o === n && same.push(n.metadata?.name ?? '') });
    await waitUntil('two resyncs', () => inf.stats.resyncs >= 2);
    expect(same.filter((n) => n === 'one').length).toBeGreaterThanOrEqual(2);
    expect(same.filter((n) => n === 'two').length).toBeGreaterThanOrEqual(2);
  });

  it('applies its transform to listed and watched objects before caching them and calling handlers', async () => {
    await cluster.createNamespace('transform');
    await client.create(ConfigMaps, cm('transform', 'listed', { big: 'x'.repeat(1000), keep: '1' }));
    const received: string[] = [];
    // Keeps `keep`, replaces the rest of the data by its size; throws for one name.
    const transform = (o: ConfigMap): ConfigMap => {
      received.push(o.metadata?.name ?? '');
      if (o.metadata?.name === 'bad') throw new Error('transform bug');
      const data = o.data ?? {};
      return {
        metadata: {
          name: o.metadata?.name ?? '',
          namespace: o.metadata?.namespace ?? '',
          resourceVersion: o.metadata?.resourceVersion ?? '',
        },
        data: { keep: data['keep'] ?? '', size: String(JSON.stringify(data).length) },
      };
    };
    const { inf } = await start(ConfigMaps, { namespace: 'transform', transform });
    const seen: string[] = [];
    inf.addEventHandler({
      onAdd: (o) => seen.push(`add ${o.metadata?.name} ${JSON.stringify(o.data)}`),
      onUpdate: (_o, n) => seen.push(`update ${n.metadata?.name} ${JSON.stringify(n.data)}`),
      onDelete: (o) => seen.push(`delete ${o.metadata?.name} ${JSON.stringify(o.data)}`),
    });
    expect(inf.get('listed', 'transform')?.data).toEqual({ keep: '1', size: '1021' });
    expect(inf.get('listed', 'transform')?.metadata).not.toHaveProperty('uid');
    await client.create(ConfigMaps, cm('transform', 'watched', { keep: '2', other: 'y' }));
    await client.patch(ConfigMaps, 'watched', { data: { keep: '3' } }, { namespace: 'transform' });
    await client.delete(ConfigMaps, 'watched', 'transform');
    // A throwing transform is counted and logged; the object is cached as received.
    await client.create(ConfigMaps, cm('transform', 'bad', { keep: '4', other: 'z' }));
    await waitUntil('four events', () => seen.length === 5);
    expect(seen).toEqual([
      'add listed {"keep":"1","size":"1021"}',
      'add watched {"keep":"2","size":"24"}',
      'update watched {"keep":"3","size":"24"}',
      'delete watched {"keep":"3","size":"24"}',
      'add bad {"keep":"4","other":"z"}',
    ]);
    expect(received).toEqual(['listed', 'watched', 'watched', 'watched', 'bad']);
    expect(inf.stats.transformErrors).toBe(1);
    expect(inf.stats.handlerErrors).toBe(0);
    expect(inf.get('bad', 'transform')?.data).toEqual({ keep: '4', other: 'z' });
  });

  it('stops when its signal aborts', async () => {
    const { inf, stop, run } = await start(ConfigMaps, { namespace: 'default' });
    stop.abort();
    await run;
    const watches = inf.stats.watches;
    await client.create(ConfigMaps, cm('default', 'after-stop'));
    await new Promise((r) => setTimeout(r, 300));
    expect(inf.get('after-stop', 'default')).toBeUndefined();
    expect(inf.stats.watches).toBe(watches);
  });
});

describe('SharedInformerFactory', () => {
  it('shares one informer and one watch per resource type and scope', async () => {
    await cluster.createNamespace('shared');
    const factory = new SharedInformerFactory(client);
    const a = factory.informerFor(ConfigMaps, { namespace: 'shared' });
    const b = factory.informerFor(ConfigMaps, { namespace: 'shared' });
    const other = factory.informerFor(ConfigMaps, { namespace: 'default' });
    expect(a).toBe(b);
    expect(other).not.toBe(a);
    expect(factory.size).toBe(2);
    const stop = stopper();
    factory.start(stop.signal);
    expect(await factory.waitForCacheSync(AbortSignal.timeout(60_000))).toBe(true);
    const first: string[] = [];
    const second: string[] = [];
    a.addEventHandler({ onAdd: (o) => first.push(o.metadata?.name ?? '') });
    b.addEventHandler({ onAdd: (o) => second.push(o.metadata?.name ?? '') });
    await client.create(ConfigMaps, cm('shared', 'x'));
    await waitUntil('both handlers', () => first.includes('x') && second.includes('x'));
    expect(a.stats.watches).toBe(1);
    expect(a.stats.lists).toBe(1);
    stop.abort();
    await factory.done();
  });
});

describe('custom resources', () => {
  it('watches a custom resource once its CRD is established', async () => {
    await cluster.createNamespace('crd');
    await client.create(CustomResourceDefinitions, {
      metadata: { name: 'widgets.test.palisade.dev' },
      spec: {
        group: 'test.palisade.dev',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    });
    let established = false;
    for (let i = 0; i < 300 && !established; i++) {
      const crd = await client.get(CustomResourceDefinitions, 'widgets.test.palisade.dev');
      established = (crd.status?.conditions ?? []).some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (!established) await new Promise((r) => setTimeout(r, 100));
    }
    expect(established).toBe(true);
    interface Widget extends KubeObject {
      spec?: { size?: number };
    }
    const Widgets = defineResource<Widget>({
      group: 'test.palisade.dev',
      version: 'v1',
      plural: 'widgets',
      kind: 'Widget',
      namespaced: true,
    });
    const { inf } = await start(Widgets, { namespace: 'crd', backoff: { initialMs: 100, maxMs: 500 } });
    const { log } = mirror(inf);
    const w = await client.create(Widgets, { metadata: { name: 'w1', namespace: 'crd' }, spec: { size: 1 } });
    const w2 = await client.patch(Widgets, 'w1', { spec: { size: 2 } }, { namespace: 'crd' });
    await client.delete(Widgets, 'w1', 'crd');
    await waitUntil('three widget events', () => log.length === 3);
    expect(log).toEqual([
      `add w1 ${w.metadata?.resourceVersion}`,
      `update w1 ${w2.metadata?.resourceVersion}`,
      'delete w1',
    ]);
    // The schema is enforced: a string size is rejected.
    const bad = await client
      .create(Widgets, {
        metadata: { name: 'bad', namespace: 'crd' },
        spec: { size: 'big' as unknown as number },
      })
      .catch((e: unknown) => e);
    expect((bad as KubeApiError).status).toBe(422);
  });
});
