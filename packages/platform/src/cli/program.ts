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
import { runtimeCommand } from './runtime.js';
import { scanCommand } from './scan.js';
import { policyCommand } from './policy.js';
import { auditCommand } from './audit.js';
import { webhookCommand } from './webhook.js';
import { exporterCommand } from './exporter.js';
import { operatorCommand } from './operator.js';
import { benchmarkCommand } from './benchmark.js';
import { VERSION } from './version.js';

export { VERSION };

export function buildProgram(io: CliIO): Command {
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
  program.addCommand(
    runtimeCommand(io)
      .exitOverride()
      .configureOutput(output)
      .showHelpAfterError('(run with --help for usage)'),
  );
  program.addCommand(
    policyCommand(io)
      .exitOverride()
      .configureOutput(output)
      .showHelpAfterError('(run with --help for usage)'),
  );
  program.addCommand(
    auditCommand(io).exitOverride().configureOutput(output).showHelpAfterError('(run with --help for usage)'),
  );
  program.addCommand(exporterCommand(io).exitOverride().configureOutput(output));
  program.addCommand(operatorCommand(io).exitOverride().configureOutput(output));
  program.addCommand(benchmarkCommand(io).exitOverride().configureOutput(output));
  program.addCommand(webhookCommand(io).exitOverride().configureOutput(output));
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
