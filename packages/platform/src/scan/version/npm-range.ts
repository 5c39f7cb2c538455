/**
 * npm range expressions (`^1.2.3`, `~1.2`, `1.x || >=2.0.0 <3`, `1.2 - 2.3`…),
 * evaluated by node-semver, the library npm itself uses, with its default
 * options (a pre-release satisfies a range only through a comparator on the
 * same major.minor.patch that has a pre-release). Advisory matching never needs
 * these (OSV records carry events, see range.ts); lockfile analyzers that
 * resolve a dependency's declared range do.
 */
import type * as Semver from 'semver';
import { lazy } from '../../core/lazy.js';

const semverLib = lazy<typeof Semver>('semver');

/** node-semver refuses longer strings; so do we, without throwing. */
const MAX_LENGTH = 256;
const MAX_RANGE_LENGTH = 4096;

/**
 * Does the version satisfy the range? As npm's `semver.satisfies`: false when the
 * version or the range is malformed (see isNpmRange to tell the two apart).
 */
export function satisfiesNpm(version: string, range: string): boolean {
  if (version.length > MAX_LENGTH || range.length > MAX_RANGE_LENGTH) return false;
  try {
    return new (semverLib().Range)(range).test(new (semverLib().SemVer)(version));
  } catch {
    return false;
  }
}

/** Is the text an npm range expression node-semver accepts? */
export function isNpmRange(range: string): boolean {
  if (range.length > MAX_RANGE_LENGTH) return false;
  try {
    new (semverLib().Range)(range);
    return true;
  } catch {
    return false;
  }
}
