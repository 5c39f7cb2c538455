/**
 * End to end on a real kube-apiserver: `palisade runtime serve` runs
 * in-process with Falco's upstream k8saudit rules; the test cluster's
 * apiserver sends its audit events to it through the audit webhook backend
 * (batch mode, 1 s), with Falco's upstream audit policy (RequestResponse for
 * pods and configmaps). Actions through the API must raise the matching
 * upstream rules, read back from the alert: file output; a real
 * prometheus-alertmanager (Debian package) receives them too.
 *
 * The apiserver authenticates this test as `palisade-admin`. Falco's rules
 * raise "Disallowed K8s User" for any user outside `allowed_k8s_users`, and
 * Falco (and Palisade by default) reports only the first matching rule, so
 * the admin user is added to that list the way a Falco user would: a local
 * rules file with `override: {items: append}`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../packages/platform/src/cli/program.js';
import { startTestCluster } from '../packages/platform/src/testing/cluster.js';
import type { TestCluster } from '../packages/platform/src/testing/cluster.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';

const k8saudit = sharedData('conformance', 'falco', 'k8saudit');
const NS = 'rt-e2e';

interface Alert {
  hostname: string;
  output: string;
  output_fields: Record<string, unknown>;
  priority: string;
  rule: string;
  source: string;
  tags: string[];
  time: string;
}

function findBinary(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).concat('/usr/bin', '/usr/sbin')) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let dir = '';
let alertFile = '';
let cluster: TestCluster | undefined;
let am: ChildProcess | undefined;
let amUrl = '';
let amLog = '';
const serveAbort = new AbortController();
let serveDone: Promise<number> | undefined;
let serveErr = '';
let serveOut = '';

async function startAlertmanager(): Promise<void> {
  const bin = findBinary('prometheus-alertmanager') ?? findBinary('alertmanager');
  if (!bin)
    throw new Error(
      'prometheus-alertmanager is not installed: run .ci/install.sh (it installs the Debian package prometheus-alertmanager)',
    );
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    ['route:', '  receiver: blackhole', 'receivers:', '  - name: blackhole', ''].join('\n'),
  );
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  am = spawn(
    bin,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  am.stdout?.on('data', (c: Buffer) => (amLog += c.toString()));
  am.stderr?.on('data', (c: Buffer) => (amLog += c.toString()));
  await waitFor('alertmanager /-/ready', async () => {
    if (am?.exitCode !== null) throw new Error(`alertmanager exited:\n${amLog}`);
    try {
      return (await fetch(`${amUrl}/-/ready`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  });
}

/** Starts `palisade runtime serve` in-process; resolves with its URL once it listens. */
async function startServe(): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => (serveOut += d.toString()));
  stderr.on('data', (d: Buffer) => (serveErr += d.toString()));
  serveDone = run(
    [
      'runtime',
      'serve',
      '-r',
      join(k8saudit, 'k8s_audit_rules.yaml'),
      '-r',
      join(dir, 'local_rules.yaml'),
      '--listen',
      '127.0.0.1:0',
      '--format',
      'json',
      '--hostname',
      'palisade-e2e',
    ],
    { stdout, stderr, env: { AM_URL: amUrl, ALERT_FILE: alertFile }, cwd: dir, signal: serveAbort.signal },
  );
  let exited: number | undefined;
  void serveDone.then((c) => (exited = c));
  return await waitFor('runtime serve to listen', () => {
    if (exited !== undefined) throw new Error(`serve exited with ${exited}:\n${serveErr}`);
    return /"url":"(http:\/\/[^"]+)".*"msg":"listening"/.exec(serveErr)?.[1];
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-rt-e2e-'));
  alertFile = join(dir, 'alerts.jsonl');
  writeFileSync(
    join(dir, 'local_rules.yaml'),
    ['- list: allowed_k8s_users', '  items: [palisade-admin]', '  override:', '    items: append', ''].join(
      '\n',
    ),
  );
  writeFileSync(
    join(dir, 'palisade.yaml'),
    [
      'alert:',
      '  defaults:',
      '    flushInterval: 200ms',
      '  outputs:',
      '    - type: file',
      '      path: ${ALERT_FILE}',
      '    - type: alertmanager',
      '      url: ${AM_URL}',
      '      minimumPriority: warning',
      '      expiresAfter: 1h',
      '',
    ].join('\n'),
  );
  await startAlertmanager();
  const url = await startServe();
  cluster = await startTestCluster({
    auditWebhook: { url: `${url}/k8s-audit`, mode: 'batch', batchMaxWaitSeconds: 1 },
    auditPolicyYaml: readFileSync(join(k8saudit, 'audit-policy.yaml'), 'utf8'),
  });
  await cluster.createNamespace(NS);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  serveAbort.abort();
  await serveDone;
  if (am && am.exitCode === null) {
    const exited = new Promise((r) => am?.once('exit', r));
    am.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function alerts(): Alert[] {
  if (!existsSync(alertFile)) return [];
  return readFileSync(alertFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Alert);
}

/** The first alert of `rule` whose output fields include `fields`, once it is in the file output. */
async function alertFor(rule: string, fields: Record<string, unknown>): Promise<Alert> {
  const matches = (a: Alert): boolean =>
    a.rule === rule && Object.entries(fields).every(([k, v]) => a.output_fields[k] === v);
  try {
    return await waitFor(`alert '${rule}'`, () => alerts().find(matches));
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\nalerts so far: ${alerts()
        .map((a) => a.rule)
        .join(
          ', ',
        )}\nserve log:\n${serveErr.slice(-3000)}\napiserver log:\n${cluster?.logTail('kube-apiserver', 40) ?? ''}`,
      { cause: e },
    );
  }
}

describe('runtime serve on the real kube-apiserver audit webhook', () => {
  it('raises "Create Privileged Pod" for a Pod with a privileged container', async () => {
    const r = await cluster!.request('POST', `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'priv' },
      spec: {
        containers: [{ name: 'c', image: 'busybox:1.36', securityContext: { privileged: true } }],
      },
    });
    expect(r.status).toBe(201);
    const a = await alertFor('Create Privileged Pod', { 'ka.resp.name': 'priv' });
    expect(a.priority).toBe('Warning');
    expect(a.source).toBe('k8s_audit');
    expect(a.hostname).toBe('palisade-e2e');
    expect(a.tags).toEqual(['k8s']);
    expect(a.output_fields).toMatchObject({
      'ka.user.name': 'palisade-admin',
      'ka.target.resource': 'pods',
      'ka.target.namespace': NS,
      // A list field, rendered as libsinsp renders lists: `(a,b)`.
      'ka.req.pod.containers.image': '(busybox:1.36)',
    });
    expect(a.output).toContain(
      `Warning Pod started with privileged container (user=palisade-admin pod=priv resource=pods ns=${NS} images=(busybox:1.36)`,
    );
  });

  it('raises "Create/Modify Configmap With Private Credentials" for a ConfigMap holding AWS keys', async () => {
    const r = await cluster!.request('POST', `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'aws-creds' },
      data: {
        aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
        aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    });
    expect(r.status).toBe(201);
    const a = await alertFor('Create/Modify Configmap With Private Credentials', {
      'ka.req.configmap.name': 'aws-creds',
    });
    expect(a.priority).toBe('Warning');
    expect(a.output_fields).toMatchObject({
      'ka.user.name': 'palisade-admin',
      'ka.verb': 'create',
      'ka.target.resource': 'configmaps',
    });
    expect(a.output).toContain(
      'Warning K8s configmap with private credential (user=palisade-admin verb=create resource=configmaps configmap=aws-creds)',
    );
  });

  it('raises "Attach/Exec Pod" for an exec into a Pod, although without a kubelet the exec itself fails', async () => {
    const created = await cluster!.request('POST', `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'target' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
    });
    expect(created.status).toBe(201);
    // No kubelet and no node: the apiserver refuses the exec because the Pod has no host, but
    // exec is a long-running request, so the audit filter emits a ResponseStarted event when the
    // error response starts, and that stage is the one the rule reads (kevt_started).
    const r = await cluster!.request(
      'POST',
      `/api/v1/namespaces/${NS}/pods/target/exec?command=id&container=c&stdout=true&stderr=true`,
    );
    console.log('EXEC', r.status, JSON.stringify(r.body));
    expect(r.status).toBe(400);
    expect((r.body as { message?: string }).message).toMatch(/does not have a host assigned/);
    const a = await alertFor('Attach/Exec Pod', { 'ka.target.name': 'target' });
    expect(a.priority).toBe('Notice');
    expect(a.output_fields).toMatchObject({
      'ka.user.name': 'palisade-admin',
      'ka.target.resource': 'pods',
      'ka.target.namespace': NS,
      'ka.target.subresource': 'exec',
      'ka.uri.param[command]': 'id',
    });
  });

  it('delivers the alerts to a real Alertmanager', async () => {
    // The Pod of the first test; the Alertmanager output takes Warning and above.
    await alertFor('Create Privileged Pod', { 'ka.resp.name': 'priv' });
    const stored = await waitFor('the alert in Alertmanager', async () => {
      const res = await fetch(
        `${amUrl}/api/v2/alerts?filter=${encodeURIComponent('rule="Create Privileged Pod"')}`,
      );
      const list = (await res.json()) as { labels: Record<string, string> }[];
      return list.length > 0 ? list : undefined;
    });
    expect(stored).toHaveLength(1);
    expect(stored[0]?.labels).toMatchObject({
      rule: 'Create Privileged Pod',
      priority: 'Warning',
      severity: 'warning',
      source: 'falco',
      eventsource: 'k8s_audit',
      hostname: 'palisade-e2e',
      ka_resp_name: 'priv',
      ka_user_name: 'palisade-admin',
    });
  });
  it('accepts every batch the apiserver sent and, stopped, drains the outputs and logs its counters', async () => {
    await alertFor('Attach/Exec Pod', { 'ka.target.name': 'target' });
    await cluster?.stop();
    cluster = undefined;
    serveAbort.abort();
    expect(await serveDone).toBe(0);
    const line = serveErr.split('\n').find((l) => l.includes('"msg":"stopped"'));
    expect(line).toBeDefined();
    const stopped = JSON.parse(line ?? '{}') as {
      ingest: { auditRequests: number; auditEvents: number; rejected: Record<string, number> };
      engine: { events: number; alerts: number; errors: number };
      outputs: Record<string, { received: number; sent: number; failed: number; dropped: number }>;
    };
    expect(stopped.ingest.auditRequests).toBeGreaterThan(0);
    expect(Object.values(stopped.ingest.rejected).every((n) => n === 0)).toBe(true);
    expect(stopped.engine.events).toBe(stopped.ingest.auditEvents);
    expect(stopped.engine.errors).toBe(0);
    // Every engine alert reached the file output, and the file holds exactly those.
    expect(stopped.outputs['file']).toMatchObject({ received: stopped.engine.alerts, failed: 0, dropped: 0 });
    expect(stopped.outputs['file']?.sent).toBe(stopped.engine.alerts);
    expect(alerts()).toHaveLength(stopped.engine.alerts);
    expect(stopped.outputs['alertmanager']).toMatchObject({ failed: 0, dropped: 0 });
  });
});
