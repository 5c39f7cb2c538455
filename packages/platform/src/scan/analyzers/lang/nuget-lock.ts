/**
 * NuGet packages.lock.json (Trivy: fanal analyzer `nuget`, parser nuget/lock).
 * Trivy reads it in every kind of scan (image, rootfs, filesystem).
 */
import { fileAnalyzer } from '../lib/file-analyzer.js';
import { parseNugetLock } from '../lib/nuget.js';
import { baseName } from '../types.js';

export const analyzer = fileAnalyzer({
  name: 'lang/nuget-lock',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  maxFileSize: 64 * 1024 * 1024,
  required: (path) => baseName(path) === 'packages.lock.json',
  type: 'nuget',
  what: 'packages.lock.json',
  malformedCode: 'NUGET_LOCK_MALFORMED',
  parse: parseNugetLock,
});
