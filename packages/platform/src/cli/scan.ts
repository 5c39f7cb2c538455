/**
 * `palisade scan <kind> <target>`: the inventory of a target matched against the
 * advisory database, enriched with EPSS and KEV, filtered by the user's
 * suppressions, and written in the format asked for. Stages, in order:
 * inventory (+ secrets in the same pass) → detect → enrich → suppress → write.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import type { InventoryDiagnostic, InventoryReport, ScanReport, ScanResult, Severity } from '@palisade/api';
import { SEVERITIES } from '@palisade/api';
import type { SettingName, Settings } from '../config/settings.js';
import { loadConfigFile, resolveSettings } from '../config/resolve.js';
import { PalisadeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { SCAN_FORMATS, writeScanReport } from '../report/index.js';
import { purlFor } from '../report/purl.js';
import type { ScanFormat } from '../report/index.js';
import { noLayerCache, SqliteLayerCache } from '../scan/cache/layer-cache.js';
import { AdvisoryStore, databaseAgeHours } from '../scan/db/index.js';
import { detectVulnerabilities } from '../scan/detect/index.js';
import { enrich, enrichmentPath, readEpss, readKev } from '../scan/enrich/index.js';
import type { EnrichmentSources } from '../scan/enrich/index.js';
import { withoutDevDependencies } from '../scan/inventory.js';
import {
  applySecretLayers,
  loadSecretConfig,
  scannerFromConfig,
  secretAnalyzer,
} from '../scan/secret/index.js';
import {
  DEFAULT_IGNORE_FILES,
  ociPurl,
  readIgnoreFile,
  readOpenVex,
  suppressFindings,
} from '../scan/suppress/index.js';
import type { IgnoreRules, SuppressOptions, VexDocument } from '../scan/suppress/index.js';
import { databasePath } from './db.js';
import type { CliIO } from './io.js';
import { ExitWith } from './io.js';
import { cliLogger } from './logger.js';
import { emit } from './output.js';
import { progressFor } from './progress.js';
import { addSettingOptions, flagValues } from './settings-options.js';
import { inventoryOf } from './target.js';
import { VERSION } from './version.js';

const SETTINGS: SettingName[] = [
  'format',
  'output',
  'scanners',
  'severity',
  'ignoreUnfixed',
  'exitCode',
  'ignoreFile',
  'vex',
  'showSuppressed',
  'epssMin',
  'kevOnly',
  'listAllPkgs',
  'secretConfig',
  'dbPath',
  'dbStaleAfter',
  'platform',
  'username',
  'password',
  'insecure',
  'cacheDir',
  'noCache',
  'includeDevDeps',
  'quiet',
  'logLevel',
  'config',
];

function settingsOf(io: CliIO, opts: Record<string, unknown>): Settings {
  const flags = flagValues(opts, SETTINGS);
  const configPath =
    typeof flags.config === 'string' ? flags.config : (io.env['PALISADE_CONFIG'] ?? 'palisade.yaml');
  const file = loadConfigFile(
    join(io.cwd, configPath),
    flags.config !== undefined || io.env['PALISADE_CONFIG'] !== undefined,
  );
  return resolveSettings({ env: io.env, flags, file });
}

function checkSettings(s: Settings): void {
  if (!(SCAN_FORMATS as readonly string[]).includes(s.format)) {
    throw new PalisadeError('E_USAGE', `palisade scan cannot write '${s.format}'`, {
      hint: `use one of: ${SCAN_FORMATS.join(', ')} (spdx-json is an SBOM format: palisade sbom)`,
    });
  }
  if (s.scanners.length === 0)
    throw new PalisadeError('E_USAGE', '--scanners is empty: use vuln, secret or both');
  if (!(s.epssMin >= 0 && s.epssMin <= 1))
    throw new PalisadeError('E_USAGE', `--epss-min ${s.epssMin} is not between 0 and 1`);
  if (!Number.isInteger(s.exitCode) || s.exitCode < 0 || s.exitCode > 255)
    throw new PalisadeError('E_USAGE', `--exit-code ${s.exitCode} is not an exit code (0..255)`);
}

/** Ignore files: the one named, else every default name present in the working directory. */
async function loadIgnores(s: Settings, cwd: string, logger: Logger): Promise<IgnoreRules[]> {
  const named = s.ignoreFile !== '';
  const paths = named ? [resolve(cwd, s.ignoreFile)] : DEFAULT_IGNORE_FILES.map((f) => join(cwd, f));
  const out: IgnoreRules[] = [];
  for (const path of paths) {
    if (!named && !existsSync(path)) continue;
    const load = await readIgnoreFile(path);
    for (const d of load.diagnostics)
      logger.warn({ file: d.location?.file, line: d.location?.line }, d.message);
    out.push(load.ignore);
  }
  return out;
}

