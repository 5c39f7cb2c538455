/**
 * .NET `*.deps.json` (Trivy: fanal analyzer `dotnet-core`, parser
 * dotnet/core_deps): the runtime dependencies of a built .NET application,
 * found in images (the app's own file, and each shared framework's
 * Microsoft.NETCore.App.deps.json) and in source trees. Trivy reads it in every
 * kind of scan.
 */
import { parseDepsJson } from '../lib/dotnet.js';
import { fileAnalyzer } from '../lib/file-analyzer.js';

export const analyzer = fileAnalyzer({
  name: 'lang/dotnet-deps',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  maxFileSize: 64 * 1024 * 1024,
  required: (path) => path.endsWith('.deps.json'),
  type: 'dotnet-core',
  what: '.deps.json',
  malformedCode: 'DOTNET_DEPS_MALFORMED',
  warningCode: 'DOTNET_DEPS_INCOMPLETE',
  parse: parseDepsJson,
});
