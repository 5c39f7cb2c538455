/**
 * `palisade benchmark node`: detect the node's components as kube-bench does (config.yaml's bins
 * against the running processes, the first existing of each component's conf/svc/kubeconfig/
 * cafile/datadir candidates, else its default), pick the benchmark from the Kubernetes version
 * (config.yaml's version_mapping) and run every check of its control files.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PalisadeError } from '../../../core/errors.js';
import type { BenchConfig, CheckDef, ComponentDef, ControlsDef } from './controls.js';
import { FILE_KINDS, loadBenchConfig, loadControls } from './controls.js';
import { executeTests } from './evaluate.js';
import type { ProcInfo, ShellHost } from './shell.js';
import { checkSupported, runShell } from './shell.js';

export type State = 'PASS' | 'FAIL' | 'WARN' | 'INFO';

export interface CheckResult {
  id: string;
  text: string;
  /** The audit with the benchmark's variables substituted (as kube-bench prints it). */
  audit: string;
  auditConfig: string;
  auditEnv: string;
  type: string;
  remediation: string;
  status: State;
  actualValue: string;
  scored: boolean;
  isMultiple: boolean;
  expectedResult: string;
  reason: string;
  /** Where the check is defined. */
  file: string;
  line: number;
  /** The check is marked (Automated) in its title. */
  automated: boolean;
}

export interface GroupResult {
  id: string;
  text: string;
  pass: number;
  fail: number;
  warn: number;
  info: number;
  checks: CheckResult[];
}

export interface Totals {
  pass: number;
  fail: number;
  warn: number;
  info: number;
}

export interface ControlsResult {
  id: string;
  version: string;
  detectedVersion: string;
  text: string;
  nodeType: string;
  groups: GroupResult[];
  totals: Totals;
}

export interface DetectedComponent {
  target: string;
  component: string;
  running: boolean;
  bin: string;
  pid: number | undefined;
  optional: boolean;
  files: Record<string, { path: string; exists: boolean }>;
}

export interface NodeBenchmarkReport {
  benchmark: string;
  kubeVersion: string;
  /** How the benchmark was chosen. */
  benchmarkSource: 'option' | 'version-mapping' | 'default';
  controls: ControlsResult[];
  totals: Totals;
  components: DetectedComponent[];
}

export interface NodeBenchmarkOptions {
  /** kube-bench's cfg directory (config.yaml and one directory per benchmark). */
  configDir: string;
  /** e.g. cis-1.10; default: from kubeVersion through version_mapping. */
  benchmark?: string;
  /** e.g. 1.28 or v1.28.3; default: detected from the running kubelet or kube-apiserver. */
  kubeVersion?: string;
  /** Targets to run (master, node, etcd, controlplane, policies); default: the benchmark's target_mapping. */
  targets?: readonly string[];
  /** Only these check IDs (a group id selects its checks). */
  checks?: readonly string[];
  /** Variable overrides: apiserverconf=/path, etcdbin=etcd … */
  vars?: Readonly<Record<string, string>>;
  host: ShellHost;
  /** Programs (beyond the native ones) audits may run; executed with argument arrays. */
  allowExec?: readonly string[];
  /** Per-audit deadline; default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Runs `<binary> --version` to learn the Kubernetes version; undefined: version detection off. */
  versionOf?: (binary: string, signal: AbortSignal) => Promise<string>;
}

export const SUPPORTED_BENCHMARKS = ['cis-1.8', 'cis-1.9', 'cis-1.10', 'cis-1.11', 'cis-1.12'] as const;
const CONTROL_FILES = ['master', 'node', 'etcd', 'controlplane', 'policies'];
const VAR_RE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PalisadeError('E_NOT_FOUND', `cannot read ${path}`, {
      cause: err,
      hint: "point --config-dir at kube-bench's cfg directory (it holds config.yaml and cis-1.10/ …)",
    });
  }
}