async function loadVex(s: Settings, cwd: string, logger: Logger): Promise<VexDocument[]> {
  const out: VexDocument[] = [];
  for (const file of s.vex) {
    const load = await readOpenVex(resolve(cwd, file));
    for (const d of load.diagnostics) logger.warn({ file: d.location?.file }, d.message);
    out.push(load.document);
  }
  return out;
}

/** EPSS and KEV files beside the database, when `palisade db update` fetched them. */
async function loadEnrichment(dbDir: string, logger: Logger): Promise<EnrichmentSources> {
  const src: EnrichmentSources = {};
  const epss = enrichmentPath('epss', dbDir);
  if (existsSync(epss)) {
    const load = await readEpss(epss);
    if (load.skipped > 0) logger.warn({ file: epss }, `${load.skipped} malformed EPSS row(s) skipped`);
    src.epss = load.table;
  }
  const kev = enrichmentPath('kev', dbDir);
  if (existsSync(kev)) {
    const load = await readKev(kev);
    if (load.skipped > 0) logger.warn({ file: kev }, `${load.skipped} malformed KEV entr(ies) skipped`);
    src.kev = load.table;
  }
  return src;
}

function countFindings(report: ScanReport): number {
  let n = 0;
  for (const r of report.results) n += (r.vulnerabilities?.length ?? 0) + (r.secrets?.length ?? 0);
  return n;
}

function hasVulnerabilities(report: ScanReport): boolean {
  return report.results.some((r) => (r.vulnerabilities?.length ?? 0) > 0);
}

function sortedSeverities(list: readonly string[]): Severity[] {
  return SEVERITIES.filter((s) => list.includes(s));
}

