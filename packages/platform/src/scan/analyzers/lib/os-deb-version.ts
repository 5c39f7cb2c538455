/**
 * Splits a Debian version `[epoch:]upstream[-revision]` into its parts and
 * checks it the way Trivy does (github.com/knqyf263/go-deb-version, which
 * Trivy's dpkg analyzer uses to accept or drop a package):
 * - the epoch is everything before the first colon, a non-negative integer;
 * - the revision is everything after the last hyphen;
 * - the upstream part is non-empty, starts with a digit and holds only
 *   letters, digits and `. + ~ - : _`;
 * - the revision holds only letters, digits and `+ . ~ _`.
 * (Ordering lives in scan/version; this is only the analyzer's parse.)
 */

export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const upstreamChars = /^[\p{Nd}\p{L}.+~\-:_]*$/u;
const revisionChars = /^[\p{Nd}\p{L}+.~_]*$/u;

export function parseDebVersion(raw: string): DebVersion | undefined {
  let rest = raw.trim();
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const e = rest.slice(0, colon);
    if (!/^[+-]?\d+$/.test(e)) return undefined;
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch) || epoch < 0) return undefined;
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (!/^[0-9]/.test(upstream) || !upstreamChars.test(upstream)) return undefined;
  if (!revisionChars.test(revision)) return undefined;
  // `-0` and `+0` are the same epoch; normalise the sign away.
  return { epoch: epoch === 0 ? 0 : epoch, upstream, revision };
}
