/**
 * `palisade exporter --kubeconfig F --listen :9090`: Prometheus metrics from report objects
 * (docs/exporter.md). Runs until the command's signal aborts (Ctrl-C in main.ts).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { PalisadeError } from '../core/errors.js';
import { ReportExporter, startExporterServer } from '../export/index.js';
import { KubeClient } from '../k8s/client/rest.js';
import type { CliIO } from './io.js';

/** `:9090` → all interfaces; `127.0.0.1:9090`, `[::1]:9090`. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new PalisadeError('E_USAGE', `--listen: expected [host]:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function exporterCommand(io: CliIO): Command {
  return new Command('exporter')
    .description(
      'Serve Prometheus metrics (starboard-exporter, Trivy Operator and policy-reporter names) from report objects',
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--listen <addr>', 'address for /metrics and /healthz', ':9090')
    .option('-n, --namespace <ns>', 'only reports in this namespace (default: all)')
    .option('--vulnerability-details', 'also the per-CVE series (high cardinality)', false)
    .option('--trivy-metrics', "also Trivy Operator's trivy_* metric names", false)
    .option('--no-policy-reports', 'without policy_report_result / cluster_policy_report_result')
    .addHelpText(
      'after',
      `
Examples:
  palisade exporter --kubeconfig ~/.kube/config --listen :9090
  palisade exporter --listen 127.0.0.1:9100 --trivy-metrics --vulnerability-details`,
    )
    .action(
      async (o: {
        kubeconfig?: string;
        listen: string;
        namespace?: string;
        vulnerabilityDetails: boolean;
        trivyMetrics: boolean;
        policyReports: boolean;
      }) => {
        const { host, port } = parseListen(o.listen);
        const file = o.kubeconfig ?? io.env['KUBECONFIG'] ?? join(homedir(), '.kube', 'config');
        const client = KubeClient.fromFile(file);
        const stop = new AbortController();
        const onAbort = (): void => stop.abort();
        io.signal?.addEventListener('abort', onAbort, { once: true });
        const exporter = new ReportExporter(client, {
          ...(o.namespace ? { namespace: o.namespace } : {}),
          vulnerabilityDetails: o.vulnerabilityDetails,
          trivyMetrics: o.trivyMetrics,
          policyReports: o.policyReports,
        });
        exporter.start(stop.signal);
        const server = await startExporterServer(exporter, {
          host,
          port,
          synced: () => exporter.hasSynced(),
        });
        io.stderr.write(`palisade exporter: serving ${server.url}/metrics (reports from ${client.server})\n`);
        try {
          await new Promise<void>((resolve) => {
            if (stop.signal.aborted) resolve();
            else stop.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        } finally {
          await server.close();
          client.close();
        }
      },
    );
}
