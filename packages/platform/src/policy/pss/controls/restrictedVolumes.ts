/**
 * Volume Types (restricted, v1.0+): only volume types that are safe or backed by a PersistentVolume are
 * allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected,
 * secret. Restricted field: spec.volumes[*] (any other source, hostPath included).
 * Upstream check `restrictedVolumes` (check_restrictedVolumes.go); it replaces hostPathVolumes at the
 * restricted level. The image volume type (allowed since Kubernetes 1.33) was added to upstream's single
 * v1.0 revision, so it is allowed at every policy version.
 *
 * A volume with no source at all is the emptyDir the API server defaults it to (Pod Security admission
 * sees the defaulted pod), so it is allowed.
 */
import { isObj, joinQuote, pluralize, sortedSet, strAt } from '../helpers.js';
import { VOLUME_SOURCES } from '../pod.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type Obj,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

const ALLOWED_SOURCES: ReadonlySet<string> = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** The restricted sources in upstream's order of precedence (the first one set names the type). */
const RESTRICTED_SOURCES: readonly string[] = VOLUME_SOURCES.filter((s) => !ALLOWED_SOURCES.has(s));
const ALLOWED_LIST: readonly string[] = [...ALLOWED_SOURCES];

function isSet(v: Obj, key: string): boolean {
  const x = v[key];
  return x !== undefined && x !== null;
}

/** The restricted type of a volume, or undefined when it is allowed. */
function restrictedType(v: Obj): string | undefined {
  for (const s of ALLOWED_LIST) if (isSet(v, s)) return undefined;
  for (const s of RESTRICTED_SOURCES) if (isSet(v, s)) return s;
  return undefined; // no known source: defaulted to emptyDir
}

function restrictedVolumes_1_0(pod: PodView, errors?: FieldError[]) {
  let badVolumes: string[] | undefined;
  let badTypes: string[] | undefined;
  const volumes = pod.volumes;
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    if (!isObj(v)) continue;
    const t = restrictedType(v);
    if (t === undefined) continue;
    (badVolumes ??= []).push(strAt(v, 'name') ?? '');
    (badTypes ??= []).push(t);
    errors?.push(forbidden(`spec.volumes[${i}].${t}`));
  }
  if (!badVolumes) return ALLOWED;
  const types = sortedSet(badTypes ?? []);
  return deny(
    'restricted volume types',
    `${pluralize('volume', 'volumes', badVolumes.length)} ${joinQuote(badVolumes)} ${pluralize('uses', 'use', badVolumes.length)} ${pluralize('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
  );
}

export const control: PodSecurityControl = {
  id: 'restrictedVolumes',
  title: 'Volume Types',
  level: 'restricted',
  revisions: [{ minVersion: 0, check: restrictedVolumes_1_0, overrides: ['hostPathVolumes'] }],
};
