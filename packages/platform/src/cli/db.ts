/** `palisade db import|info|update`: the OSV advisory database (docs/vulndb.md). */
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { errorMessage, PalisadeError } from '../core/errors.js';
import type { Settings, SettingName } from '../config/settings.js';
import { loadConfigFile, resolveSettings } from '../config/resolve.js';
import type { BuildResult, DatabaseInfo, SourceStats } from '../scan/db/index.js';
import {
  AdvisoryStore,
  buildDatabase,
  databaseAgeHours,
  sourceFromPath,
  updateDatabase,
} from '../scan/db/index.js';
import { downloadEnrichment } from '../scan/enrich/index.js';
import type { DownloadResult, EnrichmentKind } from '../scan/enrich/index.js';
import type { CliIO } from './io.js';
import { cliLogger } from './logger.js';
import { emit } from './output.js';
import { progressFor } from './progress.js';
import { addSettingOptions, flagValues } from './settings-options.js';

const COMMON: SettingName[] = ['dbPath', 'cacheDir', 'quiet', 'logLevel', 'config'];
const IMPORT_SETTINGS: SettingName[] = [...COMMON, 'format', 'output'];
const INFO_SETTINGS: SettingName[] = [...COMMON, 'dbStaleAfter', 'format', 'output'];
const UPDATE_SETTINGS: SettingName[] = [
  ...COMMON,
  'dbMirror',
  'dbEcosystems',
  'epssUrl',
  'kevUrl',
  'format',
  'output',
];

function settingsOf(io: CliIO, opts: Record<string, unknown>, names: readonly SettingName[]): Settings {
  const flags = flagValues(opts, names);
  const configPath =
    typeof flags.config === 'string' ? flags.config : (io.env['PALISADE_CONFIG'] ?? 'palisade.yaml');
  const file = loadConfigFile(
    join(io.cwd, configPath),
    flags.config !== undefined || io.env['PALISADE_CONFIG'] !== undefined,
  );
  const settings = resolveSettings({ env: io.env, flags, file });
  if (settings.format !== 'table' && settings.format !== 'json')
    throw new PalisadeError('E_USAGE', `db commands print 'table' or 'json', not '${settings.format}'`);
  return settings;
}

/** The database file: --db-path, else `<cache-dir>/db/osv.sqlite`. */
export function databasePath(settings: Settings, cwd: string): string {
  return resolve(cwd, settings.dbPath || join(settings.cacheDir, 'db', 'osv.sqlite'));
}

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const n = (x: number): string => x.toLocaleString('en-US');

