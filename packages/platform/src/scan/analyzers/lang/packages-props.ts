/**
 * MSBuild central package management: Directory.Packages.props and the
 * legacy Packages.props (Trivy: fanal analyzer `packages-props`): any path
 * ending in `packages.props`, case-insensitively, as Trivy matches it. Trivy
 * reads it in every kind of scan.
 */
import { fileAnalyzer } from '../lib/file-analyzer.js';
import { parsePackagesProps } from '../lib/nuget.js';

export const analyzer = fileAnalyzer({
  name: 'lang/packages-props',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  maxFileSize: 16 * 1024 * 1024,
  required: (path) => path.toLowerCase().endsWith('packages.props'),
  type: 'packages-props',
  what: '*Packages.props file',
  malformedCode: 'PACKAGES_PROPS_MALFORMED',
  parse: parsePackagesProps,
});
