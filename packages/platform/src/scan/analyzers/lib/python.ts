/**
 * Shared helpers for the Python analyzers: package name normalization
 * (PEP 503), PEP 508 requirement names.
 */

/** PEP 503 normalization: runs of `-`, `_`, `.` become `-`; lower case unless told otherwise. */
export function normalizePythonName(name: string, lowerCase = true): string {
  const n = name.replace(/[-_.]+/g, '-');
  return lowerCase ? n.toLowerCase() : n;
}

/** Characters a PEP 508 name may contain (Trivy accepts any letter or digit, `.`, `_` and `-`). */
export function isPythonNameChar(c: string): boolean {
  return /^[\p{L}\p{Nd}._-]$/u.test(c);
}

/** The distribution name at the start of a PEP 508 requirement (`Flask(>=1.0)`, `pluggy[tox] (==1)`). */
export function requirementName(req: string): string {
  const m = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(req);
  return m?.[1] ?? '';
}
