/**
 * Known divergences of the audit conformance suites: upstream cases where our
 * result differs from the expected one, each with the reason. A listed case that
 * stops diverging fails the suite, so the table cannot go stale.
 */
export interface Divergence {
  suite: 'trivy-examples' | 'trivy-legacy' | 'polaris';
  /** Case name as the suite prints it. */
  case: string;
  reason: string;
}

export const AUDIT_DIVERGENCES: readonly Divergence[] = [
  {
    suite: 'trivy-legacy',
    case: 'testdata-legacy/KSV036/denied.yaml',
    reason:
      'The upstream fixture is an empty file: it holds no object, so no check can fail on it (Trivy dropped these fixtures in Dec 2024).',
  },
];
