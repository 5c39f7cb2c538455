/**
 * OS from /etc/alpine-release (Trivy: fanal analyzer/os/alpine): the first
 * line of the file is the release, e.g. `3.20.3`.
 */
import { OSFamily } from '../lib/os-family.js';
import { releaseLineAnalyzer } from '../lib/os-release-line.js';

export const analyzer = releaseLineAnalyzer({
  name: 'os/alpine-release',
  path: 'etc/alpine-release',
  family: OSFamily.Alpine,
});
