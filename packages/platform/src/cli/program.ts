/**
 * The `palisade` command tree. run() returns an exit code and never exits the
 * process (main.ts does), so tests drive the real CLI in-process.
 */
import { Command, CommanderError } from 'commander';
import { formatLocation } from '../core/location.js';
import { errorMessage, isPalisadeError } from '../core/errors.js';
import type { CliIO } from './io.js';
import { EXIT, ExitWith } from './io.js';
import { sbomCommand } from './sbom.js';
import { dbCommand } from './db.js';
import { scanCommand } from './scan.js';
import { VERSION } from './version.js';

export { VERSION };

/**
 * Commands whose modules are loaded when they run (ADR 0004): the policy engine, CEL, the
 * Kubernetes client, prom-client and the runtime engine are large, and `palisade scan` or
 * `palisade sbom` should not pay for evaluating them at start-up. Each entry gives the name
 * and summary shown in `palisade --help` and a loader for the real command.
 */
const LAZY_COMMANDS: ReadonlyArray<readonly [string, string, (io: CliIO) => Promise<Command>]> = [
  [
    'policy',
    'Kyverno-compatible policies: test (kyverno-test.yaml) and apply',
    async (io) => (await import('./policy.js')).policyCommand(io),
  ],
  [
    'runtime',
    'Falco-compatible runtime rules: validate, replay, serve',
    async (io) => (await import('./runtime.js')).runtimeCommand(io),
  ],
  [
    'audit',
    'configuration checks for Kubernetes objects (Trivy KSV checks): manifests, cluster',
    async (io) => (await import('./audit.js')).auditCommand(io),
  ],
  [
    'benchmark',
    "CIS benchmarks of this node (kube-bench's definitions)",
    async (io) => (await import('./benchmark.js')).benchmarkCommand(io),
  ],
  [
    'webhook',
    'the admission webhook enforcing Kyverno policies',
    async (io) => (await import('./webhook.js')).webhookCommand(io),
  ],
  [
    'operator',
    'keep VulnerabilityReports per workload container, each image digest scanned once',
    async (io) => (await import('./operator.js')).operatorCommand(io),
  ],
  [
    'exporter',
    'Prometheus metrics from report objects (starboard-exporter and Trivy Operator names)',
    async (io) => (await import('./exporter.js')).exporterCommand(io),
  ],
];

function configured(cmd: Command, io: CliIO): Command {
  return cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s: string) => io.stdout.write(s),
      writeErr: (s: string) => io.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)');
}

/** A stand-in that loads the real command and hands it the rest of the arguments. */
function lazyCommand(
  io: CliIO,
  name: string,
  summary: string,
  load: (io: CliIO) => Promise<Command>,
): Command {
  const stub = new Command(name)
    .summary(summary)
    .description(summary)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]');
  stub.action(async () => {
    // Under a root of the same name, so usage lines read `palisade <name> …`.
    const root = configured(new Command('palisade'), io);
    root.addCommand(configured(await load(io), io));
    await root.parseAsync([name, ...stub.args], { from: 'user' });
  });
  return configured(stub, io);
}

/** The whole command tree with every command loaded, for tools that inspect options (tests, docs). */
export async function buildFullProgram(io: CliIO): Promise<Command> {
  const program = buildProgram(io, { lazy: false });
  for (const [, , load] of LAZY_COMMANDS) program.addCommand(configured(await load(io), io));
  return program;
}

export function buildProgram(io: CliIO, opts: { lazy?: boolean } = {}): Command {
  const program = new Command('palisade')
    .description(
      'Palisade: one Kubernetes security platform: image and file system inventory and vulnerability\n' +
        'scanning, Kyverno-compatible policies, Falco-compatible runtime rules, CIS audits.',
    )
    .version(VERSION, '-v, --version')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const output = { writeOut: (s: string) => io.stdout.write(s), writeErr: (s: string) => io.stderr.write(s) };
  program.addCommand(
    sbomCommand(io).exitOverride().configureOutput(output).showHelpAfterError('(run with --help for usage)'),
  );
  program.addCommand(
    scanCommand(io).exitOverride().configureOutput(output).showHelpAfterError('(run with --help for usage)'),
  );
  program.addCommand(
    dbCommand(io).exitOverride().configureOutput(output).showHelpAfterError('(run with --help for usage)'),
  );
  if (opts.lazy !== false)
    for (const [name, summary, load] of LAZY_COMMANDS)
      program.addCommand(lazyCommand(io, name, summary, load));
  program.addHelpText(
    'after',
    `
Examples:
  palisade db update && palisade scan image alpine:3.20
  palisade sbom image alpine:3.20
  palisade sbom fs . --format cyclonedx --output sbom.cdx.json

Exit codes: 0 done, 1 findings over the --exit-code threshold, 2 bad usage or unreadable input.
Docs: docs/README.md`,
  );
  return program;
}

function printError(io: CliIO, err: unknown): number {
  if (isPalisadeError(err)) {
    const where = err.location ? ` (${formatLocation(err.location)})` : '';
    io.stderr.write(`error ${err.code}${where}: ${err.message}\n`);
    if (err.location?.snippet) io.stderr.write(`  | ${err.location.snippet}\n`);
    if (err.hint) io.stderr.write(`hint: ${err.hint}\n`);
    return err.code === 'E_INTERNAL' ? EXIT.internal : EXIT.usage;
  }
  io.stderr.write(`internal error: ${errorMessage(err)}\n`);
  if (err instanceof Error && err.stack && io.env['PALISADE_DEBUG']) io.stderr.write(`${err.stack}\n`);
  io.stderr.write('This is a bug in Palisade; please report it with the command you ran.\n');
  return EXIT.internal;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ExitWith) return err.exitCode;
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    return printError(io, err);
  }
}
