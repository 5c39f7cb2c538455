/**
 * NuGet packages.config (Trivy: fanal analyzer `nuget`, parser nuget/config):
 * names and versions only, development dependencies skipped. Trivy reads it
 * in every kind of scan. (Trivy also looks licenses up in the host's
 * ~/.nuget/packages *.nuspec files; an analyzer never reads the host, so we do not.)
 */
import { fileAnalyzer } from '../lib/file-analyzer.js';
import { parseNugetConfig } from '../lib/nuget.js';
import { baseName } from '../types.js';

export const analyzer = fileAnalyzer({
  name: 'lang/nuget-config',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  maxFileSize: 16 * 1024 * 1024,
  required: (path) => baseName(path) === 'packages.config',
  type: 'nuget',
  what: 'packages.config',
  malformedCode: 'NUGET_CONFIG_MALFORMED',
  parse: parseNugetConfig,
});
