/**
 * `palisade policy test <dir…>` and `palisade policy apply <policies…> --resource <files|->`:
 * Kyverno-compatible policy evaluation from the command line (docs/policy.md).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { Diagnostic } from '../core/diagnostics.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import { PalisadeError } from '../core/errors.js';
import { PolicyEngine, type EngineResponse } from '../policy/engine/index.js';
import {
  buildPolicyReport,
  POLICY_REPORT_FORMATS,
  type PolicyReportFormat,
} from '../policy/engine/report.js';
import {
  loadPolicyText,
  readYamlDocuments,
  type KyvernoPolicy,
  type PolicyExceptionDoc,
} from '../policy/loader/index.js';
import { runTestFile, type TestFileResult } from '../policy/test/index.js';
import { formatTestJson, formatTestJunit, formatTestTable, summarize } from '../policy/test/format.js';
import type { CliIO } from './io.js';
import { EXIT, ExitWith } from './io.js';
import { emit } from './output.js';

async function findTestFiles(path: string, fileName: string, out: string[], depth = 0): Promise<void> {
  if (depth > 32) return;
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new PalisadeError('E_NOT_FOUND', `cannot read ${path}`, { cause: err });
  }
  if (st.isFile()) {
    out.push(path);
    return;
  }
  for (const e of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = join(path, e.name);
    if (e.isDirectory()) await findTestFiles(p, fileName, out, depth + 1);
    else if (e.name === fileName) out.push(p);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

function testCommand(io: CliIO): Command {
  return new Command('test')
    .summary('run Kyverno CLI test files (kyverno-test.yaml)')
    .description(
      'Run cli.kyverno.io/v1alpha1 Test files: evaluate their policies on their resources (with values,\n' +
        'userinfo and context files) and compare with the expected results. Unlike `kyverno test`, an\n' +
        'expected pass or fail for which the policy produced no result is a failure, not a pass.',
    )
    .argument('<paths...>', 'directories to search for test files, or test files')
    .option('-f, --file-name <name>', 'test file name to look for', 'kyverno-test.yaml')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json', 'junit']).default('table'),
    )
    .option('--output <file>', 'write results to a file instead of stdout', '')
    .option('--fail-only', 'list only failing cases in the table', false)
    .addHelpText(
      'after',
      `
Examples:
  palisade policy test ./policies                     every kyverno-test.yaml below ./policies
  palisade policy test . --format junit --output results.xml

Exit codes: 0 all expectations met, 1 some failed, 2 unreadable input.`,
    )
    .action(
      async (
        paths: string[],
        opts: { fileName: string; format: string; output: string; failOnly: boolean },
      ) => {
        const files: string[] = [];
        for (const p of paths) await findTestFiles(resolve(io.cwd, p), opts.fileName, files);
        if (!files.length)
          throw new PalisadeError('E_NOT_FOUND', `no ${opts.fileName} found under ${paths.join(', ')}`);
        const results: TestFileResult[] = [];
        for (const f of files) results.push(await runTestFile(f));
        const text =
          opts.format === 'json'
            ? formatTestJson(results)
            : opts.format === 'junit'
              ? formatTestJunit(results)
              : formatTestTable(results, opts.failOnly);
        await emit(io, text, opts.output);
        if (summarize(results).fail > 0) throw new ExitWith(EXIT.findings);
      },
    );
}

function applyTable(responses: readonly EngineResponse[]): string {
  const rows: string[][] = [['POLICY', 'RULE', 'RESOURCE', 'RESULT', 'MESSAGE']];
  for (const r of responses) {
    const md = (r.resource['metadata'] ?? {}) as Record<string, unknown>;
    const res = `${String(r.resource['kind'])}/${typeof md['namespace'] === 'string' ? `${md['namespace']}/` : ''}${String(md['name'])}`;
    for (const rule of r.rules)
      rows.push([r.policy.name, rule.name, res, rule.status, rule.message.replace(/\s+/g, ' ')]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const counts = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of responses) for (const rule of r.rules) counts[rule.status]++;
  const body = rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return `${body}\n\npass: ${counts.pass}, fail: ${counts.fail}, warn: ${counts.warn}, error: ${counts.error}, skip: ${counts.skip}\n`;
}

function applyCommand(io: CliIO): Command {
  return new Command('apply')
    .summary('apply Kyverno policies to resources')
    .description('Evaluate Kyverno ClusterPolicy/Policy documents on resources read from files or stdin.')
    .argument('<policies...>', 'policy files')
    .requiredOption('-r, --resource <files...>', "resource files ('-' reads stdin)")
    .option('-e, --exception <files...>', 'PolicyException files (kyverno.io/v2, v2beta1)', [])
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'yaml', 'policyreport'])
        .default('table'),
    )
    .addOption(
      new Option(
        '--policy-report-format <api>',
        'report API for --format policyreport: wgpolicyk8s.io/v1alpha2 ClusterPolicyReport, or openreports.io/v1alpha1 ClusterReport (Kyverno 1.15+ with openreports enabled)',
      )
        .choices(POLICY_REPORT_FORMATS)
        .default('wgpolicyk8s'),
    )
    .option('--output <file>', 'write results to a file instead of stdout', '')
    .option('--exit-code <code>', 'exit with this code when a rule fails', '0')
    .addHelpText(
      'after',
      `
Examples:
  palisade policy apply disallow-latest.yaml --resource pod.yaml
  kubectl get pods -A -o yaml | palisade policy apply policies/*.yaml --resource - --format policyreport
  palisade policy apply policy.yaml -r pod.yaml --format policyreport --policy-report-format openreports
  palisade policy apply policy.yaml -r deploy.yaml --exit-code 1     fail CI on a failing rule
  palisade policy apply policy.yaml -r pod.yaml -e exception.yaml    with PolicyExceptions`,
    )
    .action(
      async (
        policyFiles: string[],
        opts: {
          resource: string[];
          exception: string[];
          format: string;
          policyReportFormat: PolicyReportFormat;
          output: string;
          exitCode: string;
        },
        command: Command,
      ) => {
        // --policy-report-format alone asks for a report: it implies --format policyreport
        const format =
          command.getOptionValueSource('format') === 'default' &&
          command.getOptionValueSource('policyReportFormat') === 'cli'
            ? 'policyreport'
            : opts.format;
        const diags: Diagnostic[] = [];
        const policies: KyvernoPolicy[] = [];
        const exceptions: PolicyExceptionDoc[] = [];
        for (const f of [...policyFiles, ...opts.exception]) {
          const path = resolve(io.cwd, f);
          let text: string;
          try {
            text = await readFile(path, 'utf8');
          } catch (err) {
            throw new PalisadeError('E_NOT_FOUND', `cannot read policy file ${path}`, { cause: err });
          }
          const r = loadPolicyText(text, f);
          diags.push(...r.diagnostics);
          policies.push(...r.policies);
          exceptions.push(...r.exceptions);
          for (const o of r.others)
            diags.push({
              code: 'W_POLICY_UNSUPPORTED',
              severity: 'warning',
              message: `${o.kind} ${o.name}: policy type not supported yet`,
              location: o.location,
            });
        }
        for (const d of diags) io.stderr.write(`${formatDiagnostic(d)}\n`);
        if (diags.some((d) => d.severity === 'error'))
          throw new PalisadeError('E_PARSE', 'some policies are invalid (see above)');
        const resources: Record<string, unknown>[] = [];
        for (const f of opts.resource) {
          const text =
            f === '-'
              ? await readAll(process.stdin)
              : await readFile(resolve(io.cwd, f), 'utf8').catch((err: unknown) => {
                  throw new PalisadeError('E_NOT_FOUND', `cannot read resource file ${f}`, { cause: err });
                });
          const y = readYamlDocuments(text, f);
          for (const d of y.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
          for (const d of y.docs) {
            const v = d.value as Record<string, unknown>;
            if (typeof v !== 'object' || v === null) continue;
            if (String(v['kind']).endsWith('List') && Array.isArray(v['items']))
              resources.push(...(v['items'] as Record<string, unknown>[]));
            else resources.push(v);
          }
        }
        const engine = new PolicyEngine(policies, { exceptions });
        const responses = resources.flatMap((resource) => engine.evaluate({ resource }));
        let text: string;
        if (format === 'json') text = `${JSON.stringify(responses, null, 2)}\n`;
        else if (format === 'yaml') text = stringify(responses);
        else if (format === 'policyreport')
          text = stringify(buildPolicyReport(responses, new Date(), opts.policyReportFormat));
        else text = applyTable(responses);
        await emit(io, text, opts.output);
        const code = Number(opts.exitCode);
        if (code && responses.some((r) => r.rules.some((x) => x.status === 'fail'))) throw new ExitWith(code);
      },
    );
}

export function policyCommand(io: CliIO): Command {
  const cmd = new Command('policy')
    .summary('Kyverno-compatible policies: apply and test')
    .description('Evaluate Kyverno policies (docs/policy.md).');
  const output = { writeOut: (s: string) => io.stdout.write(s), writeErr: (s: string) => io.stderr.write(s) };
  cmd.addCommand(testCommand(io).exitOverride().configureOutput(output));
  cmd.addCommand(applyCommand(io).exitOverride().configureOutput(output));
  return cmd;
}
