/**
 * KSV119 (KSV-0119) NET_RAW capability added
 *
 * Fails when capabilities.add contains NET_RAW.
 * Semantics follow Trivy's checks/kubernetes/net_raw_capability.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, capsOf, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV119',
  avdId: 'AVD-KSV-0119',
  aliases: ['KSV-0119'],
  title: 'NET_RAW capability added',
  severity: 'HIGH',
  description:
    'The NET_RAW capability grants attackers the ability to eavesdrop on network traffic or generate IP traffic with falsified source addresses, posing serious security risks.',
  remediation:
    "To mitigate potential security risks, it is strongly recommended to remove the NET_RAW capability from 'containers[].securityContext.capabilities.add'. It is advisable to follow the practice of dropping all capabilities and only adding the necessary ones.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => capsOf(c, 'add').includes('NET_RAW'),
      (c) => `${containerSubject(c, obj)} should not include 'NET_RAW' in 'securityContext.capabilities.add'`,
    );
  },
});
