/** `palisade runtime validate|replay`: Falco-compatible rules (docs/runtime.md). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { PalisadeError } from '../core/errors.js';
import type { LoadedRules, LoadMessage, Priority } from '../runtime/index.js';
import {
  alertJson,
  alertText,
  decodeAuditEvents,
  decodeSyscallEvents,
  Engine,
  formatLoadMessage,
  loadRules,
  parsePriority,
} from '../runtime/index.js';
import type { CliIO } from './io.js';
import { ExitWith } from './io.js';
import { emit } from './output.js';

/** Bound on one events file read into memory. */
const MAX_EVENTS_FILE_BYTES = 1 << 30;

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** Files named by -r, directories expanded to their files in name order (as Falco does). */
function rulesPaths(io: CliIO, args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const p = resolve(io.cwd, a);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new PalisadeError('E_NOT_FOUND', `rules file ${a} not found`, { cause: err });
    }
    if (st.isDirectory())
      for (const f of readdirSync(p).sort()) {
        const fp = join(p, f);
        if (statSync(fp).isFile()) out.push(fp);
      }
    else out.push(p);
  }
  return out;
}

function readText(path: string, max: number): string {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new PalisadeError('E_NOT_FOUND', `${path} not found`, { cause: err });
  }
  if (st.size > max) throw new PalisadeError('E_LIMIT', `${path} is larger than ${max} bytes`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PalisadeError('E_IO', `cannot read ${path}`, { cause: err });
  }
}

function load(io: CliIO, rules: readonly string[]): LoadedRules {
  if (rules.length === 0) throw new PalisadeError('E_USAGE', 'no rules files: pass -r <file|dir>');
  const paths = rulesPaths(io, rules);
  return loadRules(paths.map((p) => ({ name: p, content: readText(p, 16 << 20) })));
}

function messageJson(m: LoadMessage): Record<string, unknown> {
  return {
    code: m.code,
    codedesc: m.codeDescription,
    message: m.message,
    context: {
      item_type: m.itemType,
      item_name: m.itemName,
      locations: [{ name: m.file, line: m.line, column: m.column }],
      ...(m.snippet !== undefined ? { snippet: m.snippet } : {}),
      ...(m.conditionLine !== undefined
        ? { condition_position: { line: m.conditionLine, column: m.conditionColumn ?? 0 } }
        : {}),
    },
  };
}

function validationText(r: LoadedRules): string {
  let s = '';
  for (const f of r.results) {
    s += `${f.file}: ${f.ok ? 'Ok' : 'Invalid'}${f.warnings.length ? `, with warnings` : ''}\n`;
    for (const m of [...f.errors, ...f.warnings]) {
      s += `  ${formatLoadMessage(m)}\n`;
      if (m.snippet !== undefined && m.line > 0) s += `    | ${m.snippet}\n`;
    }
  }
  if (r.ok) s += `${r.counts.rules} rules, ${r.counts.macros} macros, ${r.counts.lists} lists\n`;
  return s;
}

