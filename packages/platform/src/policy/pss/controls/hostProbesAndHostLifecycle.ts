/**
 * Host Probes / Lifecycle Hooks (baseline, v1.34+): probes and lifecycle handlers must not target another
 * host. Restricted fields: {liveness,readiness,startup}Probe.{httpGet,tcpSocket}.host and
 * lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host of every container. Allowed: undefined, "".
 * Upstream check `hostProbesAndHostLifecycle` (check_hostProbesAndhostLifecycle.go).
 */
import {
  containerPath,
  containersPhrase,
  joinQuote,
  objAt,
  pluralize,
  sortedSet,
  strAt,
} from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type ContainerView,
  type FieldError,
  type Obj,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

/**
 * Appends the non-empty httpGet/tcpSocket hosts of a probe or lifecycle handler (`where` is the handler's
 * path under the container, for field errors).
 */
function addHosts(
  c: ContainerView,
  where: string,
  handler: Obj | undefined,
  hosts: string[] | undefined,
  errors: FieldError[] | undefined,
): string[] | undefined {
  if (!handler) return hosts;
  const httpHost = strAt(objAt(handler, 'httpGet'), 'host');
  if (httpHost) {
    (hosts ??= []).push(httpHost);
    errors?.push(forbidden(`${containerPath(c)}.${where}.httpGet.host`, httpHost));
  }
  const tcpHost = strAt(objAt(handler, 'tcpSocket'), 'host');
  if (tcpHost) {
    (hosts ??= []).push(tcpHost);
    errors?.push(forbidden(`${containerPath(c)}.${where}.tcpSocket.host`, tcpHost));
  }
  return hosts;
}

function hostProbesAndHostLifecycle_1_34(pod: PodView, errors?: FieldError[]) {
  let badContainers: string[] | undefined;
  let hosts: string[] | undefined;
  for (const c of pod.containers) {
    const before = hosts?.length ?? 0;
    const lifecycle = objAt(c.raw, 'lifecycle');
    hosts = addHosts(c, 'livenessProbe', objAt(c.raw, 'livenessProbe'), hosts, errors);
    hosts = addHosts(c, 'readinessProbe', objAt(c.raw, 'readinessProbe'), hosts, errors);
    hosts = addHosts(c, 'startupProbe', objAt(c.raw, 'startupProbe'), hosts, errors);
    hosts = addHosts(c, 'lifecycle.postStart', objAt(lifecycle, 'postStart'), hosts, errors);
    hosts = addHosts(c, 'lifecycle.preStop', objAt(lifecycle, 'preStop'), hosts, errors);
    if ((hosts?.length ?? 0) > before) (badContainers ??= []).push(c.name);
  }
  if (!badContainers) return ALLOWED;
  const names = sortedSet(badContainers);
  const forbidden = sortedSet(hosts ?? []);
  return deny(
    'probe or lifecycle host',
    `${containersPhrase(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', forbidden.length)} ${joinQuote(forbidden)}`,
  );
}

export const control: PodSecurityControl = {
  id: 'hostProbesAndHostLifecycle',
  title: 'Host Probes / Lifecycle Hooks',
  level: 'baseline',
  revisions: [{ minVersion: 34, check: hostProbesAndHostLifecycle_1_34 }],
};
