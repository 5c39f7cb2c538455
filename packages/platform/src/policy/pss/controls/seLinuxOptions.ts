/**
 * SELinux (baseline, v1.0+): setting a custom SELinux user or role is forbidden and the type is limited.
 * Restricted fields: spec.securityContext.seLinuxOptions and securityContext.seLinuxOptions of every
 * container — type (allowed: undefined, "", container_t, container_init_t, container_kvm_t, and from
 * v1.31 container_engine_t), user and role (allowed: undefined, "").
 * Upstream check `seLinuxOptions` (check_seLinuxOptions.go).
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
  type FieldError,
  type Obj,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

const types_1_0: ReadonlySet<string> = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const types_1_31: ReadonlySet<string> = new Set([...types_1_0, 'container_engine_t']);

interface Findings {
  types: string[] | undefined;
  user: boolean;
  role: boolean;
}

/**
 * Records what is wrong with one seLinuxOptions; true when it is valid. `base` is the path of the
 * securityContext holding it, for field errors.
 */
function valid(
  opts: Obj,
  allowed: ReadonlySet<string>,
  f: Findings,
  base: string,
  errors: FieldError[] | undefined,
): boolean {
  let ok = true;
  const t = strAt(opts, 'type') ?? '';
  if (!allowed.has(t)) {
    ok = false;
    (f.types ??= []).push(t);
    errors?.push(forbidden(`${base}.seLinuxOptions.type`, t));
  }
  const user = strAt(opts, 'user') ?? '';
  if (user !== '') {
    ok = false;
    f.user = true;
    errors?.push(forbidden(`${base}.seLinuxOptions.user`, user));
  }
  const role = strAt(opts, 'role') ?? '';
  if (role !== '') {
    ok = false;
    f.role = true;
    errors?.push(forbidden(`${base}.seLinuxOptions.role`, role));
  }
  return ok;
}

const none = (): Findings => ({ types: undefined, user: false, role: false });

function seLinuxOptions(allowed: ReadonlySet<string>) {
  return (pod: PodView, errors?: FieldError[]) => {
    let f: Findings | undefined;
    let setters: string[] | undefined;
    const podOpts = objAt(pod.podSecurityContext, 'seLinuxOptions');
    if (podOpts && !valid(podOpts, allowed, (f ??= none()), 'spec.securityContext', errors)) {
      (setters ??= []).push('pod');
    }
    let badContainers: string[] | undefined;
    for (const c of pod.containers) {
      const opts = objAt(c.securityContext, 'seLinuxOptions');
      if (!opts) continue;
      const base = errors ? `${containerPath(c)}.securityContext` : '';
      if (!valid(opts, allowed, (f ??= none()), base, errors)) {
        (badContainers ??= []).push(c.name);
      }
    }
    if (badContainers) (setters ??= []).push(containersPhrase(badContainers));
    if (!setters || !f) return ALLOWED;
    const data: string[] = [];
    if (f.types) {
      const types = sortedSet(f.types);
      data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    }
    if (f.user) data.push('user may not be set');
    if (f.role) data.push('role may not be set');
    return deny(
      'seLinuxOptions',
      `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`,
    );
  };
}

export const control: PodSecurityControl = {
  id: 'seLinuxOptions',
  title: 'SELinux',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: seLinuxOptions(types_1_0) },
    { minVersion: 31, check: seLinuxOptions(types_1_31) },
  ],
};