export function scanCommand(io: CliIO): Command {
  const cmd = new Command('scan')
    .summary('find known vulnerabilities (and secrets) in an image, root file system, source tree or SBOM')
    .description(
      'Scan a target for known vulnerabilities: its OS and language packages are matched against the\n' +
        'advisory database (`palisade db update` or `palisade db import` creates it), findings are\n' +
        'enriched with EPSS scores and CISA KEV when those files are present, then filtered by severity,\n' +
        'fix status, ignore files (.palisadeignore, .trivyignore) and OpenVEX documents.\n' +
        'With --scanners secret (or vuln,secret) every file is also searched for credentials.',
    )
    .argument('<kind>', 'image | rootfs | fs | sbom')
    .argument('[target]', 'image reference or path; a directory for rootfs/fs; an SBOM file for sbom')
    .option('--input <file>', 'image tar to read (docker save or OCI archive), as Trivy --input')
    .option('--skip-dirs <dirs>', 'comma-separated directories not to walk (fs, rootfs)');
  addSettingOptions(cmd, SETTINGS);
  cmd.addHelpText(
    'after',
    `
Examples:
  palisade db update                                       once, then daily: fetch the advisories
  palisade scan image alpine:3.20                          pull from a registry and scan
  palisade scan image --input app.tar --severity HIGH,CRITICAL --exit-code 1
  palisade scan fs . --scanners vuln,secret                lockfiles and secrets of a project
  palisade scan rootfs /mnt/root --ignore-unfixed --format json --output report.json
  palisade scan sbom sbom.cdx.json --format sarif --output results.sarif
  palisade scan fs . --vex vex.openvex.json --show-suppressed
  palisade scan image app:1.0 --kev --epss-min 0.1         only what is exploited or likely to be

Formats: ${SCAN_FORMATS.join(', ')} (trivy-json is Trivy's JSON schema, for tools that read it).
Exit codes: 0 done (or no findings with --exit-code), the --exit-code value when findings remain,
2 bad usage or unreadable input.`,
  );
  cmd.action(async (kind: string, target: string | undefined, opts: Record<string, unknown>) => {
    const settings = settingsOf(io, opts);
    checkSettings(settings);
    const logger = cliLogger(io, settings.quiet ? 'error' : settings.logLevel);
    const scanners = new Set(settings.scanners);

    // Open the database first: a missing database is an error before any pull.
    let store: AdvisoryStore | undefined;
    const dbPath = databasePath(settings, io.cwd);
    let database: ScanReport['database'];
    if (scanners.has('vuln')) {
      store = AdvisoryStore.open(dbPath);
      const info = store.build();
      const hours = databaseAgeHours(info, new Date());
      const stale = hours > settings.dbStaleAfter;
      if (stale)
        io.stderr.write(
          `warning: the advisory database was last updated ${Math.round(hours)} h ago, more than db.staleAfter = ${settings.dbStaleAfter} h; run \`palisade db update\`\n`,
        );
      database = {
        builtAt: info.builtAt,
        checkedAt: info.checkedAt,
        sources: info.sources.map((s) => s.name),
        ...(stale ? { stale: true } : {}),
      };
    }
    const cache = settings.noCache
      ? noLayerCache
      : SqliteLayerCache.open(join(settings.cacheDir, 'layers.sqlite'), logger);
    try {
      let secretResults: ScanResult[] = [];
      const extraAnalyzers = [];
      if (scanners.has('secret')) {
        if (kind === 'sbom') throw new PalisadeError('E_USAGE', 'an SBOM has no files to search for secrets');
        const named = settings.secretConfig !== '';
        const configPath = resolve(io.cwd, named ? settings.secretConfig : 'trivy-secret.yaml');
        if (named && !existsSync(configPath))
          throw new PalisadeError('E_NOT_FOUND', `secret configuration ${configPath} does not exist`);
        const load = await loadSecretConfig(configPath);
        const first = load.diagnostics.find((d) => d.severity === 'error');
        if (first)
          throw new PalisadeError(
            'E_CONFIG',
            first.message,
            first.location ? { location: first.location } : {},
          );
        const scannerKind = kind === 'image' ? 'image' : kind === 'rootfs' ? 'rootfs' : 'fs';
        extraAnalyzers.push(
          secretAnalyzer(scannerFromConfig(load.config), {
            kind: scannerKind,
            ...(existsSync(configPath) ? { configFile: configRelative(io.cwd, target, configPath) } : {}),
          }),
        );
      }
      const inventory = await inventoryOf({
        kind,
        target,
        input: typeof opts['input'] === 'string' ? opts['input'] : undefined,
        settings,
        cwd: io.cwd,
        logger,
        cache,
        progress: progressFor(io, settings.quiet),
        signal: io.signal,
        ...(typeof opts['skipDirs'] === 'string'
          ? { skipDirs: opts['skipDirs'].split(',').map((s) => s.trim()) }
          : {}),
        ...(extraAnalyzers.length > 0
          ? {
              extraAnalyzers,
              onLayers: (layers) => {
                secretResults = applySecretLayers(layers);
              },
            }
          : {}),
      });
      const shown = withPurls(settings.includeDevDeps ? inventory : withoutDevDependencies(inventory));

      let report: ScanReport;
      if (store) {
        report = detectVulnerabilities(shown, store, {
          includePackages: settings.listAllPkgs,
          ...(database ? { database } : {}),
          ...(io.signal ? { signal: io.signal } : {}),
        });
      } else {
        report = {
          schemaVersion: 1,
          createdAt: new Date().toISOString(),
          artifact: shown.artifact,
          ...(shown.os ? { os: shown.os } : {}),
          results: [],
          diagnostics: [...shown.diagnostics],
        };
      }
      if (secretResults.length > 0) report = { ...report, results: [...report.results, ...secretResults] };

      // EPSS (360k rows) is read only when there is something to enrich.
      if (hasVulnerabilities(report) || settings.epssMin > 0 || settings.kevOnly) {
        const src = await loadEnrichment(dirname(dbPath), logger);
        if (settings.epssMin > 0 && !src.epss)
          throw new PalisadeError('E_USAGE', '--epss-min needs EPSS scores, and none are downloaded', {
            hint: 'run `palisade db update` (it fetches EPSS and KEV beside the advisories)',
          });
        if (settings.kevOnly && !src.kev)
          throw new PalisadeError('E_USAGE', '--kev needs the CISA KEV catalogue, and it is not downloaded', {
            hint: 'run `palisade db update` (it fetches EPSS and KEV beside the advisories)',
          });
        if (src.epss || src.kev) report = enrich(report, src).report;
      }

      const suppress: SuppressOptions = {
        severities: sortedSeverities(settings.severity),
        ignoreUnfixed: settings.ignoreUnfixed,
        ignore: await loadIgnores(settings, io.cwd, logger),
        vex: await loadVex(settings, io.cwd, logger),
      };
      if (settings.epssMin > 0) suppress.epssMin = settings.epssMin;
      if (settings.kevOnly) suppress.kevOnly = true;
      const purl = ociPurl(report);
      if (purl) suppress.artifactPurl = purl;
      report = suppressFindings(report, suppress).report;
      reportDiagnostics(io, report.diagnostics, settings.quiet);

      const format = settings.format as ScanFormat;
      const columns = (io.stdout as { columns?: unknown }).columns;
      const text = writeScanReport(report, format, {
        severities: sortedSeverities(settings.severity),
        scanners: [...scanners].filter((s): s is 'vuln' | 'secret' => s === 'vuln' || s === 'secret'),
        showSuppressed: settings.showSuppressed,
        toolVersion: VERSION,
        ...(kind === 'fs' || kind === 'rootfs' ? { rootPath: resolve(io.cwd, target ?? '.') } : {}),
        ...(io.stdout.isTTY && typeof columns === 'number' ? { width: columns } : {}),
      });
      await emit(io, text, settings.output);
      if (settings.exitCode !== 0 && countFindings(report) > 0) throw new ExitWith(settings.exitCode);
    } finally {
      cache.close();
      store?.close();
    }
  });
  return cmd;
}

