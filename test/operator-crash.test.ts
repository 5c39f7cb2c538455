/**
 * Issue 8: "Killing the operator mid-run and restarting it loses no report and repeats no finished
 * scan" — on the REAL kube-apiserver + etcd and a REAL registry, with the operator as a CHILD
 * PROCESS (the CLI bundled from source by esbuild, as `npm run build` does) that is SIGKILLed —
 * no shutdown code runs — when about half of the image digests are scanned, then started again.
 *
 * 20 distinct tiny images (an Alpine os-release and a Cargo.lock with smallvec 0.6.9, which the
 * crates.io OSV data flags), 60 bare Pods (Pod i runs image i mod 20, so each digest is shared by
 * three workloads). The signals are the operator's own: its `scanned` log line per finished scan
 * (digest in the line) and its digest cache (SQLite under --cache-dir, one row per digest and
 * database build, with the time of the scan).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { ALL_CRDS, toCustomResourceDefinition } from '@palisade/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../packages/platform/src/core/logger.js';
import { KubeClient } from '../packages/platform/src/k8s/client/rest.js';
import { CustomResourceDefinitions, Pods } from '../packages/platform/src/k8s/client/resources.js';
import { containerReportName } from '../packages/platform/src/k8s/reports/naming.js';
import { VulnerabilityReports } from '../packages/platform/src/k8s/reports/resources.js';
import { buildDatabase, sourceFromPath } from '../packages/platform/src/scan/db/index.js';
import { startTestCluster } from '../packages/platform/src/testing/cluster.js';
import type { TestCluster } from '../packages/platform/src/testing/cluster.js';
import { buildLayer, pushImage, startRegistry } from '../packages/platform/src/testing/registry.js';
import type { TestRegistry } from '../packages/platform/src/testing/registry.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';

const NS = 'crash';
const IMAGES = 20;
const PODS = 60;
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

let cluster: TestCluster;
let reg: TestRegistry;
let client: KubeClient;
let work: string;
let cli: string;
let dbPath: string;
let cacheDir: string;
const digests: string[] = [];

interface Run {
  child: ChildProcess;
  /** digest → `scanned` log lines */
  scanned: Map<string, number>;
  exited: Promise<string>;
  onScan: (() => void) | undefined;
  stderr: string[];
}

function startOperator(): Run {
  const child = spawn(
    process.execPath,
    [
      cli,
      'operator',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--namespaces',
      NS,
      '--lease-namespace',
      NS,
      '--lease-duration',
      '3s',
      '--concurrency',
      '1',
      '--db-path',
      dbPath,
      '--cache-dir',
      cacheDir,
      '--log-level',
      'info',
    ],
    {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PALISADE_'))),
    },
  );
  const run: Run = {
    child,
    scanned: new Map(),
    exited: new Promise((r) => child.on('exit', (code, sig) => r(String(sig ?? code)))),
    onScan: undefined,
    stderr: [],
  };
  if (!child.stderr) throw new Error('no stderr pipe');
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (run.stderr.length < 200) run.stderr.push(line);
    let e: { msg?: string; digest?: string };
    try {
      e = JSON.parse(line) as { msg?: string; digest?: string };
    } catch {
      return;
    }
    if (e.msg === 'scanned' && e.digest) {
      run.scanned.set(e.digest, (run.scanned.get(e.digest) ?? 0) + 1);
      run.onScan?.();
    }
  });
  return run;
}

