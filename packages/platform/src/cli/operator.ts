/**
 * `palisade operator`: VulnerabilityReports (and ExposedSecretReports) per workload container,
 * each unique image digest scanned once by in-process workers; leader election with a Lease;
 * optionally the exporter on a local port (docs/operator.md).
 */
import { randomBytes } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import { loadConfigFile, resolveSettings } from '../config/resolve.js';
import { PalisadeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { ReportExporter, startExporterServer } from '../export/index.js';
import type { ExporterServer } from '../export/index.js';
import { KubeClient } from '../k8s/client/rest.js';
import {
  DigestCache,
  JobScanner,
  LeaderElector,
  MemoryTarget,
  Operator,
  PipelineScanner,
  SCAN_JOB_ENV,
  autoMemoryTarget,
  cgroupMemoryLimit,
  databaseBuild,
  exposeGc,
  parseMemorySize,
  runScanJob,
  startScanJobServer,
} from '../k8s/operator/index.js';
import type { ScanJobServer } from '../k8s/operator/index.js';
import { SqliteLayerCache, noLayerCache } from '../scan/cache/layer-cache.js';
import { databasePath } from './db.js';
import { parseListen } from './exporter.js';
import type { CliIO } from './io.js';
import { cliLogger } from './logger.js';
import { addSettingOptions, flagValues } from './settings-options.js';
import { VERSION } from './version.js';

const SETTINGS: SettingName[] = [
  'scanners',
  'dbPath',
  'cacheDir',
  'noCache',
  'platform',
  'insecure',
  'logLevel',
  'config',
];

/** `500ms`, `30s`, `10m`, `24h`, `0` → milliseconds. */
export function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m)
    throw new PalisadeError(
      'E_USAGE',
      `${flag}: expected a duration like 30s, 10m or 24h, got ${JSON.stringify(v)}`,
    );
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(n * unit);
}

