/**
 * Resource descriptors: what the REST client needs to build a path for a kind (group, version,
 * plural, namespaced) plus the object's TypeScript type, taken from `@kubernetes/client-node`.
 * Custom resources get a descriptor with `defineResource` and their own type.
 */
import type {
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1Deployment,
  V1Namespace,
  V1Pod,
  V1Secret,
  V1ServiceAccount,
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';

/**
 * An object as it travels on the wire: `@kubernetes/client-node`'s model classes type timestamps
 * as `Date`, but the JSON the apiserver sends (and this client returns, without a deserializer on
 * the hot path) holds RFC 3339 strings.
 */
export type Wire<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** The fields every Kubernetes object has that the client and informer rely on. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    labels?: { [key: string]: string };
    annotations?: { [key: string]: string };
    deletionTimestamp?: string;
  };
}

export interface ResourceType<T extends KubeObject = KubeObject> {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Lower-case plural, as in the URL: `configmaps`. */
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Phantom field carrying the object type; never set. */
  readonly __type?: T;
}

export function defineResource<T extends KubeObject>(r: Omit<ResourceType<T>, '__type'>): ResourceType<T> {
  return r;
}

/** `v1` or `group/version`. */
export function apiVersionOf(r: ResourceType<KubeObject>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** Stable key of a descriptor: `group/version/plural`. */
export function resourceKey(r: ResourceType<KubeObject>): string {
  return `${r.group}/${r.version}/${r.plural}`;
}

export const ConfigMaps = defineResource<Wire<V1ConfigMap>>({
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
});
export const Secrets = defineResource<Wire<V1Secret>>({
  group: '',
  version: 'v1',
  plural: 'secrets',
  kind: 'Secret',
  namespaced: true,
});
export const Pods = defineResource<Wire<V1Pod>>({
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  namespaced: true,
});
export const Namespaces = defineResource<Wire<V1Namespace>>({
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
});
export const ServiceAccounts = defineResource<Wire<V1ServiceAccount>>({
  group: '',
  version: 'v1',
  plural: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
});
export const Deployments = defineResource<Wire<V1Deployment>>({
  group: 'apps',
  version: 'v1',
  plural: 'deployments',
  kind: 'Deployment',
  namespaced: true,
});
export const CustomResourceDefinitions = defineResource<Wire<V1CustomResourceDefinition>>({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
});
export const ValidatingWebhookConfigurations = defineResource<Wire<V1ValidatingWebhookConfiguration>>({
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'validatingwebhookconfigurations',
  kind: 'ValidatingWebhookConfiguration',
  namespaced: false,
});
export const MutatingWebhookConfigurations = defineResource<Wire<V1MutatingWebhookConfiguration>>({
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'mutatingwebhookconfigurations',
  kind: 'MutatingWebhookConfiguration',
  namespaced: false,
});
