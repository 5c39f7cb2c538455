/**
 * OS from the Red Hat family's release files, as Trivy's fanal
 * analyzer/os/redhatbase reads them. Each file holds one line such as
 * `CentOS Linux release 7.6.1810 (Core)`; the part before ` release ` names
 * the distribution and the number after it is the release.
 *
 * | file                                           | accepts                                   |
 * |------------------------------------------------|-------------------------------------------|
 * | etc/redhat-release                             | any name (unknown names → `redhat`)       |
 * | etc/centos-release                             | CentOS, CentOS Linux                      |
 * | etc/rocky-release                              | Rocky, Rocky Linux                        |
 * | etc/almalinux-release                          | Alma, AlmaLinux, Alma Linux               |
 * | etc/fedora-release, usr/lib/fedora-release     | Fedora, Fedora Linux                      |
 * | etc/oracle-release                             | anything (always `oracle`)                |
 *
 * A clone's redhat-release may name RHEL (Oracle Linux's does), so `redhat`
 * is a generic answer that a more specific file of the same layer or the
 * os-release analyzer replaces (lib/os-merge.ts). CentOS Stream's
 * `CentOS Stream release 9` is not accepted by centos-release and reads as
 * `redhat 9` from redhat-release; its os-release (`ID="centos"`) then names it.
 */
import type { OSInfo } from '@palisade/api';
import { OSFamily } from '../lib/os-family.js';
import { mergeOS } from '../lib/os-merge.js';
import { locationOf, scanLines } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

// Anchored: the same match as Trivy's unanchored Go pattern (`(.*)` can always
// start at column 0), without trying every start position on a long line.
const releaseLine = /^(.*) release (\d[\d.]*)/;
/** Longer first lines are not release lines; not scanning them bounds the work. */
const maxLineLength = 4096;

/** Family by the lower-cased name before ` release `, as redhat-release reads it. */
const familyByName: Readonly<Record<string, string>> = {
  centos: OSFamily.CentOS,
  'centos linux': OSFamily.CentOS,
  rocky: OSFamily.Rocky,
  'rocky linux': OSFamily.Rocky,
  alma: OSFamily.Alma,
  almalinux: OSFamily.Alma,
  'alma linux': OSFamily.Alma,
  oracle: OSFamily.Oracle,
  'oracle linux': OSFamily.Oracle,
  'oracle linux server': OSFamily.Oracle,
  fedora: OSFamily.Fedora,
  'fedora linux': OSFamily.Fedora,
};

type Accept = (name: string) => string | undefined;

const only =
  (family: string): Accept =>
  (name) =>
    familyByName[name] === family ? family : undefined;

const acceptByFile: ReadonlyMap<string, Accept> = new Map<string, Accept>([
  ['etc/redhat-release', (name) => familyByName[name] ?? OSFamily.RedHat],
  ['etc/centos-release', only(OSFamily.CentOS)],
  ['etc/rocky-release', only(OSFamily.Rocky)],
  ['etc/almalinux-release', only(OSFamily.Alma)],
  ['etc/fedora-release', only(OSFamily.Fedora)],
  ['usr/lib/fedora-release', only(OSFamily.Fedora)],
  ['etc/oracle-release', () => OSFamily.Oracle],
]);

export interface ReleaseFileResult {
  os?: OSInfo;
  /** The first line is missing or not `<name> release <number>`. */
  malformed?: boolean;
}

/** Reads one release file (`path` selects which names it accepts). */
export function parseRedHatRelease(path: string, text: string): ReleaseFileResult {
  const accept = acceptByFile.get(path);
  if (!accept) return {};
  const first = scanLines(text)[0];
  if (first === undefined) return { malformed: true };
  const line = first.trim();
  if (line.length > maxLineLength) return { malformed: true };
  const m = releaseLine.exec(line);
  if (!m) return { malformed: true };
  const family = accept((m[1] ?? '').toLowerCase());
  return family ? { os: { family, name: m[2] ?? '' } } : {};
}

export const analyzer: Analyzer = {
  name: 'os/redhat-release',
  version: 1,
  targets: ['image', 'rootfs'],
  // Grouped so that a layer's redhat-release and its clone's own release file
  // are combined by mergeOS in path order, not by whichever arrives last.
  mode: 'group',
  maxFileSize: 64 * 1024,
  required: (path) => acceptByFile.has(path),
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    let os: OSInfo | undefined;
    for (const f of files) {
      const r = parseRedHatRelease(f.path, decodeText(f.content));
      if (r.malformed) {
        ctx.diagnostics.warn(
          'OS_RELEASE_MALFORMED',
          'expected "<name> release <number>" on the first line',
          locationOf(ctx, f.path, 1),
        );
      } else if (r.os) {
        os = mergeOS(os, r.os);
      }
    }
    return os ? { os } : {};
  },
};
