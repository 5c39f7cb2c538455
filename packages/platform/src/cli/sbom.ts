/** `palisade sbom <kind> <target>`: list what is installed, as a table, JSON, CycloneDX or SPDX. */
import { join } from 'node:path';
import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import { loadConfigFile, resolveSettings } from '../config/resolve.js';
import { formatInventory } from '../report/index.js';
import { noLayerCache, SqliteLayerCache } from '../scan/cache/layer-cache.js';
import type { CliIO } from './io.js';
import { cliLogger } from './logger.js';
import { emit } from './output.js';
import { progressFor } from './progress.js';
import { addSettingOptions, flagValues } from './settings-options.js';
import { inventoryOf } from './target.js';
import { withoutDevDependencies } from '../scan/inventory.js';

const SETTINGS: SettingName[] = [
  'format',
  'output',
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

export function sbomCommand(io: CliIO): Command {
  const cmd = new Command('sbom')
    .summary('list the packages in an image, root file system, source tree or SBOM')
    .description(
      'List the OS and language packages of a target: the inventory a vulnerability scan starts from.\n' +
        'Output as a table (default), Palisade JSON, CycloneDX 1.6 JSON or SPDX 2.3 JSON.',
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
  palisade sbom image alpine:3.20                        pull from a registry
  palisade sbom image --input debian.tar                 a 'docker save' or OCI archive tar
  palisade sbom image oci:./layout:latest --format cyclonedx --output sbom.cdx.json
  palisade sbom rootfs /mnt/rootfs --format spdx-json
  palisade sbom fs . --format json                       lockfiles and manifests of a project
  palisade sbom sbom sbom.cdx.json                       read an SBOM back as an inventory

Layer results are cached in --cache-dir, so scanning a known image again is near-instant.`,
  );
  cmd.action(async (kind: string, target: string | undefined, opts: Record<string, unknown>) => {
    const flags = flagValues(opts, SETTINGS);
    const configPath =
      typeof flags.config === 'string' ? flags.config : (io.env['PALISADE_CONFIG'] ?? 'palisade.yaml');
    const file = loadConfigFile(
      join(io.cwd, configPath),
      flags.config !== undefined || io.env['PALISADE_CONFIG'] !== undefined,
    );
    const settings = resolveSettings({ env: io.env, flags, file });
    const logger = cliLogger(io, settings.quiet ? 'error' : settings.logLevel);
    const cache = settings.noCache
      ? noLayerCache
      : SqliteLayerCache.open(join(settings.cacheDir, 'layers.sqlite'), logger);
    try {
      const report = await inventoryOf({
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
      });
      const shown = settings.includeDevDeps ? report : withoutDevDependencies(report);
      await emit(io, formatInventory(shown, settings.format), settings.output);
    } finally {
      cache.close();
    }
  });
  return cmd;
}
