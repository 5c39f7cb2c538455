/**
 * OS from /etc/debian_version (Trivy: fanal analyzer/os/debian): the first
 * line is the point release (`12.5`) or, on testing and unstable, a codename
 * (`trixie/sid`). Ubuntu ships this file too (`bookworm/sid`); the merge
 * (lib/os-merge.ts) lets Ubuntu's lsb-release replace this generic answer.
 */
import { OSFamily } from '../lib/os-family.js';
import { releaseLineAnalyzer } from '../lib/os-release-line.js';

export const analyzer = releaseLineAnalyzer({
  name: 'os/debian-version',
  path: 'etc/debian_version',
  family: OSFamily.Debian,
});
