/** `palisade webhook`: the admission webhook outside the cluster, for development. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { PalisadeError } from '../core/errors.js';
import { KubeClient } from '../k8s/client/index.js';
import { runWebhook } from '../k8s/webhook/run.js';
import type { CliIO } from './io.js';
import { cliLogger } from './logger.js';

interface WebhookOptions {
  kubeconfig?: string;
  host: string;
  port: string;
  name: string;
  namespace: string;
  reports: boolean;
  drainSeconds: string;
  logLevel: string;
}

export function webhookCommand(io: CliIO): Command {
  return new Command('webhook')
    .description(
      'Serve the Kyverno-compatible admission webhook on this machine: loads and watches\n' +
        'ClusterPolicy/Policy/PolicyException objects, registers Validating/MutatingWebhookConfigurations\n' +
        'whose URLs point at this process (with a self-managed CA in caBundle), writes PolicyReports,\n' +
        'and removes the configurations again on exit (SIGINT/SIGTERM).',
    )
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, then ~/.kube/config)')
    .option('--host <ip>', 'address to listen on and to register', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '0')
    .option('--name <name>', 'name of the webhook configurations', 'palisade')
    .option('--namespace <ns>', "Palisade's own namespace, never intercepted", 'palisade')
    .option('--no-reports', 'do not write PolicyReports')
    .option('--drain-seconds <n>', 'how long shutdown waits for in-flight reviews', '10')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .addHelpText(
      'after',
      `
Examples:
  palisade webhook --kubeconfig ~/.kube/config
  palisade webhook --kubeconfig $(npm run -s cluster:up | tail -1) --port 9443

The apiserver must reach --host:--port (a local apiserver, or a tunnel). Docs: docs/webhook.md`,
    )
    .action(async (opts: WebhookOptions) => {
      const file =
        opts.kubeconfig ?? io.env['KUBECONFIG']?.split(':')[0] ?? join(homedir(), '.kube', 'config');
      const port = Number(opts.port);
      const drain = Number(opts.drainSeconds);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new PalisadeError('E_USAGE', `--port must be 0..65535, not ${opts.port}`);
      if (!Number.isFinite(drain) || drain < 0)
        throw new PalisadeError('E_USAGE', `--drain-seconds must be a number ≥ 0, not ${opts.drainSeconds}`);
      const logger = cliLogger(io, opts.logLevel);
      const client = KubeClient.fromFile(resolve(io.cwd, file));
      const hook = await runWebhook({
        client,
        host: opts.host,
        port,
        name: opts.name,
        ownNamespace: opts.namespace,
        reports: opts.reports,
        logger,
      });
      io.stderr.write(`palisade webhook serving on ${hook.url} (configurations "${opts.name}" registered)\n`);
      await new Promise<void>((r) => {
        if (!io.signal || io.signal.aborted) return r();
        io.signal.addEventListener('abort', () => r(), { once: true });
      });
      const left = await hook.stop({ drainMs: drain * 1000 });
      client.close();
      io.stderr.write(
        `palisade webhook stopped; configurations removed${left ? `; ${left} reviews cut off at the drain deadline` : ''}\n`,
      );
    });
}
