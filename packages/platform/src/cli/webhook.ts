/**
 * `palisade webhook`: the admission webhook. Without --service it runs outside the cluster for
 * development (URL-based configurations pointing at itself, removed on exit); with --service it is
 * the in-cluster component the Helm chart deploys.
 */
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
  service?: string;
  listen?: string;
  failurePolicy?: string;
  timeoutSeconds?: string;
  excludeNamespaces?: string;
  tlsCert?: string;
  tlsKey?: string;
  caBundle?: string;
  certSecret?: string;
  certValidityDays?: string;
  caValidityDays?: string;
  certCheckSeconds: string;
  ownerClusterRole?: string;
  backgroundScan: boolean;
  backgroundScanInterval: string;
  backgroundScanRate: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** `ns/name[:port]` (port optional, default 443). */
export function parseServiceRef(v: string): { namespace: string; name: string; port?: number } {
  const m = /^([^/:]+)\/([^/:]+)(?::(\d+))?$/.exec(v);
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (
    !m ||
    !NAME.test(m[1] ?? '') ||
    !NAME.test(m[2] ?? '') ||
    (port !== undefined && (port < 1 || port > 65535))
  )
    throw new PalisadeError('E_USAGE', `--service must be <namespace>/<name>[:port], not ${v}`);
  return { namespace: m[1] ?? '', name: m[2] ?? '', ...(port !== undefined ? { port } : {}) };
}

/** `host:port` or `[v6]:port`. */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(v);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new PalisadeError('E_USAGE', `--listen must be <host>:<port>, not ${v}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function positive(flag: string, v: string, max = Infinity): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new PalisadeError('E_USAGE', `${flag} must be a number in (0, ${max}], not ${v}`);
  return n;
}

/** `90s`, `10m`, `1h`, `0` (seconds when no unit) → milliseconds. */
export function parseIntervalMs(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new PalisadeError('E_USAGE', `${flag} must be a duration like 30m or 1h (0: off), not ${v}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(Number(m[1]) * unit);
}