function age(hours: number): string {
  if (!Number.isFinite(hours)) return 'unknown age';
  if (hours < 1) return `${Math.max(0, Math.round(hours * 60))} min ago`;
  if (hours < 48) return `${Math.round(hours)} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

function sourcesTable(stats: readonly SourceStats[]): string {
  return pad([
    ['SOURCE', 'ENTRIES', 'RECORDS', 'WITHDRAWN', 'SKIPPED', 'DUPLICATES'],
    ...stats.map((s) => [s.name, n(s.entries), n(s.records), n(s.withdrawn), n(s.skipped), n(s.duplicates)]),
  ]);
}

function reportSkipped(io: CliIO, stats: readonly SourceStats[]): void {
  for (const s of stats) {
    if (s.skipped === 0) continue;
    io.stderr.write(`warning: ${s.name}: ${n(s.skipped)} malformed record(s) skipped:\n`);
    for (const e of s.skippedEntries.slice(0, 10)) io.stderr.write(`  ${e.entry}: ${e.reason}\n`);
    if (s.skipped > 10)
      io.stderr.write(`  … and ${n(s.skipped - 10)} more (palisade db info --format json)\n`);
  }
}

function buildSummary(r: BuildResult): string {
  const kept = r.kept.length > 0 ? `; kept from the previous database: ${r.kept.join(', ')}` : '';
  return `${sourcesTable(r.sources)}\n\nAdvisory database ${r.dbPath}: ${n(r.advisories)} advisories, ${n(r.aliasGroups)} alias groups, built in ${(r.wallMs / 1000).toFixed(1)} s${kept}\n`;
}

function buildJson(r: BuildResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

function infoTable(info: DatabaseInfo, hours: number): string {
  const head = [
    `Advisory database: ${info.path}`,
    `Schema version:    ${info.schemaVersion}`,
    `Built:             ${info.builtAt}`,
    `Last checked:      ${info.checkedAt} (${age(hours)})`,
    `Advisories:        ${n(info.advisories)} (${n(info.withdrawn)} withdrawn, not matched)`,
    `Alias groups:      ${n(info.aliasGroups)}`,
  ].join('\n');
  const sources = pad([
    ['SOURCE', 'KIND', 'RECORDS', 'WITHDRAWN', 'SKIPPED', 'NEWEST RECORD', 'IMPORTED', 'ORIGIN'],
    ...info.sources.map((s) => [
      s.name,
      s.kind,
      n(s.records),
      n(s.withdrawn),
      n(s.skipped),
      s.newestModified ?? '-',
      s.importedAt,
      s.origin,
    ]),
  ]);
  const ecos = pad([
    ['ECOSYSTEM', 'PACKAGES', 'ADVISORIES'],
    ...info.ecosystems.map((e) => [e.ecosystem, n(e.packages), n(e.advisories)]),
  ]);
  return `${head}\n\n${sources}\n\n${ecos}\n`;
}

function importCommand(parent: Command, io: CliIO): void {
  const cmd = parent
    .command('import')
    .summary('build the advisory database from OSV all.zip files or directories of OSV JSON')
    .description(
      'Import OSV records offline: each <ecosystem>/all.zip (as osv.dev publishes it), directory of\n' +
        "JSON records or single record file becomes one source, named after the zip's folder, the zip\n" +
        'or the directory. Sources of the current database that are not re-imported are kept (unless\n' +
        '--fresh). The new database is built beside the old one and swapped in only when complete.',
    )
    .argument('<paths...>', 'all.zip files, directories of OSV JSON, or single OSV JSON files')
    .option('--fresh', 'start from an empty database instead of keeping the other sources');
  addSettingOptions(cmd, IMPORT_SETTINGS);
  cmd.addHelpText(
    'after',
    `
Examples:
  palisade db import osv/Go/all.zip osv/PyPI/all.zip      sources "Go" and "PyPI"
  palisade db import ./advisories --fresh                  a directory of OSV JSON, nothing else kept
  palisade db import osv/*/all.zip --db-path ./osv.sqlite`,
  );
  cmd.action(async (paths: string[], opts: Record<string, unknown>) => {
    const settings = settingsOf(io, opts, IMPORT_SETTINGS);
    const logger = cliLogger(io, settings.quiet ? 'error' : settings.logLevel);
    const result = await buildDatabase({
      dbPath: databasePath(settings, io.cwd),
      inputs: paths.map((p) => sourceFromPath(resolve(io.cwd, p))),
      fresh: opts['fresh'] === true,
      logger,
      progress: progressFor(io, settings.quiet),
      signal: io.signal,
    });
    if (result.previousUnusable)
      io.stderr.write(`warning: the previous database could not be kept (${result.previousUnusable})\n`);
    reportSkipped(io, result.sources);
    await emit(io, settings.format === 'json' ? buildJson(result) : buildSummary(result), settings.output);
  });
}

function infoCommand(parent: Command, io: CliIO): void {
  const cmd = parent
    .command('info')
    .summary('show what the advisory database holds and how old it is')
    .description(
      'Show the database file, its sources (records, withdrawn, skipped, origin, HTTP validators),\n' +
        'the ecosystems it covers and its age; warn on stderr when it is older than db.staleAfter hours.',
    )
    .option('--check', 'also read the whole file and check its integrity (SQLite quick_check)');
  addSettingOptions(cmd, INFO_SETTINGS);
  cmd.addHelpText(
    'after',
    `
Examples:
  palisade db info
  palisade db info --format json --check`,
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const settings = settingsOf(io, opts, INFO_SETTINGS);
    const store = AdvisoryStore.open(databasePath(settings, io.cwd));
    try {
      const info = store.info();
      const hours = databaseAgeHours(info, new Date());
      const stale = hours > settings.dbStaleAfter;
      const problems = opts['check'] === true ? store.check() : undefined;
      if (problems && !(problems.length === 1 && problems[0] === 'ok'))
        throw new PalisadeError(
          'E_DB_CORRUPT',
          `the advisory database ${info.path} failed its integrity check: ${problems.join('; ')}`,
          { hint: 'rebuild it with `palisade db update` or `palisade db import`' },
        );
      if (stale && !settings.quiet)
        io.stderr.write(
          `warning: the advisory database was last updated ${age(hours)}, more than db.staleAfter = ${settings.dbStaleAfter} h; run \`palisade db update\`\n`,
        );
      const skipped = store.skipped(undefined, 1000);
      const text =
        settings.format === 'json'
          ? `${JSON.stringify({ ...info, ageHours: Math.round(hours * 100) / 100, stale, skipped, ...(problems ? { integrity: problems } : {}) }, null, 2)}\n`
          : infoTable(info, hours) + (problems ? `\nIntegrity check: ${problems.join('; ')}\n` : '');
      await emit(io, text, settings.output);
    } finally {
      store.close();
    }
  });
}

function updateCommand(parent: Command, io: CliIO): void {
  const cmd = parent
    .command('update')
    .summary('download the OSV advisories of the configured ecosystems and rebuild the database')
    .description(
      'Download <mirror>/<ecosystem>/all.zip for every configured ecosystem with conditional requests\n' +
        '(ETag / Last-Modified of the previous download): unchanged ecosystems are kept, changed ones\n' +
        're-imported. Downloads are checked (length, MD5 from x-goog-hash, CRC-32 of every entry); any\n' +
        'failure leaves the previous database in place.',
    )
    .option('--force', 'download everything, ignoring what the previous update stored');
  addSettingOptions(cmd, UPDATE_SETTINGS);
  cmd.addHelpText(
    'after',
    `
Examples:
  palisade db update
  palisade db update --db-ecosystems Go,PyPI,npm,Debian
  palisade db update --db-mirror https://mirror.internal/osv      an internal copy of the osv.dev bucket
  palisade db update --epss-url '' --kev-url ''                    advisories only, no EPSS/KEV

EPSS scores and the CISA KEV catalogue are fetched beside the database (conditional requests too);
scans then show them and can filter with --epss-min and --kev.`,
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const settings = settingsOf(io, opts, UPDATE_SETTINGS);
    const logger = cliLogger(io, settings.quiet ? 'error' : settings.logLevel);
    const result = await updateDatabase({
      dbPath: databasePath(settings, io.cwd),
      mirror: settings.dbMirror,
      ecosystems: settings.dbEcosystems,
      force: opts['force'] === true,
      logger,
      progress: progressFor(io, settings.quiet),
      signal: io.signal,
    });
    if (result.build) reportSkipped(io, result.build.sources);
    // EPSS and KEV live beside the database. A failed download keeps the previous file and
    // only warns: the advisories, the part scans cannot do without, are already in place.
    const enrichment: DownloadResult[] = [];
    const dbDir = dirname(databasePath(settings, io.cwd));
    for (const [kind, url] of [
      ['epss', settings.epssUrl],
      ['kev', settings.kevUrl],
    ] as [EnrichmentKind, string][]) {
      if (url === '') continue;
      try {
        enrichment.push(
          await downloadEnrichment(kind, url, dbDir, {
            logger,
            force: opts['force'] === true,
            ...(io.signal ? { signal: io.signal } : {}),
          }),
        );
      } catch (err) {
        io.stderr.write(
          `warning: ${kind.toUpperCase()} download from ${url} failed, the previous file (if any) is kept: ${errorMessage(err)}\n`,
        );
      }
    }
    if (settings.format === 'json') {
      await emit(io, `${JSON.stringify({ ...result, enrichment }, null, 2)}\n`, settings.output);
      return;
    }
    const lines = [
      ...result.downloaded.map(
        (d) => `${d.ecosystem}: downloaded ${(d.bytes / 1024 / 1024).toFixed(1)} MB from ${d.url}`,
      ),
      ...result.unchanged.map((e) => `${e}: unchanged`),
      ...enrichment.map((e) => `${e.kind.toUpperCase()}: ${e.status} (${e.path})`),
    ];
    const tail = result.build
      ? `\n${buildSummary(result.build)}`
      : `\nAdvisory database ${databasePath(settings, io.cwd)} is up to date.\n`;
    await emit(io, `${lines.join('\n')}\n${tail}`, settings.output);
  });
}

export function dbCommand(io: CliIO): Command {
  const cmd = new Command('db')
    .summary('manage the OSV advisory database (import, info, update)')
    .description(
      'The advisory database vulnerability scans match against: one SQLite file built from OSV records\n' +
        '(osv.dev all.zip files). See docs/vulndb.md.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  importCommand(cmd, io);
  infoCommand(cmd, io);
  updateCommand(cmd, io);
  cmd.addHelpText(
    'after',
    `
Examples:
  palisade db update                                download or refresh (conditional requests)
  palisade db import ../osv/Go/all.zip               offline, from files
  palisade db info                                  what is inside, and how old`,
  );
  return cmd;
}