/** Purls on every package, so findings carry them (VEX statements and ignore rules match by purl). */
function withPurls(inv: InventoryReport): InventoryReport {
  return {
    ...inv,
    results: inv.results.map((r) => ({
      ...r,
      packages: r.packages.map((p) => {
        if (p.purl !== undefined) return p;
        const purl = purlFor(p, r.class, r.type, inv.os);
        return purl === undefined ? p : { ...p, purl };
      }),
    })),
  };
}

/** The secret config file as the analyzer sees paths (relative to the scanned tree), so it is not scanned itself. */
function configRelative(cwd: string, target: string | undefined, configPath: string): string {
  const root = resolve(cwd, target ?? '.');
  return configPath.startsWith(`${root}/`) ? configPath.slice(root.length + 1) : configPath;
}

/** Warnings and errors of the inventory and detection go to stderr, one line each; info only without --quiet. */
function reportDiagnostics(io: CliIO, diagnostics: readonly InventoryDiagnostic[], quiet: boolean): void {
  for (const d of diagnostics) {
    if (quiet && d.severity !== 'error') continue;
    if (d.severity === 'info') continue;
    const where = [d.layer, d.file, d.line].filter((x) => x !== undefined).join(':');
    io.stderr.write(`${d.severity} ${d.code}${where ? ` (${where})` : ''}: ${d.message}\n`);
  }
}
