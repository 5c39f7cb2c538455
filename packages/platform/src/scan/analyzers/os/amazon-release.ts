/**
 * OS from /etc/system-release (Amazon Linux 1 and 2) and
 * /usr/lib/system-release (Amazon Linux 2022 and later), as Trivy's fanal
 * analyzer/os/amazonlinux reads them. Amazon's os-release (`ID="amzn"`) is
 * not used, so the release keeps Trivy's spelling:
 *   `Amazon Linux AMI release 2018.03`        → `AMI release 2018.03`
 *   `Amazon Linux release 2 (Karoo)`           → `2 (Karoo)`
 *   `Amazon Linux release 2023 (Amazon Linux)` → `2023 (Amazon Linux)`
 * Other distributions have a system-release too (Fedora, CentOS); it names
 * nothing here.
 */
import type { OSInfo } from '@palisade/api';
import { OSFamily } from '../lib/os-family.js';
import { mergeOS } from '../lib/os-merge.js';
import { scanLines } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

const requiredFiles = new Set(['etc/system-release', 'usr/lib/system-release']);

export function parseSystemRelease(text: string): OSInfo | undefined {
  for (const line of scanLines(text)) {
    const fields = line.split(/\s+/).filter((f) => f !== '');
    if (line.startsWith('Amazon Linux release 2')) {
      if (fields.length < 5) continue;
      return { family: OSFamily.Amazon, name: fields.slice(3).join(' ') };
    }
    if (line.startsWith('Amazon Linux')) {
      const name = fields.slice(2).join(' ');
      if (name !== '') return { family: OSFamily.Amazon, name };
    }
  }
  return undefined;
}

export const analyzer: Analyzer = {
  name: 'os/amazon-release',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'group',
  maxFileSize: 64 * 1024,
  required: (path) => requiredFiles.has(path),
  analyze(files: readonly AnalyzerFile[]): AnalysisResult {
    let os: OSInfo | undefined;
    for (const f of files) {
      const found = parseSystemRelease(decodeText(f.content));
      if (found) os = mergeOS(os, found);
    }
    return os ? { os } : {};
  },
};
