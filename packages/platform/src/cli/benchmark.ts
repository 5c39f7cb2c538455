/** `palisade benchmark node`: CIS checks from kube-bench's YAML definitions (docs/benchmark-node.md). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { PalisadeError } from '../core/errors.js';
import {
  createNodeHost,
  formatBenchmarkJson,
  formatBenchmarkTable,
  formatKubeBenchJson,
  runNodeBenchmark,
} from '../audit/benchmarks/node/index.js';
import type { CliIO } from './io.js';
import { ExitWith } from './io.js';
import { emit } from './output.js';

const FORMATS = ['table', 'json', 'kube-bench-json'] as const;
/** Where this repository keeps kube-bench's cfg (read in place); users pass --config-dir. */
const DEFAULT_CONFIG_DIR = '../shared/data/conformance/cis/kube-bench/cfg';

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const list = (v: unknown): string[] | undefined =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

function pairs(values: string[], what: string): [string, string][] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw new PalisadeError('E_USAGE', `${what} takes NAME=VALUE, not '${v}'`);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

function versionOf(binary: string, signal: AbortSignal): Promise<string> {
  return new Promise((res, rej) => {
    execFile(
      binary,
      ['--version'],
      { signal, encoding: 'utf8', maxBuffer: 64 * 1024 },
      (err, stdout, stderr) => {
        if (err && !stdout) rej(err instanceof Error ? err : new Error('version check failed'));
        else res(`${stdout}${stderr}`);
      },
    );
  });
}

export function benchmarkCommand(io: CliIO): Command {
  const cmd = new Command('benchmark').summary('CIS benchmarks of this node (kube-bench definitions)');
  const node = new Command('node')
    .summary("run the CIS node checks from kube-bench's YAML definitions")
    .description(
      "Runs the CIS Kubernetes Benchmark checks of kube-bench's control files (read at run time from\n" +
        "--config-dir, kube-bench's cfg directory) against the processes and files of this node.\n" +
        'Audit commands run in a built-in interpreter (ps, grep, stat, … are native); no shell is started.',
    )
    .option('--config-dir <dir>', `kube-bench's cfg directory (default: ${DEFAULT_CONFIG_DIR} when present)`)
    .option('--benchmark <name>', 'cis-1.8 … cis-1.12 (default: from the Kubernetes version via config.yaml)')
    .option(
      '--kube-version <v>',
      'Kubernetes version for the benchmark choice (default: the running kubelet/apiserver)',
    )
    .option(
      '--targets <list>',
      'master,node,etcd,controlplane,policies (default: the benchmark target_mapping)',
    )
    .option('--check <ids>', 'only these check IDs or group IDs (comma-separated)')
    .option(
      '--var <name=value>',
      'set a definition variable, e.g. apiserverconf=/etc/k/apiserver.yaml (repeatable)',
      collect,
      [],
    )
    .option(
      '--path-map <from=to>',
      'read path FROM (and below) at TO, e.g. /etc/kubernetes/pki=/srv/pki (repeatable)',
      collect,
      [],
    )
    .option('--pids <list>', 'audit only these process ids (default: every process)')
    .option('--allow-exec <programs>', 'programs audits may run beyond the native ones, e.g. kubectl,jq', '')
    .option('--timeout <ms>', 'deadline of one audit command, in milliseconds', '10000')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('table'))
    .option('--output <file>', 'write results to this file instead of stdout')
    .option('--exit-code <n>', 'exit with this code when a check fails', '0');
  node.addHelpText(
    'after',
    `
Examples:
  palisade benchmark node --config-dir /opt/kube-bench/cfg
  palisade benchmark node --config-dir ./cfg --benchmark cis-1.10 --targets master,etcd
  palisade benchmark node --config-dir ./cfg --var apiserverconf=/srv/k8s/apiserver.yaml --format kube-bench-json
  palisade benchmark node --config-dir ./cfg --path-map /etc/kubernetes=/host/etc/kubernetes --exit-code 1

Exit codes: 0 done, the --exit-code value when a check failed, 2 bad usage or unreadable definitions.`,
  );
  node.action(async (opts: Record<string, unknown>) => {
    let configDir = typeof opts['configDir'] === 'string' ? resolve(io.cwd, opts['configDir']) : undefined;
    if (!configDir) {
      const d = resolve(io.cwd, DEFAULT_CONFIG_DIR);
      if (!existsSync(d))
        throw new PalisadeError('E_USAGE', 'no kube-bench definitions: pass --config-dir', {
          hint: "point --config-dir at kube-bench's cfg directory (https://github.com/aquasecurity/kube-bench/tree/main/cfg)",
        });
      configDir = d;
    }
    const exitCode = Number(opts['exitCode']);
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
      throw new PalisadeError(
        'E_USAGE',
        `--exit-code must be an integer 0-255, not '${String(opts['exitCode'])}'`,
      );
    const timeoutMs = Number(opts['timeout']);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
      throw new PalisadeError('E_USAGE', `--timeout must be a positive number of milliseconds`);
    const pids = list(opts['pids'])?.map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n <= 0) throw new PalisadeError('E_USAGE', `bad pid '${p}'`);
      return n;
    });
    const host = createNodeHost({
      ...(pids ? { pids } : {}),
      pathMap: pairs(opts['pathMap'] as string[], '--path-map').map(
        ([a, b]) => [a, resolve(io.cwd, b)] as const,
      ),
    });
    const targets = list(opts['targets']);
    const checks = list(opts['check']);
    const report = await runNodeBenchmark({
      configDir,
      ...(typeof opts['benchmark'] === 'string' ? { benchmark: opts['benchmark'] } : {}),
      ...(typeof opts['kubeVersion'] === 'string' ? { kubeVersion: opts['kubeVersion'] } : {}),
      ...(targets ? { targets } : {}),
      ...(checks ? { checks } : {}),
      vars: Object.fromEntries(pairs(opts['var'] as string[], '--var')),
      host,
      allowExec: list(opts['allowExec']) ?? [],
      timeoutMs,
      ...(io.signal ? { signal: io.signal } : {}),
      versionOf,
    });
    const format = String(opts['format']);
    const text =
      format === 'json'
        ? formatBenchmarkJson(report)
        : format === 'kube-bench-json'
          ? formatKubeBenchJson(report)
          : formatBenchmarkTable(report);
    await emit(io, text, typeof opts['output'] === 'string' ? opts['output'] : '');
    if (report.totals.fail > 0 && exitCode !== 0) throw new ExitWith(exitCode);
  });
  node
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  cmd.addCommand(node);
  return cmd;
}