/** digest → scanned_at of every finished scan in the operator's digest cache. */
function cachedScans(): Map<string, number> {
  const db = new Database(join(cacheDir, 'operator', 'scans.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT digest, scanned_at FROM scans').all() as {
      digest: string;
      scanned_at: number;
    }[];
    return new Map(rows.map((r) => [r.digest, r.scanned_at]));
  } finally {
    db.close();
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = `: ${String(err)}`; // e.g. 429 while a new CRD's storage initializes
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const reportName = (i: number): string => containerReportName('Pod', `p-${i}`, 'app');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-operator-crash-'));
  dbPath = join(work, 'db', 'osv.sqlite');
  cacheDir = join(work, 'cache');
  // The CLI from source (what packages/platform/bundle.mjs builds), under node_modules so that the
  // external better-sqlite3 resolves from the bundle's location.
  const out = join(root, 'node_modules/.cache/palisade-test-operator-crash');
  mkdirSync(out, { recursive: true });
  cli = join(out, 'palisade.mjs');
  await build({
    entryPoints: [join(root, 'packages/platform/src/cli/main.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    banner: {
      js: "import { createRequire as __palisadeCreateRequire } from 'node:module';\nconst require = __palisadeCreateRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  const [c, r] = await Promise.all([startTestCluster(), startRegistry()]);
  cluster = c;
  reg = r;
  await buildDatabase({
    dbPath,
    inputs: [sourceFromPath(sharedData('vulndb/osv/crates.io/all.zip'))],
    fresh: true,
    logger: nullLogger,
  });
  for (let i = 0; i < IMAGES; i++) {
    const layer = await buildLayer([
      { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n' },
      {
        path: 'app/Cargo.lock',
        content:
          `version = 3\n\n[[package]]\nname = "crash-app-${i}"\nversion = "0.1.0"\n\n` +
          '[[package]]\nname = "smallvec"\nversion = "0.6.9"\n' +
          'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
      },
    ]);
    digests.push((await pushImage(reg, `crash/img-${i}`, { layers: [layer], tag: 'v1' })).manifestDigest);
  }
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  for (const d of ALL_CRDS)
    await client.create(
      CustomResourceDefinitions,
      toCustomResourceDefinition(d) as NonNullable<(typeof CustomResourceDefinitions)['__type']>,
    );
  await cluster.createNamespace(NS);
  // The report kinds are served once their CRDs are established.
  await until('the report CRDs', async () => (await client.list(VulnerabilityReports, NS)).items, 30_000);
  for (let i = 0; i < PODS; i++)
    await client.create(Pods, {
      metadata: { name: `p-${i}`, namespace: NS },
      spec: { containers: [{ name: 'app', image: `${reg.host}/crash/img-${i % IMAGES}:v1` }] },
    });
}, 180_000);

afterAll(async () => {
  client?.close();
  await Promise.allSettled([cluster?.stop(), reg?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the operator killed mid-run', () => {
  it('Killing the operator mid-run and restarting it loses no report and repeats no finished scan', async () => {
    // Run 1: SIGKILL once half of the digests have a `scanned` line.
    const first = startOperator();
    await new Promise<void>((resolveKill, reject) => {
      const timer = setTimeout(() => {
        first.child.kill('SIGKILL');
        reject(new Error(`run 1 did not scan half of the digests in time:\n${first.stderr.join('\n')}`));
      }, 120_000);
      first.onScan = () => {
        if (first.scanned.size >= IMAGES / 2 && first.child.exitCode === null) {
          first.child.kill('SIGKILL');
          clearTimeout(timer);
          resolveKill();
        }
      };
      void first.exited.then((how) => {
        if (how !== 'SIGKILL')
          reject(new Error(`run 1 exited by itself (${how}):\n${first.stderr.join('\n')}`));
      });
    });
    expect(await first.exited).toBe('SIGKILL');

    // What the killed operator had finished: its digest cache and the reports in the apiserver.
    const finished = cachedScans();
    const before = new Map(
      (await client.list(VulnerabilityReports, NS)).items.map((r) => [r.metadata.name, r.metadata.uid]),
    );
    console.log(
      `killed with ${finished.size}/${IMAGES} digests scanned (${first.scanned.size} logged), ` +
        `${before.size}/${PODS} reports written`,
    );
    // The kill must have landed mid-run, or the test proves nothing.
    expect(finished.size).toBeGreaterThanOrEqual(IMAGES / 2);
    expect(finished.size).toBeLessThan(IMAGES);
    for (const d of first.scanned.keys()) expect(finished.has(d)).toBe(true);

    // Run 2: starts again (waits out the dead leader's Lease) and completes.
    const second = startOperator();
    try {
      const reports = await until(
        'every report with its image digest',
        async () => {
          const items = (await client.list(VulnerabilityReports, NS)).items;
          const byName = new Map(items.map((r) => [r.metadata.name, r]));
          for (let i = 0; i < PODS; i++)
            if (byName.get(reportName(i))?.report.artifact.digest !== digests[i % IMAGES]) return undefined;
          return byName;
        },
        150_000,
      );
      // Settle: a late duplicate scan or report rewrite would show in this window.
      await new Promise((r) => setTimeout(r, 3000));

      // No report lost: every Pod's report, with its image's findings.
      for (let i = 0; i < PODS; i++) {
        const r = reports.get(reportName(i));
        expect(r, reportName(i)).toBeDefined();
        const ids = (r?.report.vulnerabilities ?? []).map((v) => v.vulnerabilityID);
        // smallvec 0.6.9: RUSTSEC-2019-0009 (CVE-2019-15551), whichever id the report shows.
        expect(
          ids.some((id) => id === 'CVE-2019-15551' || id === 'RUSTSEC-2019-0009'),
          `${reportName(i)}: ${ids.join(' ')}`,
        ).toBe(true);
      }
      // Reports written before the kill are the same objects (not deleted and created again).
      const after = new Map(
        (await client.list(VulnerabilityReports, NS)).items.map((r) => [r.metadata.name, r.metadata.uid]),
      );
      for (const [name, uid] of before) expect(after.get(name), name).toBe(uid);

      // No finished scan repeated: run 2 scanned only what run 1 had not finished, each once.
      const repeated = [...second.scanned.keys()].filter((d) => finished.has(d));
      expect(repeated).toEqual([]);
      for (const [d, n] of second.scanned) expect(n, d).toBe(1);
      const all = new Set([...finished.keys(), ...second.scanned.keys()]);
      expect([...all].sort()).toEqual([...digests].sort());
      // The cache rows of finished scans were not rewritten.
      const now = cachedScans();
      for (const [d, at] of finished) expect(now.get(d), d).toBe(at);
    } finally {
      second.child.kill('SIGTERM');
      const how = await Promise.race([
        second.exited,
        new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000)),
      ]);
      if (how === 'timeout') second.child.kill('SIGKILL');
    }
  }, 300_000);
});
