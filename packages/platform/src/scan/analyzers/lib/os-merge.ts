/**
 * Combining OS detections. Several analyzers can name the OS (os-release,
 * alpine-release, debian_version, lsb-release, the redhat-family release
 * files, system-release) and every layer can carry its own copy. Trivy folds
 * them with `types.OS.Merge`, layer by layer from the base upwards (and, within
 * a layer, in whatever order its concurrent analyzers finish). This module does
 * the same fold, deterministically:
 *
 * 1. An empty detection (no family) changes nothing.
 * 2. `redhat` and `debian` are generic answers: RHEL clones ship
 *    /etc/redhat-release and Ubuntu ships /etc/debian_version, so a result of
 *    either family is replaced by whatever comes next (Oracle Linux over its
 *    redhat-release, Ubuntu over its debian_version). A later debian layer
 *    therefore also updates the debian point release, as in Trivy.
 * 3. Any other family is sticky: the first detection wins, and later layers
 *    that name another family or another release do not change it (Trivy's
 *    "existing fields win").
 * 4. Refinement: when both name the same family and one release extends the
 *    other at a dot (`7` and `7.9.2009`; `8` and `8.10`), the fuller one is
 *    kept, whichever came first. Trivy's analyzers run concurrently, so
 *    without this rule CentOS 7 comes out as `7` or `7.6.1810` depending on
 *    timing (os-release vs centos-release); upstream adopted the same rule
 *    later (trivy#11039). A longer release that is not a dot-extension
 *    (`3.2` vs `3.20`) is not a refinement.
 * 5. An empty release of the kept family is filled from a later detection of
 *    the same family. (Trivy fills it from any family; a release of another
 *    distribution is never right, so Palisade does not.)
 */
import type { OSInfo } from '@palisade/api';
import { OSFamily } from './os-family.js';

const generic = new Set<string>([OSFamily.RedHat, OSFamily.Debian]);

/** True when `fuller` extends `shorter` at a dot boundary: `7.9.2009` refines `7`. */
export function refinesRelease(fuller: string, shorter: string): boolean {
  return shorter !== '' && fuller.length > shorter.length + 1 && fuller.startsWith(`${shorter}.`);
}

/** Folds one more detection into the current one (see the module comment for the rules). */
export function mergeOS(previous: OSInfo | undefined, next: OSInfo): OSInfo {
  if (next.family === '') return previous ?? next;
  if (!previous || previous.family === '') return { family: next.family, name: next.name };

  if (generic.has(previous.family)) {
    if (next.family === previous.family && refinesRelease(previous.name, next.name)) return previous;
    return { family: next.family, name: next.name };
  }

  if (next.family !== previous.family) return previous;
  if (previous.name === '' || refinesRelease(next.name, previous.name)) {
    return { family: previous.family, name: next.name };
  }
  return previous;
}

/**
 * The OS of an artifact from every detection, in layer order (base first)
 * and, within a layer, in analyzer-list order. Undefined when nothing named
 * a family.
 */
export function pickOS(candidates: readonly { analyzer: string; os: OSInfo }[]): OSInfo | undefined {
  let current: OSInfo | undefined;
  for (const c of candidates) current = mergeOS(current, c.os);
  return current && current.family !== '' ? current : undefined;
}
