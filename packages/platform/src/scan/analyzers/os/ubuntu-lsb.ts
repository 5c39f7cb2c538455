/**
 * OS from /etc/lsb-release (Trivy: fanal analyzer/os/ubuntu). Trivy names
 * Ubuntu from this file only, not from os-release: a `DISTRIB_ID=Ubuntu` line
 * followed (anywhere later) by `DISTRIB_RELEASE=<release>`. Other
 * distributions' lsb-release files name nothing.
 */
import type { OSInfo } from '@palisade/api';
import { OSFamily } from '../lib/os-family.js';
import { scanLines } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

const releasePrefix = 'DISTRIB_RELEASE=';

export function parseLsbRelease(text: string): OSInfo | undefined {
  let isUbuntu = false;
  for (const line of scanLines(text)) {
    if (line === 'DISTRIB_ID=Ubuntu') {
      isUbuntu = true;
      continue;
    }
    if (isUbuntu && line.startsWith(releasePrefix)) {
      const name = line.slice(releasePrefix.length).trim();
      return name === '' ? undefined : { family: OSFamily.Ubuntu, name };
    }
  }
  return undefined;
}

export const analyzer: Analyzer = {
  name: 'os/ubuntu-lsb',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 64 * 1024,
  required: (path) => path === 'etc/lsb-release',
  analyze(files: readonly AnalyzerFile[]): AnalysisResult {
    for (const f of files) {
      const os = parseLsbRelease(decodeText(f.content));
      if (os) return { os };
    }
    return {};
  },
};