/** Loads config.yaml (merged with the benchmark's own) and the benchmark's control files. */
export async function loadBenchmark(
  configDir: string,
  benchmark: string | undefined,
): Promise<{ config: BenchConfig; controls: ControlsDef[] | undefined }> {
  const base = await readText(join(configDir, 'config.yaml'));
  const texts = [{ text: base, file: join(configDir, 'config.yaml') }];
  if (benchmark === undefined) return { config: loadBenchConfig(texts), controls: undefined };
  if (!/^[A-Za-z0-9._-]+$/.test(benchmark))
    throw new PalisadeError('E_USAGE', `bad benchmark name '${benchmark}'`);
  const dir = join(configDir, benchmark);
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (err) {
    throw new PalisadeError('E_NOT_FOUND', `no benchmark '${benchmark}' in ${configDir}`, {
      cause: err,
      hint: `supported: ${SUPPORTED_BENCHMARKS.join(', ')}`,
    });
  }
  if (files.includes('config.yaml')) {
    const p = join(dir, 'config.yaml');
    texts.push({ text: await readText(p), file: p });
  }
  const controls: ControlsDef[] = [];
  for (const name of CONTROL_FILES) {
    if (!files.includes(`${name}.yaml`)) continue;
    const p = join(dir, `${name}.yaml`);
    controls.push(loadControls(await readText(p), p));
  }
  return { config: loadBenchConfig(texts), controls };
}

/** kube-bench's mapToBenchmarkVersion: the version, or the nearest lower minor that is mapped. */
export function benchmarkForVersion(
  mapping: Readonly<Record<string, string>>,
  version: string,
): string | undefined {
  const m = /^v?([0-9]+)\.([0-9]+)/.exec(version.trim());
  if (!m) return mapping[version];
  const major = Number(m[1]);
  for (let minor = Number(m[2]); minor >= 0; minor--) {
    const b = mapping[`${major}.${minor}`];
    if (b) return b;
  }
  return undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** kube-bench's verifyBin: `ps -C <first word>`, then the bin at the start of the command line after an optional directory. */
export function findRunning(
  bins: readonly string[],
  procs: readonly ProcInfo[],
): { bin: string; proc: ProcInfo } | undefined {
  for (const bin of bins) {
    const first = bin.split(/\s+/)[0] ?? bin;
    const re = new RegExp(`^(\\S*/)*${escapeRe(bin)}`);
    for (const p of procs) {
      // comm is truncated to 15 characters, as `ps -C` compares it
      if (p.comm !== first.slice(0, 15)) continue;
      if (re.test(p.argv.join(' '))) return { bin, proc: p };
    }
  }
  return undefined;
}

async function detect(
  config: BenchConfig,
  targets: readonly string[],
  host: ShellHost,
  procs: readonly ProcInfo[],
): Promise<DetectedComponent[]> {
  const out: DetectedComponent[] = [];
  for (const target of targets) {
    for (const c of config.targets[target]?.components ?? [])
      out.push(await detectOne(target, c, host, procs));
  }
  return out;
}

async function detectOne(
  target: string,
  c: ComponentDef,
  host: ShellHost,
  procs: readonly ProcInfo[],
): Promise<DetectedComponent> {
  const found = c.bins.length ? findRunning(c.bins, procs) : undefined;
  const files: DetectedComponent['files'] = {};
  for (const k of FILE_KINDS) {
    const f = c.files[k];
    if (!f) continue;
    let path = '';
    for (const cand of f.candidates)
      if (await host.stat(cand)) {
        path = cand;
        break;
      }
    files[k] = path ? { path, exists: true } : { path: f.default, exists: false };
    if (!path && f.default && (await host.stat(f.default))) files[k] = { path: f.default, exists: true };
  }
  return {
    target,
    component: c.name,
    running: found !== undefined,
    // kube-bench substitutes the component's name when none of its binaries runs
    bin: found?.bin ?? c.name,
    pid: found?.proc.pid,
    optional: c.optional,
    files,
  };
}

interface VarInfo {
  value: string;
  /** Why a check using this variable cannot give a meaningful result here. */
  missing?: string;
}

function varsFor(
  target: string,
  comps: readonly DetectedComponent[],
  cfg: BenchConfig,
  overrides: Readonly<Record<string, string>>,
): Map<string, VarInfo> {
  const vars = new Map<string, VarInfo>();
  for (const d of comps) {
    if (d.target !== target) continue;
    const def = cfg.targets[target]?.components.find((c) => c.name === d.component);
    if (def?.bins.length)
      vars.set(
        `${d.component}bin`,
        d.running
          ? { value: d.bin }
          : {
              value: d.bin,
              missing: `component ${d.component} is not running on this node (looked for ${def.bins.map((b) => `'${b}'`).join(', ')})`,
            },
      );
    for (const [k, f] of Object.entries(d.files))
      vars.set(
        `${d.component}${k}`,
        f.exists
          ? { value: f.path }
          : {
              value: f.path,
              missing: `the ${d.component} ${k} file does not exist (${f.path || 'no default'})`,
            },
      );
  }
  for (const [k, v] of Object.entries(overrides)) vars.set(k, { value: v });
  return vars;
}

function substitute(s: string, vars: Map<string, VarInfo>): string {
  return s.replace(VAR_RE, (m, name: string) => {
    const v = vars.get(name);
    if (!v?.value) return m;
    return /\s/.test(v.value) ? `'${v.value}'` : v.value;
  });
}

function referenced(c: CheckDef): string[] {
  const names = new Set<string>();
  for (const a of [c.audit, c.auditConfig, c.auditEnv])
    for (const m of (a?.source ?? '').matchAll(VAR_RE)) names.add(m[1] as string);
  return [...names];
}

async function runAudit(
  source: { parsed: import('./shell.js').List },
  o: NodeBenchmarkOptions,
  vars: Record<string, string>,
  allow: ReadonlySet<string>,
): Promise<{ output: string; error: string | undefined }> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error('timeout')), timeoutMs);
  const onOuter = (): void => ctl.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onOuter, { once: true });
  try {
    const aborted = new Promise<'aborted'>((resolve) => {
      if (ctl.signal.aborted) resolve('aborted');
      ctl.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const r = await Promise.race([
      runShell(source.parsed, { host: o.host, vars, allowExec: allow, signal: ctl.signal }),
      aborted,
    ]);
    if (r === 'aborted' || r.aborted) {
      const why =
        r === 'aborted' || r.aborted === 'timed out' || /timed out/.test(r.aborted ?? '')
          ? `timed out after ${timeoutMs} ms (killed)`
          : r.aborted;
      return { output: r === 'aborted' ? '' : r.output, error: `audit stopped: ${why}` };
    }
    if (r.code !== 0)
      return {
        output: r.output,
        error: `audit exited with status ${r.code}, output: ${JSON.stringify(r.output.slice(0, 500))}`,
      };
    return { output: r.output, error: undefined };
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onOuter);
  }
}