export function webhookCommand(io: CliIO): Command {
  return new Command('webhook')
    .description(
      'Serve the Kyverno-compatible admission webhook on this machine: loads and watches\n' +
        'ClusterPolicy/Policy/PolicyException and policies.kyverno.io ValidatingPolicy/MutatingPolicy\n' +
        'objects, registers Validating/MutatingWebhookConfigurations\n' +
        'whose URLs point at this process (with a self-managed CA in caBundle), writes PolicyReports\n' +
        '(from admission and from a background scan of existing resources),\n' +
        'and removes the configurations again on exit (SIGINT/SIGTERM).\n' +
        'With --service it runs in the cluster: configurations name the Service, certificates come from\n' +
        'files (--tls-cert) or are self-managed and shared through a Secret (--cert-secret), and the\n' +
        'configurations stay when one replica exits.',
    )
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, then ~/.kube/config)')
    .option('--host <ip>', 'address to listen on and to register', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '0')
    .option('--name <name>', 'name of the webhook configurations', 'palisade')
    .option('--namespace <ns>', "Palisade's own namespace, never intercepted", 'palisade')
    .option('--no-reports', 'do not write PolicyReports')
    .option('--drain-seconds <n>', 'how long shutdown waits for in-flight reviews', '10')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .option(
      '--service <ns/name[:port]>',
      'in-cluster: configurations call this Service (clientConfig.service, port default 443) and stay on exit',
    )
    .option('--listen <host:port>', 'address to listen on (in-cluster: 0.0.0.0:9443); default --host:--port')
    .option('--failure-policy <Fail|Ignore>', 'failurePolicy of policies that set none', 'Fail')
    .option('--timeout-seconds <n>', 'timeoutSeconds (1-30) of policies that set none', '10')
    .option('--exclude-namespaces <a,b>', 'namespaces never intercepted, besides kube-system and --namespace')
    .option('--tls-cert <file>', 'serving certificate (PEM), reloaded when the file changes')
    .option('--tls-key <file>', 'its private key (PEM)')
    .option('--ca-bundle <file>', 'CA bundle for the configurations (default: the --tls-cert file)')
    .option(
      '--cert-secret <ns/name>',
      'self-managed certificates shared through this Secret (replicas, restarts)',
    )
    .option('--cert-validity-days <n>', 'self-managed serving certificate lifetime', '30')
    .option('--ca-validity-days <n>', 'self-managed CA lifetime', '365')
    .option('--cert-check-seconds <n>', 'how often certificates are renewed, re-read or reloaded', '60')
    .option('--no-background-scan', 'do not scan existing resources into the PolicyReports')
    .option(
      '--background-scan-interval <duration>',
      'full rescan of existing resources (besides rescans on changes); 0: only on changes',
      '1h',
    )
    .option('--background-scan-rate <n>', 'background evaluations per second at most', '100')
    .option(
      '--owner-clusterrole <name>',
      'in-cluster: this ClusterRole owns the configurations, so deleting the release garbage-collects them',
    )
    .addHelpText(
      'after',
      `
Examples:
  palisade webhook --kubeconfig ~/.kube/config
  palisade webhook --kubeconfig $(npm run -s cluster:up | tail -1) --port 9443
  # in a cluster (the Helm chart does this):
  palisade webhook --service palisade/palisade-webhook --listen 0.0.0.0:9443 \\
    --cert-secret palisade/palisade-webhook-tls --failure-policy Ignore --exclude-namespaces monitoring
  palisade webhook --service palisade/palisade-webhook --tls-cert /tls/tls.crt --tls-key /tls/tls.key --ca-bundle /tls/ca.crt

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
      const service = opts.service ? parseServiceRef(opts.service) : undefined;
      const listen = opts.listen ? parseListen(opts.listen) : undefined;
      if (opts.failurePolicy !== 'Fail' && opts.failurePolicy !== 'Ignore')
        throw new PalisadeError(
          'E_USAGE',
          `--failure-policy must be Fail or Ignore, not ${opts.failurePolicy}`,
        );
      const timeoutSeconds = positive('--timeout-seconds', opts.timeoutSeconds ?? '10', 30);
      if (!Number.isInteger(timeoutSeconds))
        throw new PalisadeError(
          'E_USAGE',
          `--timeout-seconds must be a whole number, not ${opts.timeoutSeconds}`,
        );
      const exclude = (opts.excludeNamespaces ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      for (const n of exclude)
        if (!NAME.test(n))
          throw new PalisadeError('E_USAGE', `--exclude-namespaces: ${n} is not a namespace name`);
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
        throw new PalisadeError('E_USAGE', '--tls-cert and --tls-key go together');
      if (opts.caBundle && !opts.tlsCert)
        throw new PalisadeError('E_USAGE', '--ca-bundle needs --tls-cert/--tls-key');
      if (opts.tlsCert && opts.certSecret)
        throw new PalisadeError('E_USAGE', '--cert-secret is for self-managed certificates, not --tls-cert');
      let certSecret: { namespace: string; name: string } | undefined;
      if (opts.certSecret) {
        const [ns = '', name = '', ...rest] = opts.certSecret.split('/');
        if (rest.length || !NAME.test(ns) || !NAME.test(name))
          throw new PalisadeError(
            'E_USAGE',
            `--cert-secret must be <namespace>/<name>, not ${opts.certSecret}`,
          );
        certSecret = { namespace: ns, name };
      }
      const DAY = 86_400_000;
      const servingDays = positive('--cert-validity-days', opts.certValidityDays ?? '30');
      const caDays = positive('--ca-validity-days', opts.caValidityDays ?? '365');
      if (caDays < servingDays)
        throw new PalisadeError('E_USAGE', '--ca-validity-days must be at least --cert-validity-days');
      const checkSeconds = positive('--cert-check-seconds', opts.certCheckSeconds);
      const backgroundIntervalMs = parseIntervalMs('--background-scan-interval', opts.backgroundScanInterval);
      if (backgroundIntervalMs !== 0 && backgroundIntervalMs < 10_000)
        throw new PalisadeError('E_USAGE', '--background-scan-interval must be 0 or at least 10s');
      const backgroundRate = positive('--background-scan-rate', opts.backgroundScanRate, 100_000);
      const logger = cliLogger(io, opts.logLevel);
      const client = KubeClient.fromFile(resolve(io.cwd, file));
      const hook = await runWebhook({
        client,
        host: opts.host,
        port: listen?.port ?? port,
        ...(listen ? { listenHost: listen.host } : {}),
        name: opts.name,
        ownNamespace: opts.namespace,
        reports: opts.reports,
        logger,
        ...(service ? { service } : {}),
        failurePolicy: opts.failurePolicy,
        timeoutSeconds,
        excludeNamespaces: exclude,
        ...(opts.tlsCert && opts.tlsKey
          ? {
              tlsFiles: {
                certFile: resolve(io.cwd, opts.tlsCert),
                keyFile: resolve(io.cwd, opts.tlsKey),
                ...(opts.caBundle ? { caBundleFile: resolve(io.cwd, opts.caBundle) } : {}),
              },
            }
          : {}),
        ...(certSecret ? { certSecret } : {}),
        servingValidityMs: servingDays * DAY,
        caValidityMs: caDays * DAY,
        certCheckMs: checkSeconds * 1000,
        ...(opts.ownerClusterRole ? { ownerClusterRole: opts.ownerClusterRole } : {}),
        background: opts.backgroundScan
          ? { intervalMs: backgroundIntervalMs, ratePerSecond: backgroundRate }
          : false,
      });
      const target = service
        ? `Service ${service.namespace}/${service.name}:${service.port ?? 443}`
        : hook.url;
      io.stderr.write(
        `palisade webhook serving on port ${hook.port} (configurations "${opts.name}" registered for ${target})\n`,
      );
      await new Promise<void>((r) => {
        if (!io.signal || io.signal.aborted) return r();
        io.signal.addEventListener('abort', () => r(), { once: true });
      });
      const left = await hook.stop({ drainMs: drain * 1000 });
      client.close();
      io.stderr.write(
        `palisade webhook stopped; configurations ${service ? 'kept (in-cluster mode)' : 'removed'}${left ? `; ${left} reviews cut off at the drain deadline` : ''}\n`,
      );
    });
}
