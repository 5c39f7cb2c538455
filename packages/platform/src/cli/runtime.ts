/** `palisade runtime validate|replay|serve`: Falco-compatible rules (docs/runtime.md). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import type { FalcoAlert } from '../alert/index.js';
import { createAlertRouter, createOutput } from '../alert/index.js';
import { createStdoutOutput, alertLine } from '../alert/stdout.js';
import { parseAlertConfig } from '../config/alert.js';
import { loadConfigFile } from '../config/resolve.js';
import { errorMessage, PalisadeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { LoadedRules, LoadMessage, Priority } from '../runtime/index.js';
import {
  alertJson,
  alertText,
  auditEvent,
  decodeAuditEvents,
  decodeSyscallEvents,
  Engine,
  formatLoadMessage,
  loadRules,
  parsePriority,
} from '../runtime/index.js';
import { createRuntimeIngest, DEFAULT_INGEST_LIMITS } from '../server/runtime-ingest.js';
import type { CliIO } from './io.js';
import { ExitWith } from './io.js';
import { cliLogger } from './logger.js';
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
    'Falco-compatible runtime rules: validate rules files, replay audit or syscall events against them,\n' +
      'serve the kube-apiserver audit webhook and a Falco alert endpoint',
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
  cmd.addCommand(serveCommand(io));
  return cmd;
}

/** `host:port`, `:port` (all interfaces, as Falco's k8saudit `:9765`) or `[v6]:port`. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new PalisadeError(
      'E_USAGE',
      `--listen '${s}' is not host:port (e.g. 127.0.0.1:8765, :8765, [::1]:8765)`,
    );
  const host = m[1] ?? (m[2] || '0.0.0.0');
  return { host, port };
}

interface ServeOptions {
  rules: string[];
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  format: 'text' | 'json';
  stdout: boolean;
  config?: string;
  match: 'first' | 'all';
  minPriority: string;
  timeIso8601: boolean;
  hostname: string;
  auditPath: string;
  alertPath: string;
  maxBodyBytes: string;
  drainTimeout: string;
  logLevel: string;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new PalisadeError('E_USAGE', `${flag} expects a positive integer, got '${v}'`);
  return n;
}

function serveCommand(io: CliIO): Command {
  return new Command('serve')
    .description(
      'receive kube-apiserver audit events (webhook backend) and Falco JSON alerts over HTTP(S);\n' +
        'evaluate the events against rules and forward every alert to the outputs of alert: in palisade.yaml',
    )
    .requiredOption('-r, --rules <path>', 'rules file or directory (repeatable; loaded in order)', collect)
    .option('--listen <host:port>', 'address to listen on (`:8765` for every interface)', '127.0.0.1:8765')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .addOption(
      new Option('--format <format>', 'alert lines on stdout').choices(['text', 'json']).default('text'),
    )
    .option('--no-stdout', 'do not print alerts on stdout (outputs of alert: still get them)')
    .option(
      '--config <file>',
      'config file with the alert: section [env PALISADE_CONFIG] (default: palisade.yaml)',
    )
    .addOption(
      new Option('--match <mode>', 'first matching rule per event (Falco) or all')
        .choices(['first', 'all'])
        .default('first'),
    )
    .option('--min-priority <priority>', 'skip rules below this priority (Falco priority setting)', 'debug')
    .option('--time-iso8601', 'ISO 8601 times in text lines (Falco time_format_iso_8601)', false)
    .option('--hostname <name>', 'hostname in alerts (default: this host)', '')
    .option('--audit-path <path>', 'path of the audit webhook endpoint', '/k8s-audit')
    .option('--alert-path <path>', 'path of the Falco JSON alert endpoint (falcosidekick: /)', '/')
    .option(
      '--max-body-bytes <n>',
      'largest request body accepted',
      String(DEFAULT_INGEST_LIMITS.maxBodyBytes),
    )
    .option('--drain-timeout <seconds>', 'on shutdown, how long queued alerts may take to be delivered', '10')
    .option('--log-level <level>', 'log level of the JSON logs on stderr', 'info')
    .addHelpText(
      'after',
      `
Examples:
  palisade runtime serve -r k8s_audit_rules.yaml
  palisade runtime serve -r k8s_audit_rules.yaml -r my_rules.yaml --listen :8765 \\
      --tls-cert tls.crt --tls-key tls.key --format json --config /etc/palisade/palisade.yaml

Endpoints: POST /k8s-audit (audit.k8s.io/v1 EventList, kube-apiserver --audit-webhook-config-file),
POST / (one Falco JSON alert, as Falco's http_output sends to falcosidekick), GET /healthz.
Runs until SIGTERM or SIGINT, then drains the alert queues and logs its counters.`,
    )
    .action(async (opts: ServeOptions) => {
      await serve(io, opts);
    });
}

async function serve(io: CliIO, opts: ServeOptions): Promise<void> {
  const minPriority: Priority | undefined = parsePriority(opts.minPriority);
  if (!minPriority) throw new PalisadeError('E_USAGE', `unknown priority '${opts.minPriority}'`);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new PalisadeError('E_USAGE', '--tls-cert and --tls-key go together');
  const listen = parseListen(opts.listen);
  const maxBodyBytes = positiveInt(opts.maxBodyBytes, '--max-body-bytes');
  const drainMs = Number(opts.drainTimeout) * 1000;
  if (!Number.isFinite(drainMs) || drainMs < 0)
    throw new PalisadeError('E_USAGE', `--drain-timeout expects seconds, got '${opts.drainTimeout}'`);
  const log: Logger = cliLogger(io, opts.logLevel).child({ component: 'runtime-serve' });

  // Everything that can fail on bad input fails before the socket opens.
  const r = load(io, opts.rules);
  if (!r.ok) {
    io.stderr.write(validationText(r));
    throw new ExitWith(2);
  }
  const explicitConfig = opts.config !== undefined || io.env['PALISADE_CONFIG'] !== undefined;
  const configPath = resolve(io.cwd, opts.config ?? io.env['PALISADE_CONFIG'] ?? 'palisade.yaml');
  const alertConfig = parseAlertConfig(loadConfigFile(configPath, explicitConfig), { env: io.env });
  const tls =
    opts.tlsCert !== undefined && opts.tlsKey !== undefined
      ? {
          cert: readText(resolve(io.cwd, opts.tlsCert), 1 << 20),
          key: readText(resolve(io.cwd, opts.tlsKey), 1 << 20),
        }
      : undefined;

  const engine = new Engine(r.rules, {
    match: opts.match,
    minPriority,
    sources: ['k8s_audit'],
    hostname: opts.hostname || hostname(),
  });
  const router = createAlertRouter(alertConfig.outputs, {
    logger: log,
    // An output of kind stdout writes to this command's stdout (tests pass their own stream).
    create: (spec) =>
      spec.kind === 'stdout'
        ? createStdoutOutput({ ...spec.options, name: spec.name, stream: io.stdout as Writable })
        : createOutput(spec),
  });
  const formatOpts = { timeIso8601: opts.timeIso8601 };
  const engineCounters = { events: 0, alerts: 0, forwarded: 0, errors: 0 };
  const publish = (a: FalcoAlert): void => {
    router.publish(a);
    if (opts.stdout) io.stdout.write(alertLine(a, opts.format));
  };
  let num = 1;
  const ingest = createRuntimeIngest({
    audit: {
      auditEvents: (events) => {
        for (const data of events) {
          engineCounters.events++;
          try {
            for (const m of engine.process(auditEvent(data, num++))) {
              // The JSON line is Falco's alert; parsing it back gives the object every output takes.
              const a = JSON.parse(alertJson(engine.alert(m), formatOpts)) as FalcoAlert;
              engineCounters.alerts++;
              publish(a);
            }
          } catch (e) {
            // One event the engine cannot handle must not fail the whole batch (the apiserver would resend it).
            engineCounters.errors++;
            if (engineCounters.errors <= 10)
              log.warn({ err: errorMessage(e), event: num - 1 }, 'event not evaluated');
          }
        }
      },
    },
    alerts: {
      alert: (a) => {
        engineCounters.forwarded++;
        publish(a);
      },
    },
    auditPath: opts.auditPath,
    alertPath: opts.alertPath,
    limits: { maxBodyBytes },
    logger: log,
  });
  const server = tls ? https.createServer(tls, ingest.listener) : http.createServer(ingest.listener);

  const signal = io.signal;
  if (signal?.aborted) {
    await router.close(false);
    log.info({}, 'stopped before listening');
    return;
  }
  await new Promise<void>((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException): void =>
      fail(
        new PalisadeError('E_IO', `cannot listen on ${opts.listen}: ${e.code ?? e.message}`, { cause: e }),
      );
    server.once('error', onError);
    server.listen(listen.port, listen.host, () => {
      server.off('error', onError);
      ok();
    });
  }).catch(async (e: unknown) => {
    await router.close(false);
    throw e;
  });
  server.on('error', (e) => log.error({ err: errorMessage(e) }, 'server error'));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${addr.port}`;
  log.info(
    {
      url,
      auditEndpoint: `${url}${opts.auditPath}`,
      alertEndpoint: `${url}${opts.alertPath}`,
      rules: engine.rules.length,
      outputs: alertConfig.outputs.map((o) => o.name),
    },
    'listening',
  );

  await new Promise<void>((done) => {
    if (!signal) return; // without a signal: until the process ends
    if (signal.aborted) done();
    else signal.addEventListener('abort', () => done(), { once: true });
  });

  // Shutdown: stop accepting, let requests in flight finish (cut after a grace period),
  // then deliver what is queued within the drain timeout.
  log.info({}, 'shutting down');
  const closed = new Promise<void>((ok) => server.close(() => ok()));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), 2000);
  await closed;
  clearTimeout(grace);
  let drained = false;
  const drain = router.close(true).then(() => (drained = true));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([drain, new Promise((ok) => (timer = setTimeout(ok, drainMs)))]);
  clearTimeout(timer);
  if (!drained) {
    log.warn({ drainTimeoutSeconds: drainMs / 1000 }, 'alert queues not drained in time; dropping the rest');
    await router.close(false);
    await drain;
  }
  log.info(
    {
      ingest: ingest.counters,
      engine: { ...engineCounters, byRule: Object.fromEntries(engine.stats.byRule) },
      outputs: router.metrics.snapshot(),
    },
    'stopped',
  );
}