export function runtimeCommand(io: CliIO): Command {
  const cmd = new Command('runtime').description(
    'Falco-compatible runtime rules: validate rules files, replay audit or syscall events against them',
  );

  cmd
    .command('validate')
    .description('load and compile rules files; print errors and warnings with Falco codes and positions')
    .requiredOption('-r, --rules <path>', 'rules file or directory (repeatable; loaded in order)', collect)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--output <file>', 'write results to a file instead of stdout', '')
    .addHelpText(
      'after',
      `
Examples:
  palisade runtime validate -r falco_rules.yaml -r my_rules.yaml
  palisade runtime validate -r /etc/falco/rules.d --format json

Exit codes: 0 all files valid (warnings allowed), 2 a file has errors or cannot be read.`,
    )
    .action(async (opts: { rules: string[]; format: string; output: string }) => {
      const r = load(io, opts.rules);
      const text =
        opts.format === 'json'
          ? `${JSON.stringify({
              falco_load_results: r.results.map((f) => ({
                name: f.file,
                successful: f.ok,
                errors: f.errors.map(messageJson),
                warnings: f.warnings.map(messageJson),
              })),
            })}\n`
          : validationText(r);
      await emit(io, text, opts.output);
      if (!r.ok) throw new ExitWith(2);
    });

  cmd
    .command('replay')
    .description('evaluate recorded events against rules and print Falco alert lines')
    .argument(
      '<events...>',
      'event files: audit Event, EventList or JSON lines; syscall JSON lines with --source syscall',
    )
    .requiredOption('-r, --rules <path>', 'rules file or directory (repeatable; loaded in order)', collect)
    .addOption(new Option('--format <format>', 'alert format').choices(['text', 'json']).default('text'))
    .addOption(
      new Option('--source <source>', 'event source of the files')
        .choices(['k8s_audit', 'syscall'])
        .default('k8s_audit'),
    )
    .addOption(
      new Option('--match <mode>', 'first matching rule per event (Falco) or all')
        .choices(['first', 'all'])
        .default('first'),
    )
    .option('--min-priority <priority>', 'skip rules below this priority (Falco priority setting)', 'debug')
    .option('--time-iso8601', 'ISO 8601 times in text lines (Falco time_format_iso_8601)', false)
    .option('--hostname <name>', 'hostname in JSON alerts', '')
    .option('--output <file>', 'write alerts to a file instead of stdout', '')
    .addHelpText(
      'after',
      `
Examples:
  palisade runtime replay -r k8s_audit_rules.yaml audit.log
  palisade runtime replay -r falco_rules.yaml --source syscall --format json events.jsonl

Alerts go to stdout (or --output); a summary and unreadable events go to stderr.`,
    )
    .action(
      async (
        files: string[],
        opts: {
          rules: string[];
          format: string;
          source: string;
          match: 'first' | 'all';
          minPriority: string;
          timeIso8601: boolean;
          hostname: string;
          output: string;
        },
      ) => {
        const minPriority: Priority | undefined = parsePriority(opts.minPriority);
        if (!minPriority) throw new PalisadeError('E_USAGE', `unknown priority '${opts.minPriority}'`);
        const r = load(io, opts.rules);
        if (!r.ok) {
          io.stderr.write(validationText(r));
          throw new ExitWith(2);
        }
        const engine = new Engine(r.rules, {
          match: opts.match,
          minPriority,
          sources: [opts.source],
          hostname: opts.hostname || hostname(),
        });
        const lines: string[] = [];
        let events = 0;
        let bad = 0;
        let num = 1;
        for (const f of files) {
          const path = resolve(io.cwd, f);
          const text = readText(path, MAX_EVENTS_FILE_BYTES);
          const decoded =
            opts.source === 'syscall' ? decodeSyscallEvents(text, {}, num) : decodeAuditEvents(text, {}, num);
          num += decoded.events.length;
          events += decoded.events.length;
          bad += decoded.problems.length;
          for (const p of decoded.problems.slice(0, 10))
            io.stderr.write(`warning: ${f}:${p.at}: ${p.reason}\n`);
          if (decoded.problems.length > 10)
            io.stderr.write(`warning: ${f}: … and ${decoded.problems.length - 10} more unreadable events\n`);
          for (const e of decoded.events)
            for (const m of engine.process(e)) {
              const a = engine.alert(m);
              const o = { timeIso8601: opts.timeIso8601 };
              lines.push(opts.format === 'json' ? alertJson(a, o) : alertText(a, o));
            }
        }
        await emit(io, lines.length ? `${lines.join('\n')}\n` : '', opts.output);
        io.stderr.write(
          `${events} events, ${lines.length} alerts${bad ? `, ${bad} unreadable events skipped` : ''}\n`,
        );
      },
    );
  return cmd;
}