function positiveInt(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new PalisadeError('E_USAGE', `${flag}: expected a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * `--memory-target`: bytes (0: none) and where the figure comes from. `auto` is 3/4 of the cgroup
 * memory limit, or 256 MiB without one (ADR 0018).
 */
export function resolveMemoryTarget(
  v: string,
  limit: () => number | undefined = cgroupMemoryLimit,
): { bytes: number; source: string } {
  const parsed = parseMemorySize(v);
  if (parsed === undefined)
    throw new PalisadeError(
      'E_USAGE',
      `--memory-target: expected auto, off or a size like 256Mi, 300M or 1Gi, got ${JSON.stringify(v)}`,
    );
  if (parsed === 'auto') return autoMemoryTarget(limit());
  if (parsed === 0) return { bytes: 0, source: 'off' };
  if (parsed < 16 * 1024 * 1024)
    throw new PalisadeError('E_USAGE', `--memory-target: at least 16Mi, got ${JSON.stringify(v)}`);
  return { bytes: parsed, source: '--memory-target' };
}

/** `a=1,b=2` → { a: '1', b: '2' } (keys and values as Kubernetes takes them; empty: {}). */
export function keyValues(flag: string, v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(v)) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1)
      throw new PalisadeError(
        'E_USAGE',
        `${flag}: expected key=value[,key=value…], got ${JSON.stringify(item)}`,
      );
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

interface OperatorFlags {
  kubeconfig?: string;
  namespaces: string;
  excludeNamespaces: string;
  concurrency: string;
  reconcileWorkers: string;
  rescanInterval: string;
  rescanJitter: string;
  rescanRate: string;
  dbCheckInterval: string;
  resync: string;
  maxQueue: string;
  maxPendingScans: string;
  skipInitContainers: boolean;
  sbomGeneration: boolean;
  metricsListen?: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDuration: string;
  scanMode: string;
  scanJobsConcurrentLimit: string;
  scanJobNamespace?: string;
  scanJobImage?: string;
  scanJobCommand?: string;
  scanJobTimeout: string;
  scanJobTtl: string;
  scanJobServiceAccount?: string;
  scanJobImagePullSecrets: string;
  scanJobListen: string;
  scanJobServerUrl?: string;
  scanJobRequests: string;
  scanJobLimits: string;
  scanJobNodeSelector: string;
  memoryTarget: string;
  [k: string]: unknown;
}

export function operatorCommand(io: CliIO): Command {
  const cmd = new Command('operator')
    .summary('keep VulnerabilityReports per workload container, each image digest scanned once')
    .description(
      "Watch Pods and their controllers and keep Trivy Operator's VulnerabilityReport (and, with\n" +
        '--scanners vuln,secret, ExposedSecretReport) per workload container. Each unique image digest\n' +
        'is scanned once by in-process workers and the result shared by every workload running it;\n' +
        'results persist under the cache directory, so a restart repeats no finished scan. Reports are\n' +
        'rescanned when the advisory database build changes and on a schedule. One instance leads\n' +
        '(a coordination.k8s.io Lease); others stand by.',
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--namespaces <list>', 'comma-separated namespaces to watch (default: all)', '')
    .option('--exclude-namespaces <list>', 'namespaces never reported', 'kube-system')
    .option('--concurrency <n>', 'image scans at the same time', '2')
    .option('--reconcile-workers <n>', 'workloads reconciled at the same time', '4')
    .option('--rescan-interval <duration>', 'rescan a digest when its result is this old (0: never)', '24h')
    .option('--rescan-jitter <duration>', 'spread rescans over this window (per-digest delay)', '10m')
    .option('--rescan-rate <n>', 'at most this many rescans per minute (0: unlimited)', '60')
    .option(
      '--db-check-interval <duration>',
      'how often the database build and due rescans are checked',
      '60s',
    )
    .option('--resync <duration>', 'reconcile every workload again this often', '10m')
    .option('--max-queue <n>', 'most workloads waiting to be reconciled', '50000')
    .option('--max-pending-scans <n>', 'most digests waiting for a scan', '10000')
    .option('--skip-init-containers', 'no reports for init containers', false)
    .option(
      '--no-sbom-generation',
      "no SbomReports (CycloneDX per workload container; on by default, as Trivy Operator's sbomGenerationEnabled)",
    )
    .option(
      '--metrics-listen <addr>',
      'also serve the exporter /metrics on this address (e.g. 127.0.0.1:9090)',
    )
    .option(
      '--memory-target <size>',
      'soft memory target (RSS): collect garbage when above it; never a hard limit. ' +
        'auto: 3/4 of the cgroup memory limit, or 256Mi without one; off: none; or e.g. 512Mi',
      'auto',
    )
    .option('--no-leader-elect', 'run without a Lease (only one instance may run)')
    .option('--lease-namespace <ns>', 'namespace of the leader Lease', 'default')
    .option('--lease-name <name>', 'name of the leader Lease', 'palisade-operator')
    .option('--lease-duration <duration>', 'how long a Lease holds without renewal', '15s')
    .option(
      '--scan-mode <mode>',
      'where images are scanned: in-process or jobs (Kubernetes Jobs)',
      'in-process',
    )
    .option(
      '--scan-jobs-concurrent-limit <n>',
      'jobs mode: most scan Jobs at once (hard cap; Trivy Operator scanJobsConcurrentLimit)',
      '10',
    )
    .option('--scan-job-namespace <ns>', 'jobs mode: namespace of the scan Jobs (default: --lease-namespace)')
    .option('--scan-job-image <ref>', "jobs mode: the scanner image (Palisade's own; required)")
    .option('--scan-job-command <cmd>', "jobs mode: container command (default: the image's entrypoint)")
    .option('--scan-job-timeout <duration>', 'jobs mode: a scan Job running longer fails', '5m')
    .option(
      '--scan-job-ttl <duration>',
      'jobs mode: ttlSecondsAfterFinished, for Jobs the operator could not delete',
      '1h',
    )
    .option('--scan-job-service-account <name>', 'jobs mode: service account of the scan Jobs')
    .option('--scan-job-image-pull-secrets <list>', 'jobs mode: pull secrets for the scanner image', '')
    .option('--scan-job-requests <list>', 'jobs mode: container requests, e.g. cpu=100m,memory=256Mi', '')
    .option('--scan-job-limits <list>', 'jobs mode: container limits, e.g. cpu=1,memory=1Gi', '')
    .option('--scan-job-node-selector <list>', 'jobs mode: nodeSelector of the Job pods, e.g. pool=scan', '')
    .option('--scan-job-listen <addr>', 'jobs mode: address the scan Jobs call (database, results)', ':8082')
    .option(
      '--scan-job-server-url <url>',
      'jobs mode: URL the scan Jobs reach that address at (e.g. http://palisade-operator.palisade.svc:8082)',
    );
  addSettingOptions(cmd, SETTINGS);
  // `operator scan-job --scanners …`: options after the subcommand are the subcommand's.
  cmd.enablePositionalOptions();
  cmd.addCommand(scanJobCommand(io));
  cmd.addHelpText(
    'after',
    `
Examples:
  palisade db update && palisade operator --kubeconfig ~/.kube/config
  palisade operator --namespaces team-a,team-b --concurrency 4 --scanners vuln,secret
  palisade operator --metrics-listen 127.0.0.1:9090 --rescan-interval 12h
  palisade operator --scan-mode jobs --scan-job-image palisade/palisade:0.1.0 \
    --scan-job-namespace palisade --scan-job-server-url http://palisade-operator.palisade.svc:8082

Options are described with examples in docs/operator.md.`,
  );
  cmd.action(async (o: OperatorFlags) => {
    const flags = flagValues(o, SETTINGS);
    const configPath =
      typeof flags.config === 'string' ? flags.config : (io.env['PALISADE_CONFIG'] ?? 'palisade.yaml');
    const settings = resolveSettings({
      env: io.env,
      flags,
      file: loadConfigFile(
        join(io.cwd, configPath),
        flags.config !== undefined || io.env['PALISADE_CONFIG'] !== undefined,
      ),
    });
    const scanners = new Set(
      settings.scanners.filter((s): s is 'vuln' | 'secret' => s === 'vuln' || s === 'secret'),
    );
    if (scanners.size === 0) throw new PalisadeError('E_USAGE', '--scanners: use vuln, secret or both');
    const concurrency = positiveInt('--concurrency', o.concurrency);
    const reconcileWorkers = positiveInt('--reconcile-workers', o.reconcileWorkers);
    const maxQueue = positiveInt('--max-queue', o.maxQueue);
    const maxPendingScans = positiveInt('--max-pending-scans', o.maxPendingScans);
    const rescanPerMinute = positiveInt('--rescan-rate', o.rescanRate, 0);
    const rescanIntervalMs = parseDuration('--rescan-interval', o.rescanInterval);
    const rescanJitterMs = parseDuration('--rescan-jitter', o.rescanJitter);
    const tickMs = Math.max(1000, parseDuration('--db-check-interval', o.dbCheckInterval));
    const resyncMs = parseDuration('--resync', o.resync);
    const leaseMs = Math.max(2000, parseDuration('--lease-duration', o.leaseDuration));
    const listen = o.metricsListen ? parseListen(o.metricsListen) : undefined;
    if (o.scanMode !== 'in-process' && o.scanMode !== 'jobs')
      throw new PalisadeError(
        'E_USAGE',
        `--scan-mode: in-process or jobs, got ${JSON.stringify(o.scanMode)}`,
      );
    const jobsMode = o.scanMode === 'jobs';
    const memoryTarget = resolveMemoryTarget(o.memoryTarget);
    const jobLimit = positiveInt('--scan-jobs-concurrent-limit', o.scanJobsConcurrentLimit);
    const jobTimeoutMs = parseDuration('--scan-job-timeout', o.scanJobTimeout);
    const jobTtlMs = parseDuration('--scan-job-ttl', o.scanJobTtl);
    const jobListen = parseListen(o.scanJobListen);
    const jobRequests = keyValues('--scan-job-requests', o.scanJobRequests);
    const jobLimits = keyValues('--scan-job-limits', o.scanJobLimits);
    const jobNodeSelector = keyValues('--scan-job-node-selector', o.scanJobNodeSelector);
    if (jobsMode && !o.scanJobImage)
      throw new PalisadeError('E_USAGE', '--scan-mode jobs needs --scan-job-image');
    if (jobsMode && !o.scanJobServerUrl)
      throw new PalisadeError(
        'E_USAGE',
        '--scan-mode jobs needs --scan-job-server-url (how the Jobs reach the operator)',
      );
    // An operator logs what it does at info unless told otherwise (scan commands default to warn).
    const explicitLevel = flags.logLevel !== undefined || io.env['PALISADE_LOG_LEVEL'] !== undefined;
    const logger = cliLogger(io, explicitLevel ? settings.logLevel : 'info');

    const dbPath = databasePath(settings, io.cwd);
    const build = scanners.has('vuln') ? () => databaseBuild(dbPath) : undefined;
    build?.(); // a missing database is an error before anything starts
    const file = o.kubeconfig ?? io.env['KUBECONFIG'] ?? join(homedir(), '.kube', 'config');
    const client = KubeClient.fromFile(file);
    const layerCache = settings.noCache
      ? noLayerCache
      : SqliteLayerCache.open(join(settings.cacheDir, 'layers.sqlite'), logger);
    const cache = DigestCache.open(join(settings.cacheDir, 'operator', 'scans.sqlite'), logger);
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    io.signal?.addEventListener('abort', onAbort, { once: true });
    const memory = startMemoryTarget(memoryTarget, stop.signal, logger);
    let server: ExporterServer | undefined;
    let jobServer: ScanJobServer | undefined;
    try {
      const jobs = jobsMode
        ? new JobScanner(client, {
            namespace: o.scanJobNamespace || o.leaseNamespace,
            image: o.scanJobImage ?? '',
            ...(o.scanJobCommand ? { command: [o.scanJobCommand] } : {}),
            serverUrl: o.scanJobServerUrl ?? '',
            concurrentLimit: jobLimit,
            timeoutMs: jobTimeoutMs,
            ttlSecondsAfterFinished: Math.round(jobTtlMs / 1000),
            ...(o.scanJobServiceAccount ? { serviceAccountName: o.scanJobServiceAccount } : {}),
            imagePullSecrets: list(o.scanJobImagePullSecrets),
            ...(Object.keys(jobRequests).length + Object.keys(jobLimits).length > 0
              ? {
                  resources: {
                    ...(Object.keys(jobRequests).length > 0 ? { requests: jobRequests } : {}),
                    ...(Object.keys(jobLimits).length > 0 ? { limits: jobLimits } : {}),
                  },
                }
              : {}),
            nodeSelector: jobNodeSelector,
            scanners,
            includePackages: o.sbomGeneration,
            insecure: settings.insecure,
            ...(settings.platform ? { platform: settings.platform } : {}),
            ...(scanners.has('vuln') ? { dbPath } : {}),
            env: { PALISADE_LOG_LEVEL: explicitLevel ? settings.logLevel : 'info' },
            logger,
          })
        : undefined;
      if (jobs) {
        jobServer = await startScanJobServer(jobs, jobListen);
        io.stderr.write(
          `palisade operator: scan Jobs call ${o.scanJobServerUrl} (listening on ${jobServer.url})\n`,
        );
      }
      if (listen) {
        const exporter = new ReportExporter(client, {});
        exporter.start(stop.signal);
        server = await startExporterServer(exporter, { ...listen, synced: () => exporter.hasSynced() });
        io.stderr.write(`palisade operator: metrics on ${server.url}/metrics\n`);
      }
      const operator = (): Operator =>
        new Operator(client, {
          scanner:
            jobs ??
            new PipelineScanner({
              dbPath,
              scanners,
              cache: layerCache,
              logger,
              ...(settings.platform ? { platform: settings.platform } : {}),
              insecure: settings.insecure,
              includePackages: o.sbomGeneration,
            }),
          cache,
          ...(build ? { databaseBuild: build } : {}),
          scanners,
          sbom: o.sbomGeneration,
          namespaces: list(o.namespaces),
          excludeNamespaces: list(o.excludeNamespaces),
          // Jobs mode: one scan in flight per Job slot (the JobScanner enforces the cap as well).
          concurrency: jobs ? jobLimit : concurrency,
          reconcileWorkers,
          maxQueue,
          maxPendingScans,
          rescanIntervalMs,
          rescanJitterMs,
          rescanPerMinute,
          tickMs,
          resyncMs,
          skipInitContainers: o.skipInitContainers,
          insecureRegistry: settings.insecure,
          scannerInfo: { name: 'Palisade', vendor: 'Palisade', version: VERSION },
          logger,
        });
      io.stderr.write(`palisade operator: watching ${client.server}\n`);
      const lead = async (signal: AbortSignal): Promise<void> => {
        await Promise.all([jobs?.run(signal), operator().run(signal)]);
      };
      if (!o.leaderElect) {
        await lead(stop.signal);
        return;
      }
      const elector = new LeaderElector(client, {
        namespace: o.leaseNamespace,
        name: o.leaseName,
        identity: `${hostname()}_${randomBytes(4).toString('hex')}`,
        leaseDurationMs: leaseMs,
        renewDeadlineMs: Math.round((leaseMs * 2) / 3),
        retryPeriodMs: Math.max(500, Math.round(leaseMs / 7.5)),
        logger,
      });
      const outcome = await elector.run(stop.signal, lead);
      if (outcome === 'lost')
        throw new PalisadeError(
          'E_K8S_API',
          'leadership lost (the Lease could not be renewed); exiting to restart',
        );
    } finally {
      io.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      if (memory) logger.info(memory.summary(), 'memory target stopped');
      await server?.close();
      await jobServer?.close();
      cache.close();
      layerCache.close();
      client.close();
    }
  });
  return cmd;
}

function startMemoryTarget(
  t: { bytes: number; source: string },
  signal: AbortSignal,
  logger: Logger,
): MemoryTarget | undefined {
  if (t.bytes === 0) return undefined;
  const gc = exposeGc();
  if (!gc) {
    logger.warn({}, 'memory target off: V8 does not let the operator force a garbage collection');
    return undefined;
  }
  const target = new MemoryTarget({ targetBytes: t.bytes, gc, logger });
  target.start(signal);
  // V8's own (hard) heap limit next to it: under a container limit Node sets it to about a
  // quarter of the limit, which a large cluster reaches before the target (docs/operator.md).
  logger.info(
    { targetBytes: t.bytes, source: t.source, v8HeapLimitBytes: getHeapStatistics().heap_size_limit },
    'memory target',
  );
  return target;
}

interface ScanJobFlags {
  image: string;
  digest: string;
  server: string;
  scanners: string;
  includePackages: boolean;
  insecure: boolean;
  platform?: string;
  logLevel: string;
}

/** `palisade operator scan-job`: what a scan Job's container runs (docs/operator.md, ADR 0015). */
function scanJobCommand(io: CliIO): Command {
  return new Command('scan-job')
    .summary('scan one image for the operator (the container of a scan Job; not for direct use)')
    .description(
      'Download the advisory database from the operator, scan one image pinned by digest and post ' +
        `the result back. The token comes from $${SCAN_JOB_ENV.token}; registry credentials, when ` +
        `the workload has them, from $${SCAN_JOB_ENV.username} and $${SCAN_JOB_ENV.password}.`,
    )
    .requiredOption('--image <ref>', 'image to scan, registry/repo@sha256:…')
    .requiredOption('--digest <digest>', 'its manifest digest')
    .requiredOption('--server <url>', "the operator's scan-job endpoint")
    .option('--scanners <list>', 'vuln, secret or both', 'vuln')
    .option('--include-packages', 'keep every package (for SbomReports)', false)
    .option('--insecure', 'registry over plain HTTP or with an untrusted certificate', false)
    .option('--platform <os/arch>', 'platform of a multi-platform image')
    .option('--log-level <level>', 'debug, info, warn or error', io.env['PALISADE_LOG_LEVEL'] ?? 'info')
    .action(async (f: ScanJobFlags) => {
      const token = io.env[SCAN_JOB_ENV.token];
      if (!token) throw new PalisadeError('E_USAGE', `scan-job: $${SCAN_JOB_ENV.token} is not set`);
      const scanners = new Set(
        list(f.scanners).filter((s): s is 'vuln' | 'secret' => s === 'vuln' || s === 'secret'),
      );
      if (scanners.size === 0) throw new PalisadeError('E_USAGE', '--scanners: use vuln, secret or both');
      const username = io.env[SCAN_JOB_ENV.username];
      const logger = cliLogger(io, f.logLevel);
      await runScanJob({
        image: f.image,
        digest: f.digest,
        server: f.server,
        token,
        scanners,
        includePackages: f.includePackages,
        ...(username !== undefined ? { username, password: io.env[SCAN_JOB_ENV.password] ?? '' } : {}),
        insecure: f.insecure,
        ...(f.platform ? { platform: f.platform } : {}),
        logger,
        ...(io.signal ? { signal: io.signal } : {}),
      });
    });
}
