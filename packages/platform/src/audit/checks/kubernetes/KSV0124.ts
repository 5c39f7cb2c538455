/**
 * KSV0124 (KSV-0124) Gatekeeper repo reference is ambiguously open-ended
 *
 * Gatekeeper's K8sAllowedRepos matches images by string prefix, so a repo entry must end at a
 * boundary. Fails for each entry of spec.parameters.repos that has neither '/' nor ':' (a bare host
 * such as `gcr.io` also admits `gcr.io.evil.com/x`) or that is `docker.io` with at most one more
 * path segment (`docker.io/library` also admits `docker.io/library-evil/x`).
 * Semantics follow Trivy's checks/kubernetes/repo_ambiguous_prefix.rego; this is our own
 * implementation. Divergences: Trivy only looks at apiVersion constraints.gatekeeper.sh/v1beta1, we
 * take every version of that group (v1 constraints admit the same images); Trivy reports one result
 * per object, we report one per offending entry, each pointing at it.
 */
import { defineCheck } from '../../types.js';
import type { Failure } from '../../types.js';
import { arr, rec } from '../../util.js';

const GATEKEEPER_CONSTRAINTS = 'constraints.gatekeeper.sh/';

/** True when a K8sAllowedRepos prefix can match repositories its author did not mean. */
export function openEndedRepo(repo: string): boolean {
  if (!repo.includes('/') && !repo.includes(':')) return true;
  const parts = repo.split('/');
  return parts[0] === 'docker.io' && parts.length <= 2;
}

export default defineCheck({
  id: 'KSV0124',
  avdId: 'AVD-KSV-0124',
  aliases: ['KSV-0124', 'repo-ambiguous-prefix', 'kubernetes-repo-ambiguous-prefix'],
  title: 'Gatekeeper repo reference is ambiguously open-ended',
  severity: 'HIGH',
  description:
    'A Gatekeeper policy that references image repositories for prefix-matching is using open-ended and ambiguous pattern, and can potentially match unintended repositories.',
  remediation:
    "End every allowed repository with '/' (or a full repository path), e.g. 'gcr.io/my-project/' rather than 'gcr.io' or 'docker.io/library'.",
  kinds: ['K8sAllowedRepos'],
  category: 'general',
  evaluate(obj, _ctx) {
    if (!obj.apiVersion.startsWith(GATEKEEPER_CONSTRAINTS)) return [];
    const out: Failure[] = [];
    arr(rec(rec(obj.object['spec'])['parameters'])['repos']).forEach((repo, i) => {
      if (typeof repo === 'string' && openEndedRepo(repo))
        out.push({
          message: `K8sAllowedRepos '${obj.name}' allows the open-ended repository prefix '${repo}'`,
          path: ['spec', 'parameters', 'repos', i],
        });
    });
    return out;
  },
});
