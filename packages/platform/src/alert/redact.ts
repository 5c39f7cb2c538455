/**
 * Secrets never reach a log line: webhook URLs carry tokens in their path
 * (Slack's /services/T…/B…/secret), query strings carry API keys, headers
 * carry credentials.
 */

const SECRET_HEADER =
  /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token|x-scope-orgid)$|token|secret|key|pass/i;

/** `https://hooks.slack.com/***` — scheme, host and port only; user info, path and query hidden. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.pathname !== '/' || u.search !== '' || u.username !== '' || u.password !== '';
    return `${u.protocol}//${u.host}${hidden ? '/***' : '/'}`;
  } catch {
    return '***';
  }
}

/** Header values whose name suggests a credential are replaced with `***`. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_HEADER.test(k) ? '***' : v;
  return out;
}
