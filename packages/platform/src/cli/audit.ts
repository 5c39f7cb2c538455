/**
 * `palisade audit manifests <files|dirs|->`: configuration checks over Kubernetes YAML, and
 * `palisade audit cluster`: the same checks over live objects, optionally written back as Trivy
 * Operator report objects (docs/audit.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { PalisadeError } from '../core/errors.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import type { Diagnostic } from '../core/diagnostics.js';
import type { CompiledChecks, ObjectResult, Severity } from '../audit/index.js';
import { auditObject, compileChecks, finishCross, readManifests, SEVERITIES } from '../audit/index.js';
import { complianceReport, loadComplianceSpec } from '../audit/benchmarks/compliance.js';
import type { ComplianceReport, ComplianceSpec } from '../audit/benchmarks/compliance.js';
import { KubeClient } from '../k8s/client/rest.js';
import { collectCluster } from '../k8s/audit/collector.js';
import { buildAuditReport, buildComplianceReport } from '../k8s/audit/reports.js';
import { syncAuditReports, syncComplianceReport } from '../k8s/audit/sync.js';
import type { AuditReport } from '../audit/report.js';
import {
  formatConfigAuditReports,
  formatJson,
  formatJunit,
  formatSarif,
  formatTable,
} from '../audit/report.js';
import type { CliIO } from './io.js';
import { ExitWith } from './io.js';
import { emit } from './output.js';
import { addSettingOptions, flagValues } from './settings-options.js';
import { loadConfigFile, resolveSettings } from '../config/resolve.js';

const FORMATS = ['table', 'json', 'sarif', 'junit', 'configauditreport'] as const;
const CLUSTER_FORMATS = ['table', 'json', 'sarif', 'junit'] as const;
const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);
const MAX_FILES = 100_000;

function listFiles(path: string, out: string[]): void {
  const st = statSync(path);
  if (st.isFile()) {
    out.push(path);
    return;
  }
  if (!st.isDirectory()) return;
  for (const e of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(path, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else if (e.isFile() && MANIFEST_EXT.has(extname(e.name).toLowerCase())) out.push(p);
    if (out.length > MAX_FILES)
      throw new PalisadeError('E_LIMIT', `more than ${MAX_FILES} manifest files under ${path}`);
  }
}

async function readStdin(io: CliIO): Promise<string> {
  const stdin = (io as CliIO & { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin;
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function parseSeverities(v: string): Severity[] {
  const list = v
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  for (const s of list)
    if (!SEVERITIES.includes(s as Severity))
      throw new PalisadeError('E_USAGE', `unknown severity '${s}'`, { hint: `use ${SEVERITIES.join(',')}` });
  return list as Severity[];
}

/** The options `audit manifests` and `audit cluster` share. */
function addCommonOptions(c: Command, formats: readonly string[]): Command {
  const cmd = c
    .addOption(new Option('--format <format>', 'output format').choices([...formats]).default('table'))
    .option('--output <file>', 'write results to this file instead of stdout')
    .option(
      '--severity <list>',
      'only these severities (comma-separated)',
      'CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN',
    )
    .option('--checks <ids>', 'only these checks (comma-separated IDs, e.g. KSV017,KSV-0001)')
    .option(
      '--include-optional',
      'also run checks Trivy ships disabled (registry allow-lists, LimitRange, ResourceQuota)',
    )
    .option(
      '--compliance <spec>',
      'print the compliance view for this spec file (Trivy format, e.g. k8s-pss-baseline-0.1.yaml)',
    )
    .option('--exit-code <n>', 'exit with this code when a failed check is found', '0');
  addSettingOptions(cmd, ['auditTrustedRegistries']);
  return cmd;
}

interface RunSetup {
  compiled: CompiledChecks;
  spec: ComplianceSpec | undefined;
  format: string;
  exitCode: number;
}

function setupRun(io: CliIO, opts: Record<string, unknown>): RunSetup {
  const format = String(opts['format']);
  const severities = parseSeverities(String(opts['severity']));
  const exitCode = Number(opts['exitCode']);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
    throw new PalisadeError(
      'E_USAGE',
      `--exit-code must be an integer 0-255, not '${String(opts['exitCode'])}'`,
    );
  const ids =
    typeof opts['checks'] === 'string'
      ? opts['checks']
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  // KSV0125's trusted registries: flag > PALISADE_TRUSTED_REGISTRIES > audit.trustedRegistries in the
  // file PALISADE_CONFIG names. An unnamed ./palisade.yaml is not read: audited directories often hold
  // a manifest of that name (a rendered chart), which is not a config file.
  const configPath = io.env['PALISADE_CONFIG'];
  const { auditTrustedRegistries } = resolveSettings({
    env: io.env,
    flags: flagValues(opts, ['auditTrustedRegistries']),
    file: configPath === undefined ? undefined : loadConfigFile(resolve(io.cwd, configPath), true),
  });
  const compiled = compileChecks({
    severities,
    includeOptional: opts['includeOptional'] === true,
    trustedRegistries: auditTrustedRegistries,
    ...(ids ? { ids } : {}),
  });
  const spec =
    typeof opts['compliance'] === 'string'
      ? (() => {
          const p = resolve(io.cwd, opts['compliance']);
          let text: string;
          try {
            text = readFileSync(p, 'utf8');
          } catch (err) {
            throw new PalisadeError('E_IO', `cannot read compliance spec ${p}`, { cause: err });
          }
          return loadComplianceSpec(text, p);
        })()
      : undefined;
  if (spec && format !== 'table' && format !== 'json')
    throw new PalisadeError('E_USAGE', `--compliance prints 'table' or 'json', not '${format}'`);
  return { compiled, spec, format, exitCode };
}