async function runCheck(
  c: CheckDef,
  vars: Map<string, VarInfo>,
  o: NodeBenchmarkOptions,
  allow: ReadonlySet<string>,
): Promise<CheckResult> {
  const r: CheckResult = {
    id: c.id,
    text: substitute(c.text, vars),
    audit: substitute(c.audit?.source ?? '', vars),
    auditConfig: substitute(c.auditConfig?.source ?? '', vars),
    auditEnv: substitute(c.auditEnv?.source ?? '', vars),
    type: c.type,
    remediation: substitute(c.remediation, vars),
    status: 'WARN',
    actualValue: '',
    scored: c.scored,
    isMultiple: c.useMultipleValues,
    expectedResult: '',
    reason: '',
    file: c.file,
    line: c.line,
    automated: /\(Automated\)\s*$/.test(c.text.trim()),
  };
  const failOrWarn = (): State => (c.scored ? 'FAIL' : 'WARN');
  if (c.scored && c.type.trim() === '' && !c.tests)
    return { ...r, status: 'WARN', reason: 'There are no tests' };
  if (c.type === 'skip') return { ...r, status: 'INFO', reason: 'Test marked as skip' };
  if (c.type === 'manual') return { ...r, status: 'WARN', reason: 'Test marked as a manual test' };
  if (!c.tests || c.tests.items.length === 0)
    return { ...r, status: failOrWarn(), reason: 'No tests defined' };

  const refs = referenced(c);
  const notRunning = refs.map((n) => vars.get(n)).find((v) => v?.missing && /is not running/.test(v.missing));
  if (notRunning?.missing) return { ...r, status: 'WARN', reason: notRunning.missing };
  for (const a of [c.audit, c.auditConfig, c.auditEnv]) {
    if (!a) continue;
    const why = a.unsupported ?? (a.parsed ? checkSupported(a.parsed, allow) : undefined);
    if (why) return { ...r, status: 'WARN', reason: `audit not supported: ${why}: ${a.source.trim()}` };
  }
  const plain: Record<string, string> = {};
  for (const [k, v] of vars) if (v.value) plain[k] = v.value;

  let error: string | undefined;
  const outputs: { audit: string; config: string | undefined; env: string | undefined } = {
    audit: '',
    config: undefined,
    env: undefined,
  };
  if (c.auditEnv?.parsed) {
    const e = await runAudit({ parsed: c.auditEnv.parsed }, o, plain, allow);
    outputs.env = e.output;
    error = e.error;
  }
  if (!error && c.audit?.parsed) {
    const e = await runAudit({ parsed: c.audit.parsed }, o, plain, allow);
    outputs.audit = e.output;
    error = e.error;
  }
  if (!error && c.auditConfig?.parsed) {
    const e = await runAudit({ parsed: c.auditConfig.parsed }, o, plain, allow);
    outputs.config = e.output;
    error = e.error;
  } else if (c.auditConfig) outputs.config = '';
  if (!c.auditConfig) outputs.config = undefined;

  if (!error) {
    const t = executeTests(c.tests, outputs, c.useMultipleValues);
    r.status = t.result ? 'PASS' : failOrWarn();
    r.actualValue = t.actual;
    r.expectedResult = t.expected;
  } else {
    r.status = failOrWarn();
    r.reason = error;
    r.actualValue = outputs.audit;
  }
  if (r.status !== 'PASS' && outputs.audit.trim() === '' && (outputs.config ?? '').trim() === '') {
    // Nothing to test, and a file the check reads is absent on this node: say so instead of a bare failure.
    const missingFile = refs.map((n) => vars.get(n)).find((v) => v?.missing);
    if (missingFile?.missing) {
      r.status = 'WARN';
      r.reason = missingFile.missing + (r.reason ? `; ${r.reason}` : '');
    }
  }
  return r;
}

