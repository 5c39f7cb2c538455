/**
 * OS from os-release(5) (Trivy: fanal analyzer/os/release). Only the
 * distributions whose `ID` Trivy maps are detected here; Debian and Ubuntu
 * are named by /etc/debian_version and /etc/lsb-release instead (their
 * os-release carries only the major release, `12`, not `12.5`), Amazon Linux
 * by /etc/system-release.
 *
 * Parsing follows Trivy: `KEY=value` lines, key and value trimmed, every
 * leading and trailing quote (`"` or `'`) stripped from the value; the answer
 * is the first point at which both a mapped `ID` and a non-empty `VERSION_ID`
 * have been seen.
 */
import type { OSInfo } from '@palisade/api';
import { OSFamily } from '../lib/os-family.js';
import { mergeOS } from '../lib/os-merge.js';
import { scanLines } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

const requiredFiles = new Set([
  'etc/os-release',
  'usr/lib/os-release',
  // Bottlerocket keeps its host os-release under the sysroot of its SDK layout.
  'aarch64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release',
  'x86_64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release',
]);

/** os-release `ID` → family. */
const familyById: Readonly<Record<string, string>> = {
  activestate: OSFamily.ActiveState,
  almalinux: OSFamily.Alma,
  alpine: OSFamily.Alpine,
  azurelinux: OSFamily.Azure,
  bottlerocket: OSFamily.Bottlerocket,
  centos: OSFamily.CentOS,
  chainguard: OSFamily.Chainguard,
  coreos: OSFamily.CoreOS,
  echo: OSFamily.Echo,
  fedora: OSFamily.Fedora,
  mariner: OSFamily.CBLMariner,
  minimos: OSFamily.MinimOS,
  ol: OSFamily.Oracle,
  // `opensuse` is Leap 42; Leap 15 says `opensuse-leap`.
  opensuse: OSFamily.OpenSUSELeap,
  'opensuse-leap': OSFamily.OpenSUSELeap,
  'opensuse-tumbleweed': OSFamily.OpenSUSETumbleweed,
  photon: OSFamily.Photon,
  rhel: OSFamily.RedHat,
  rocky: OSFamily.Rocky,
  // SLE Micro was briefly renamed SL Micro (6.0) and has a Rancher variant.
  'sl-micro': OSFamily.SLEMicro,
  'sle-micro': OSFamily.SLEMicro,
  'sle-micro-rancher': OSFamily.SLEMicro,
  sles: OSFamily.SLES,
  wolfi: OSFamily.Wolfi,
};

function trimQuotes(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s[start] === '"' || s[start] === "'")) start++;
  while (end > start && (s[end - 1] === '"' || s[end - 1] === "'")) end--;
  return s.slice(start, end);
}

/** The OS an os-release file names, or undefined when its ID is not one Trivy maps (or VERSION_ID is missing). */
export function parseOSRelease(text: string): OSInfo | undefined {
  let id = '';
  let versionId = '';
  for (const line of scanLines(text)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'ID') id = trimQuotes(value);
    else if (key === 'VERSION_ID') versionId = trimQuotes(value);
    else continue;
    const family = Object.hasOwn(familyById, id) ? familyById[id] : undefined;
    if (family !== undefined && versionId !== '') return { family, name: versionId };
  }
  return undefined;
}

export const analyzer: Analyzer = {
  name: 'os/os-release',
  version: 1,
  targets: ['image', 'rootfs'],
  // Grouped so that etc/os-release and usr/lib/os-release of one layer are
  // combined by mergeOS in path order, not by whichever arrives last.
  mode: 'group',
  maxFileSize: 1024 * 1024,
  required: (path) => requiredFiles.has(path),
  analyze(files: readonly AnalyzerFile[]): AnalysisResult {
    let os: OSInfo | undefined;
    for (const f of files) {
      const found = parseOSRelease(decodeText(f.content));
      if (found) os = mergeOS(os, found);
    }
    return os ? { os } : {};
  },
};