/** Prints the results (or the compliance view); returns the compliance report when one was asked for. */
async function printResults(
  io: CliIO,
  opts: Record<string, unknown>,
  setup: RunSetup,
  results: ObjectResult[],
  diagnostics: Diagnostic[],
): Promise<ComplianceReport | undefined> {
  const { compiled, spec, format } = setup;
  const allMeta = [...compiled.checks, ...compiled.cross];
  const report: AuditReport = { results, diagnostics, checks: allMeta };
  let text: string;
  let cr: ComplianceReport | undefined;
  if (spec) {
    for (const f of spec.fixes) io.stderr.write(`note: compliance spec ${spec.id} fixed: ${f}\n`);
    cr = complianceReport(spec, results, allMeta);
    if (format === 'json') text = JSON.stringify(cr, null, 2) + '\n';
    else {
      const rows = cr.status.summaryReport.controlCheck.map(
        (c) =>
          `${c.id.padEnd(8)} ${c.severity.padEnd(9)} ${c.totalFail === undefined ? 'n/a' : String(c.totalFail).padStart(3)}  ${c.name}`,
      );
      text = `${cr.status.summaryReport.title}\nID       SEVERITY  FAIL  CONTROL\n${rows.join('\n')}\n\npass ${cr.status.summary.passCount}, fail ${cr.status.summary.failCount}\n`;
    }
  } else if (format === 'json') text = formatJson(report);
  else if (format === 'sarif') text = formatSarif(report);
  else if (format === 'junit') text = formatJunit(report);
  else if (format === 'configauditreport') text = formatConfigAuditReports(report);
  else text = formatTable(report);
  await emit(io, text, typeof opts['output'] === 'string' ? opts['output'] : '');
  return cr;
}

function failedCheck(results: readonly ObjectResult[]): boolean {
  return results.some((r) => r.results.some((c) => !c.success));
}

export function auditCommand(io: CliIO): Command {
  const cmd = new Command('audit').summary('configuration checks for Kubernetes objects (Trivy KSV checks)');
  const manifests = new Command('manifests')
    .summary('audit Kubernetes manifests (files, directories or - for stdin)')
    .description(
      'Run the Kubernetes configuration checks (Trivy KSV IDs) over manifests: plain YAML or JSON,\n' +
        'Helm-rendered or kustomize output, multi-document files and List kinds.',
    )
    .argument('<paths...>', "manifest files, directories (walked for .yaml/.yml/.json) or '-' for stdin");
  addCommonOptions(manifests, FORMATS);
  manifests.addHelpText(
    'after',
    `
Examples:
  palisade audit manifests deploy/                         every .yaml/.yml/.json below deploy/
  helm template ./chart | palisade audit manifests -       Helm output on stdin
  kustomize build overlays/prod | palisade audit manifests - --severity HIGH,CRITICAL --exit-code 1
  palisade audit manifests app.yaml --format sarif --output audit.sarif
  palisade audit manifests app.yaml --format configauditreport
  palisade audit manifests app.yaml --compliance k8s-pss-restricted-0.1.yaml --format json

Exit codes: 0 done, the --exit-code value when a check failed, 2 bad usage or unreadable input.`,
  );
  manifests.action(async (paths: string[], opts: Record<string, unknown>) => {
    const setup = setupRun(io, opts);
    const { compiled } = setup;

    const results: ObjectResult[] = [];
    const diagnostics: Diagnostic[] = [];
    const auditText = (text: string, name: string): void => {
      const r = readManifests(text, name);
      diagnostics.push(...r.diagnostics.items);
      for (const o of r.objects) results.push(auditObject(compiled, o));
    };
    for (const p of paths) {
      if (p === '-') {
        auditText(await readStdin(io), '<stdin>');
        continue;
      }
      const abs = resolve(io.cwd, p);
      const files: string[] = [];
      try {
        listFiles(abs, files);
      } catch (err) {
        if (err instanceof PalisadeError) throw err;
        throw new PalisadeError('E_NOT_FOUND', `cannot read ${p}`, { cause: err, hint: 'check the path' });
      }
      for (const f of files) {
        let text: string;
        try {
          text = readFileSync(f, 'utf8');
        } catch (err) {
          diagnostics.push({
            code: 'E_IO',
            severity: 'error',
            message: `cannot read: ${String(err)}`,
            location: { file: f },
          });
          continue;
        }
        auditText(text, relative(io.cwd, f) || f);
      }
    }
    results.push(...finishCross(compiled));
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);

    await printResults(io, opts, setup, results, diagnostics);
    if (failedCheck(results) && setup.exitCode !== 0) throw new ExitWith(setup.exitCode);
    if (diagnostics.some((d) => d.severity === 'error') && results.length === 0)
      throw new PalisadeError('E_PARSE', 'no object could be read', { hint: 'see the errors above' });
  });
  manifests
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  cmd.addCommand(manifests);
  cmd.addCommand(clusterCommand(io));
  return cmd;
}