function count(t: Totals, s: State): void {
  if (s === 'PASS') t.pass++;
  else if (s === 'FAIL') t.fail++;
  else if (s === 'WARN') t.warn++;
  else t.info++;
}

/** Parses `<binary> --version` output ("Kubernetes v1.37.2"). */
export function versionFromOutput(s: string): string | undefined {
  return /Kubernetes v([0-9]+\.[0-9]+(?:\.[0-9]+)?)/.exec(s)?.[1];
}

export async function runNodeBenchmark(o: NodeBenchmarkOptions): Promise<NodeBenchmarkReport> {
  const { config } = await loadBenchmark(o.configDir, undefined);
  const procs = await o.host.processes();
  let kubeVersion = o.kubeVersion ?? '';
  if (!kubeVersion && o.versionOf) {
    for (const names of [['kubelet', 'hyperkube kubelet'], ['kube-apiserver']]) {
      const f = findRunning(names, procs);
      const exe = f?.proc.argv[0];
      if (!exe) continue;
      try {
        const v = versionFromOutput(await o.versionOf(exe, AbortSignal.timeout(o.timeoutMs ?? 10_000)));
        if (v) {
          kubeVersion = v;
          break;
        }
      } catch {
        // not runnable here: fall through to the next source
      }
    }
  }
  let benchmark = o.benchmark;
  let benchmarkSource: NodeBenchmarkReport['benchmarkSource'] = 'option';
  if (!benchmark) {
    const mapped = kubeVersion ? benchmarkForVersion(config.versionMapping, kubeVersion) : undefined;
    benchmark = mapped ?? 'cis-1.12';
    benchmarkSource = mapped ? 'version-mapping' : 'default';
  }
  const loaded = await loadBenchmark(o.configDir, benchmark);
  const controls = loaded.controls ?? [];
  const targets = o.targets ?? loaded.config.targetMapping[benchmark] ?? controls.map((c) => c.type);
  const components = await detect(loaded.config, targets, o.host, procs);
  const allow = new Set(o.allowExec ?? []);
  const wanted = o.checks ? new Set(o.checks) : undefined;
  const totals: Totals = { pass: 0, fail: 0, warn: 0, info: 0 };
  const results: ControlsResult[] = [];
  for (const ctl of controls) {
    if (!targets.includes(ctl.type)) continue;
    const vars = varsFor(ctl.type, components, loaded.config, o.vars ?? {});
    const groups: GroupResult[] = [];
    const ct: Totals = { pass: 0, fail: 0, warn: 0, info: 0 };
    for (const g of ctl.groups) {
      const gr: GroupResult = { id: g.id, text: g.text, pass: 0, fail: 0, warn: 0, info: 0, checks: [] };
      for (const c of g.checks) {
        if (wanted && !wanted.has(c.id) && !wanted.has(g.id)) continue;
        if (o.signal?.aborted) throw new PalisadeError('E_ABORTED', 'benchmark cancelled');
        const r = await runCheck(c, vars, o, allow);
        gr.checks.push(r);
        count(gr, r.status);
        count(ct, r.status);
        count(totals, r.status);
      }
      if (gr.checks.length) groups.push(gr);
    }
    results.push({
      id: ctl.id,
      version: ctl.version,
      detectedVersion: kubeVersion,
      text: ctl.text,
      nodeType: ctl.type,
      groups,
      totals: ct,
    });
  }
  return { benchmark, kubeVersion, benchmarkSource, controls: results, totals, components };
}
