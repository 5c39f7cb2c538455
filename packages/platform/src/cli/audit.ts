/** `palisade audit manifests <files|dirs|->`: configuration checks over Kubernetes YAML (docs/audit.md). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { PalisadeError } from '../core/errors.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import type { Diagnostic } from '../core/diagnostics.js';
import type { ObjectResult, Severity } from '../audit/index.js';
import { auditObject, compileChecks, finishCross, readManifests, SEVERITIES } from '../audit/index.js';
import { complianceReport, loadComplianceSpec } from '../audit/benchmarks/compliance.js';
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

const FORMATS = ['table', 'json', 'sarif', 'junit', 'configauditreport'] as const;
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

export function auditCommand(io: CliIO): Command {
  const cmd = new Command('audit').summary('configuration checks for Kubernetes objects (Trivy KSV checks)');
  const manifests = new Command('manifests')
    .summary('audit Kubernetes manifests (files, directories or - for stdin)')
    .description(
      'Run the Kubernetes configuration checks (Trivy KSV IDs) over manifests: plain YAML or JSON,\n' +
        'Helm-rendered or kustomize output, multi-document files and List kinds.',
    )
    .argument('<paths...>', "manifest files, directories (walked for .yaml/.yml/.json) or '-' for stdin")
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('table'))
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
    const compiled = compileChecks({
      severities,
      includeOptional: opts['includeOptional'] === true,
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

    const allMeta = [...compiled.checks, ...compiled.cross];
    const report: AuditReport = { results, diagnostics, checks: allMeta };
    let text: string;
    if (spec) {
      for (const f of spec.fixes) io.stderr.write(`note: compliance spec ${spec.id} fixed: ${f}\n`);
      const cr = complianceReport(spec, results, allMeta);
      if (format === 'json') text = JSON.stringify(cr, null, 2) + '\n';
      else if (format === 'table') {
        const rows = cr.status.summaryReport.controlCheck.map(
          (c) =>
            `${c.id.padEnd(8)} ${c.severity.padEnd(9)} ${c.totalFail === undefined ? 'n/a' : String(c.totalFail).padStart(3)}  ${c.name}`,
        );
        text = `${cr.status.summaryReport.title}\nID       SEVERITY  FAIL  CONTROL\n${rows.join('\n')}\n\npass ${cr.status.summary.passCount}, fail ${cr.status.summary.failCount}\n`;
      } else throw new PalisadeError('E_USAGE', `--compliance prints 'table' or 'json', not '${format}'`);
    } else if (format === 'json') text = formatJson(report);
    else if (format === 'sarif') text = formatSarif(report);
    else if (format === 'junit') text = formatJunit(report);
    else if (format === 'configauditreport') text = formatConfigAuditReports(report);
    else text = formatTable(report);
    await emit(io, text, typeof opts['output'] === 'string' ? opts['output'] : '');

    const failed = results.some((r) => r.results.some((c) => !c.success));
    if (failed && exitCode !== 0) throw new ExitWith(exitCode);
    if (diagnostics.some((d) => d.severity === 'error') && results.length === 0)
      throw new PalisadeError('E_PARSE', 'no object could be read', { hint: 'see the errors above' });
  });
  manifests
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  cmd.addCommand(manifests);
  return cmd;
}