function clusterCommand(io: CliIO): Command {
  const cluster = new Command('cluster')
    .summary('audit the live objects of a cluster (through a kubeconfig)')
    .description(
      'List workloads (every controller kind, Pods without a controller), Services, ConfigMaps,\n' +
        'Ingresses, NetworkPolicies, Namespaces and RBAC objects page by page and run the same\n' +
        'checks as `audit manifests` (PAL001 default-deny coverage included). With --write-reports,\n' +
        'store the results as Trivy Operator ConfigAuditReport/RbacAssessmentReport objects (and a\n' +
        'ClusterComplianceReport with --compliance) and delete the reports of objects that are gone.',
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--namespaces <list>', 'only these namespaces (comma-separated; default: all)')
    .option('--write-reports', 'create/update report objects in the cluster (see docs/audit.md for RBAC)')
    .option('--page-size <n>', 'objects per list page', '500');
  addCommonOptions(cluster, CLUSTER_FORMATS);
  cluster.addHelpText(
    'after',
    `
Examples:
  palisade audit cluster --kubeconfig ~/.kube/config
  palisade audit cluster --namespaces shop,payments --severity HIGH,CRITICAL --exit-code 1
  palisade audit cluster --format sarif --output cluster.sarif
  palisade audit cluster --write-reports                 then: kubectl get configauditreports -A
  palisade audit cluster --write-reports --compliance k8s-pss-baseline-0.1.yaml

Exit codes: 0 done, the --exit-code value when a check failed, 2 bad usage or an unusable kubeconfig.`,
  );
  cluster.action(async (opts: Record<string, unknown>) => {
    const setup = setupRun(io, opts);
    const { compiled } = setup;
    const pageSize = Number(opts['pageSize']);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000)
      throw new PalisadeError(
        'E_USAGE',
        `--page-size must be an integer 1-10000, not '${String(opts['pageSize'])}'`,
      );
    const namespaces =
      typeof opts['namespaces'] === 'string'
        ? opts['namespaces']
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
    const file =
      typeof opts['kubeconfig'] === 'string'
        ? resolve(io.cwd, opts['kubeconfig'])
        : (io.env['KUBECONFIG']?.split(':')[0] ?? join(homedir(), '.kube', 'config'));
    const client = KubeClient.fromFile(file);
    try {
      const collected = await collectCluster(client, {
        namespaces,
        pageSize,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      const diagnostics = collected.diagnostics;
      const results = collected.objects.map((o) => auditObject(compiled, o));
      const perObject = results.length;
      results.push(...finishCross(compiled));
      for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
      const cr = await printResults(io, opts, setup, results, diagnostics);
      if (opts['writeReports'] === true) {
        const checks = [...compiled.checks, ...compiled.cross];
        const now = new Date();
        const desired = collected.objects.flatMap((o, i) => {
          const r = i < perObject ? results[i] : undefined;
          const rep = r ? buildAuditReport(o, r, { checks, now }) : undefined;
          return rep ? [rep] : [];
        });
        const stats = await syncAuditReports(client, desired, {
          namespaces,
          incompleteKinds: collected.incomplete,
          pageSize,
        });
        const skipped = collected.objects.filter((o) => !o.namespace).length;
        io.stderr.write(
          `reports: ${stats.created} created, ${stats.updated} updated, ${stats.unchanged} unchanged, ${stats.deleted} deleted` +
            ` (${skipped} cluster-scoped object(s) without a report: no Cluster* report CRDs)\n`,
        );
        if (cr) {
          const outcome = await syncComplianceReport(client, buildComplianceReport(cr));
          io.stderr.write(`ClusterComplianceReport ${cr.metadata.name}: ${outcome}\n`);
        }
      }
      if (failedCheck(results) && setup.exitCode !== 0) throw new ExitWith(setup.exitCode);
    } finally {
      client.close();
    }
  });
  cluster
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  return cluster;
}
