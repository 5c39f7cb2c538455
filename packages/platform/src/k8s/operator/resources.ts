/** REST descriptors of the workload kinds the operator watches, and of the Lease it holds. */
import type {
  CoreV1Event,
  V1CronJob,
  V1DaemonSet,
  V1Job,
  V1Lease,
  V1ReplicaSet,
  V1ReplicationController,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { defineResource } from '../client/resources.js';
import type { Wire } from '../client/resources.js';

export const ReplicaSets = defineResource<Wire<V1ReplicaSet>>({
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
});
export const ReplicationControllers = defineResource<Wire<V1ReplicationController>>({
  group: '',
  version: 'v1',
  plural: 'replicationcontrollers',
  kind: 'ReplicationController',
  namespaced: true,
});
export const StatefulSets = defineResource<Wire<V1StatefulSet>>({
  group: 'apps',
  version: 'v1',
  plural: 'statefulsets',
  kind: 'StatefulSet',
  namespaced: true,
});
export const DaemonSets = defineResource<Wire<V1DaemonSet>>({
  group: 'apps',
  version: 'v1',
  plural: 'daemonsets',
  kind: 'DaemonSet',
  namespaced: true,
});
export const Jobs = defineResource<Wire<V1Job>>({
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  kind: 'Job',
  namespaced: true,
});
export const CronJobs = defineResource<Wire<V1CronJob>>({
  group: 'batch',
  version: 'v1',
  plural: 'cronjobs',
  kind: 'CronJob',
  namespaced: true,
});
export const Leases = defineResource<Wire<V1Lease>>({
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
});
/** core/v1 Events: scan Job failures are recorded as Warning Events. */
export const Events = defineResource<Wire<CoreV1Event>>({
  group: '',
  version: 'v1',
  plural: 'events',
  kind: 'Event',
  namespaced: true,
});
