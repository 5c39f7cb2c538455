/**
 * Pod Security Standards: the explicit list of controls (one file per control under controls/, named by
 * its upstream check ID; index.test.ts checks that every file is listed once under its own name) and the
 * evaluator's public API.
 */
import type { PodSecurityControl } from './types.js';

// --- controls: one import line and one array entry per control ---
import { control as allowPrivilegeEscalation } from './controls/allowPrivilegeEscalation.js';
import { control as appArmorProfile } from './controls/appArmorProfile.js';
import { control as capabilities_baseline } from './controls/capabilities_baseline.js';
import { control as capabilities_restricted } from './controls/capabilities_restricted.js';
import { control as hostNamespaces } from './controls/hostNamespaces.js';
import { control as hostPathVolumes } from './controls/hostPathVolumes.js';
import { control as hostPorts } from './controls/hostPorts.js';
import { control as hostProbesAndHostLifecycle } from './controls/hostProbesAndHostLifecycle.js';
import { control as privileged } from './controls/privileged.js';
import { control as procMount } from './controls/procMount.js';
import { control as procMount_restricted } from './controls/procMount_restricted.js';
import { control as restrictedVolumes } from './controls/restrictedVolumes.js';
import { control as runAsNonRoot } from './controls/runAsNonRoot.js';
import { control as runAsUser } from './controls/runAsUser.js';
import { control as seLinuxOptions } from './controls/seLinuxOptions.js';
import { control as seccompProfile_baseline } from './controls/seccompProfile_baseline.js';
import { control as seccompProfile_restricted } from './controls/seccompProfile_restricted.js';
import { control as sysctls } from './controls/sysctls.js';
import { control as windowsHostProcess } from './controls/windowsHostProcess.js';

/** Every Pod Security control (order does not matter: the evaluator orders them as upstream does). */
export const podSecurityControls: readonly PodSecurityControl[] = [
  // baseline
  appArmorProfile,
  capabilities_baseline,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbesAndHostLifecycle,
  privileged,
  procMount,
  seLinuxOptions,
  seccompProfile_baseline,
  sysctls,
  windowsHostProcess,
  // restricted
  allowPrivilegeEscalation,
  capabilities_restricted,
  procMount_restricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfile_restricted,
];
// --- end of controls ---

export type {
  CheckFn,
  CheckOutcome,
  ContainerGroup,
  ContainerView,
  ControlRevision,
  FieldError,
  Obj,
  PodSecurityControl,
  PodSecurityLevel,
  PodView,
} from './types.js';
export type { ExtractedPod, PodHolderKind, PodShapeProblem } from './pod.js';
export { extractPod, podView, readPodShape } from './pod.js';
export type {
  CompiledPodSecurity,
  EvaluateOptions,
  PodSecurityControlResult,
  PodSecurityOptions,
  PodSecurityResult,
  PodSecurityPolicy,
} from './evaluate.js';
export {
  compilePodSecurity,
  evaluatePodSecurity,
  formatPodSecurityMessage,
  latestPodSecurityVersion,
  parsePodSecurityPolicy,
  PodSecurityRegistry,
  revisionAt,
} from './evaluate.js';
export type { PodSecurityExclusion, RemainingCheck, WildcardMatch } from './exclude.js';
export {
  applyPodSecurityExclusions,
  CONTROL_CHECK_IDS,
  denyingChecks,
  exclusionProblems,
  formatKyvernoChecks,
  kyvernoField,
  readExclusion,
} from './exclude.js';
