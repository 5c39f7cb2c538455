/**
 * Host Probes / Lifecycle Hooks (baseline, v1.34+): probes and lifecycle handlers must not target another
 * host. Restricted fields: {liveness,readiness,startup}Probe.{httpGet,tcpSocket}.host and
 * lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host of every container. Allowed: undefined, "".
 * Upstream check `hostProbesAndHostLifecycle` (check_hostProbesAndhostLifecycle.go).
 */
import { containersPhrase, joinQuote, objAt, pluralize, sortedSet, strAt } from '../helpers.js';
import { ALLOWED, deny, type Obj, type PodSecurityControl, type PodView } from '../types.js';

/** Appends the non-empty httpGet/tcpSocket hosts of a probe or lifecycle handler. */
function addHosts(handler: Obj | undefined, hosts: string[] | undefined): string[] | undefined {
  if (!handler) return hosts;
  const httpHost = strAt(objAt(handler, 'httpGet'), 'host');
  if (httpHost) (hosts ??= []).push(httpHost);
  const tcpHost = strAt(objAt(handler, 'tcpSocket'), 'host');
  if (tcpHost) (hosts ??= []).push(tcpHost);
  return hosts;
}

function hostProbesAndHostLifecycle_1_34(pod: PodView) {
  let badContainers: string[] | undefined;
  let hosts: string[] | undefined;
  for (const c of pod.containers) {
    const before = hosts?.length ?? 0;
    const lifecycle = objAt(c.raw, 'lifecycle');
    hosts = addHosts(objAt(c.raw, 'livenessProbe'), hosts);
    hosts = addHosts(objAt(c.raw, 'readinessProbe'), hosts);
    hosts = addHosts(objAt(c.raw, 'startupProbe'), hosts);
    hosts = addHosts(objAt(lifecycle, 'postStart'), hosts);
    hosts = addHosts(objAt(lifecycle, 'preStop'), hosts);
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
