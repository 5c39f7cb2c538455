/**
 * Every setting Palisade reads, declared once: its flag, its PALISADE_* env
 * variable, its key in the config file, its default and how to parse it.
 * The CLI builds its options from this table; nothing else reads env or flags.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type SettingType = 'string' | 'number' | 'boolean' | 'list';

export interface SettingDecl<T> {
  /** Long flag without dashes: `cache-dir`. */
  flag: string;
  /** Environment variable. */
  env: string;
  /** Dotted key in palisade.yaml: `cache.dir`. */
  fileKey: string;
  type: SettingType;
  description: string;
  /** Default value; a function is evaluated lazily (may depend on the environment passed in). */
  default: T | ((env: NodeJS.ProcessEnv) => T);
  /** Allowed values, for documentation and validation. */
  choices?: readonly string[];
}

function cacheDefault(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(env['HOME'] ?? homedir(), '.cache'), 'palisade');
}

export const settings = {
  cacheDir: {
    flag: 'cache-dir',
    env: 'PALISADE_CACHE_DIR',
    fileKey: 'cache.dir',
    type: 'string',
    description: 'directory for the layer cache and the advisory database',
    default: cacheDefault,
  } satisfies SettingDecl<string>,
  noCache: {
    flag: 'no-cache',
    env: 'PALISADE_NO_CACHE',
    fileKey: 'cache.disabled',
    type: 'boolean',
    description: 'do not read or write the layer cache',
    default: false,
  } satisfies SettingDecl<boolean>,
  format: {
    flag: 'format',
    env: 'PALISADE_FORMAT',
    fileKey: 'format',
    type: 'string',
    description: 'output format',
    default: 'table',
    // The union of every command's formats; each command checks its own subset.
    choices: ['table', 'json', 'trivy-json', 'sarif', 'cyclonedx', 'spdx-json', 'junit'],
  } satisfies SettingDecl<string>,
  output: {
    flag: 'output',
    env: 'PALISADE_OUTPUT',
    fileKey: 'output',
    type: 'string',
    description: 'write results to this file instead of stdout',
    default: '',
  } satisfies SettingDecl<string>,
  platform: {
    flag: 'platform',
    env: 'PALISADE_PLATFORM',
    fileKey: 'image.platform',
    type: 'string',
    description: 'platform to pick from a multi-platform image (os/arch[/variant])',
    default: 'linux/amd64',
  } satisfies SettingDecl<string>,
  username: {
    flag: 'username',
    env: 'PALISADE_USERNAME',
    fileKey: 'registry.username',
    type: 'string',
    description: 'registry user name (else ~/.docker/config.json, else anonymous)',
    default: '',
  } satisfies SettingDecl<string>,
  password: {
    flag: 'password',
    env: 'PALISADE_PASSWORD',
    fileKey: 'registry.password',
    type: 'string',
    description: 'registry password or token (prefer the env variable)',
    default: '',
  } satisfies SettingDecl<string>,
  insecure: {
    flag: 'insecure',
    env: 'PALISADE_INSECURE',
    fileKey: 'registry.insecure',
    type: 'boolean',
    description: 'allow plain HTTP registries other than localhost',
    default: false,
  } satisfies SettingDecl<boolean>,
  includeDevDeps: {
    flag: 'include-dev-deps',
    env: 'PALISADE_INCLUDE_DEV_DEPS',
    fileKey: 'scan.includeDevDeps',
    type: 'boolean',
    description: 'keep development-only dependencies of lockfiles (dropped by default, as Trivy does)',
    default: false,
  } satisfies SettingDecl<boolean>,
  quiet: {
    flag: 'quiet',
    env: 'PALISADE_QUIET',
    fileKey: 'quiet',
    type: 'boolean',
    description: 'no progress bar and no informational messages',
    default: false,
  } satisfies SettingDecl<boolean>,
  logLevel: {
    flag: 'log-level',
    env: 'PALISADE_LOG_LEVEL',
    fileKey: 'log.level',
    type: 'string',
    description: 'log level for messages on stderr',
    default: 'warn',
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
  } satisfies SettingDecl<string>,
  dbPath: {
    flag: 'db-path',
    env: 'PALISADE_DB_PATH',
    fileKey: 'db.path',
    type: 'string',
    description: 'advisory database file (default: <cache-dir>/db/osv.sqlite)',
    default: '',
  } satisfies SettingDecl<string>,
  dbMirror: {
    flag: 'db-mirror',
    env: 'PALISADE_DB_MIRROR',
    fileKey: 'db.mirror',
    type: 'string',
    description: 'base URL that `db update` downloads <ecosystem>/all.zip from (osv.dev layout)',
    default: 'https://osv-vulnerabilities.storage.googleapis.com',
  } satisfies SettingDecl<string>,
  dbEcosystems: {
    flag: 'db-ecosystems',
    env: 'PALISADE_DB_ECOSYSTEMS',
    fileKey: 'db.ecosystems',
    type: 'list',
    description: 'OSV ecosystems `db update` downloads, comma-separated as osv.dev names them',
    default: [
      'Go',
      'PyPI',
      'npm',
      'crates.io',
      'Maven',
      'RubyGems',
      'NuGet',
      'Packagist',
      'Debian',
      'Ubuntu',
      'Alpine',
      'AlmaLinux',
      'Rocky Linux',
    ],
  } satisfies SettingDecl<string[]>,
  dbStaleAfter: {
    flag: 'db-stale-after',
    env: 'PALISADE_DB_STALE_AFTER',
    fileKey: 'db.staleAfter',
    type: 'number',
    description: 'hours after the last update at which the advisory database counts as stale',
    default: 24,
  } satisfies SettingDecl<number>,
  scanners: {
    flag: 'scanners',
    env: 'PALISADE_SCANNERS',
    fileKey: 'scan.scanners',
    type: 'list',
    description: 'what `palisade scan` looks for: vuln, secret (comma-separated)',
    default: ['vuln'],
    choices: ['vuln', 'secret'],
  } satisfies SettingDecl<string[]>,
  exitCode: {
    flag: 'exit-code',
    env: 'PALISADE_EXIT_CODE',
    fileKey: 'scan.exitCode',
    type: 'number',
    description: 'exit with this code when findings remain after filtering (0: always exit 0)',
    default: 0,
  } satisfies SettingDecl<number>,
  listAllPkgs: {
    flag: 'list-all-pkgs',
    env: 'PALISADE_LIST_ALL_PKGS',
    fileKey: 'scan.listAllPkgs',
    type: 'boolean',
    description: 'include every package in JSON output, not only vulnerable ones',
    default: false,
  } satisfies SettingDecl<boolean>,
  secretConfig: {
    flag: 'secret-config',
    env: 'PALISADE_SECRET_CONFIG',
    fileKey: 'scan.secretConfig',
    type: 'string',
    description:
      "secret rules file in trivy-secret.yaml's format; default: trivy-secret.yaml in the working directory, if any",
    default: '',
  } satisfies SettingDecl<string>,
  severity: {
    flag: 'severity',
    env: 'PALISADE_SEVERITY',
    fileKey: 'scan.severity',
    type: 'list',
    description: 'report only findings of these severities (comma-separated)',
    default: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    choices: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
  } satisfies SettingDecl<string[]>,
  ignoreUnfixed: {
    flag: 'ignore-unfixed',
    env: 'PALISADE_IGNORE_UNFIXED',
    fileKey: 'scan.ignoreUnfixed',
    type: 'boolean',
    description: 'report only vulnerabilities that have a fixed version',
    default: false,
  } satisfies SettingDecl<boolean>,
  epssMin: {
    flag: 'epss-min',
    env: 'PALISADE_EPSS_MIN',
    fileKey: 'scan.epssMin',
    type: 'number',
    description: 'report only vulnerabilities with an EPSS score at least this (0..1; 0 = no filter)',
    default: 0,
  } satisfies SettingDecl<number>,
  kevOnly: {
    flag: 'kev',
    env: 'PALISADE_KEV',
    fileKey: 'scan.kevOnly',
    type: 'boolean',
    description: "report only vulnerabilities in CISA's Known Exploited Vulnerabilities catalogue",
    default: false,
  } satisfies SettingDecl<boolean>,
  ignoreFile: {
    flag: 'ignorefile',
    env: 'PALISADE_IGNOREFILE',
    fileKey: 'scan.ignoreFile',
    type: 'string',
    description:
      'ignore file (.palisadeignore/.trivyignore format, or .yaml); default: those names in the working directory',
    default: '',
  } satisfies SettingDecl<string>,
  vex: {
    flag: 'vex',
    env: 'PALISADE_VEX',
    fileKey: 'scan.vex',
    type: 'list',
    description: 'OpenVEX documents whose not_affected/fixed statements suppress findings',
    default: [],
  } satisfies SettingDecl<string[]>,
  showSuppressed: {
    flag: 'show-suppressed',
    env: 'PALISADE_SHOW_SUPPRESSED',
    fileKey: 'scan.showSuppressed',
    type: 'boolean',
    description: 'list suppressed findings (ignore rules, VEX) in the table output',
    default: false,
  } satisfies SettingDecl<boolean>,
  epssUrl: {
    flag: 'epss-url',
    env: 'PALISADE_EPSS_URL',
    fileKey: 'db.epssUrl',
    type: 'string',
    description: 'where the EPSS scores (.csv.gz) are downloaded from; empty disables EPSS downloads',
    default: 'https://epss.cyentia.com/epss_scores-current.csv.gz',
  } satisfies SettingDecl<string>,
  kevUrl: {
    flag: 'kev-url',
    env: 'PALISADE_KEV_URL',
    fileKey: 'db.kevUrl',
    type: 'string',
    description: 'where the CISA KEV catalogue (JSON) is downloaded from; empty disables KEV downloads',
    default: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
  } satisfies SettingDecl<string>,
  auditTrustedRegistries: {
    flag: 'trusted-registries',
    env: 'PALISADE_TRUSTED_REGISTRIES',
    fileKey: 'audit.trustedRegistries',
    type: 'list',
    description:
      "registries KSV0125 trusts (each also covers its subdomains), comma-separated; empty: Trivy's list (Azure, ECR, GCR)",
    default: [],
  } satisfies SettingDecl<string[]>,
  config: {
    flag: 'config',
    env: 'PALISADE_CONFIG',
    fileKey: '',
    type: 'string',
    description: 'config file (YAML); keys as in docs/configuration.md',
    default: 'palisade.yaml',
  } satisfies SettingDecl<string>,
} as const;

export type SettingName = keyof typeof settings;

type ValueOf<D> = D extends SettingDecl<infer T> ? T : never;
export type Settings = { [K in SettingName]: ValueOf<(typeof settings)[K]> };
