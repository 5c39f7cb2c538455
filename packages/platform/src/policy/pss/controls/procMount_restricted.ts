/**
 * /proc Mount Type (restricted, v1.35+): the default /proc masks must be kept, even in a user namespace.
 * Restricted field: securityContext.procMount of every container. Allowed: undefined, "Default".
 * Upstream check `procMount_restricted` (check_procMount_restricted.go). It exists because policy v1.35
 * relaxed the baseline procMount control for pods with spec.hostUsers: false; it replaces that control at
 * the restricted level with the strict rule.
 */
import type { PodSecurityControl } from '../types.js';
import { procMount_1_0 } from './procMount.js';

export const control: PodSecurityControl = {
  id: 'procMount_restricted',
  title: '/proc Mount Type',
  level: 'restricted',
  revisions: [{ minVersion: 35, check: procMount_1_0, overrides: ['procMount'] }],
};
