import { describe, expect, it } from 'vitest';
import { builtinRules } from './builtin-rules.js';
import { scanSecrets } from './scanner.js';
import { ruleExamples } from './testdata/examples.js';

describe('built-in rules', () => {
  it('every built-in rule has an example, and every example names a built-in rule', () => {
    const ids = builtinRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ruleExamples.map((e) => e.id)].sort()).toEqual([...ids].sort());
  });

  it('covers the providers the issue lists', () => {
    const ids = new Set(builtinRules.map((r) => r.id));
    for (const id of [
      'aws-access-key-id',
      'aws-secret-access-key',
      'github-pat',
      'github-oauth',
      'github-app-token',
      'github-refresh-token',
      'github-fine-grained-pat',
      'gitlab-pat',
      'slack-access-token',
      'slack-web-hook',
      'gcp-api-key',
      'gcp-service-account',
      'private-key',
      'stripe-secret-token',
      'twilio-api-key',
      'sendgrid-api-token',
      'npm-access-token',
      'pypi-upload-token',
      'dockerconfig-secret',
      'dockerconfig-auth',
      'jwt-token',
      'azure-storage-account-key',
      'hugging-face-access-token',
      'shopify-token',
      'dockerhub-pat',
      'databricks-api-token',
      'url-password',
    ]) {
      expect(ids.has(id), id).toBe(true);
    }
  });

  describe.each(ruleExamples)('$id', (ex) => {
    it('reports the positive example with the secret redacted', () => {
      const findings = scanSecrets('app/config.txt', Buffer.from(ex.positive));
      const mine = findings.filter((f) => f.ruleId === ex.id);
      expect(mine.length, JSON.stringify(findings)).toBe(1);
      const f = mine[0]!;
      const rule = builtinRules.find((r) => r.id === ex.id)!;
      expect(f).toMatchObject({ category: rule.category, title: rule.title, severity: rule.severity });
      // The secret is nowhere in the output, and in its place the right number of stars.
      const out = JSON.stringify(findings);
      for (const piece of ex.secret.split('\n').filter((p) => p.length >= 4))
        expect(out).not.toContain(piece);
      const firstLine = ex.secret.split('\n').find((p) => p.length > 0)!;
      expect(
        f.code?.lines.some(
          (l) => l.isCause && l.content.includes('*'.repeat(Math.min(firstLine.length, 10))),
        ),
      ).toBe(true);
      const line = ex.positive.slice(0, ex.positive.indexOf(ex.secret)).split('\n').length;
      expect(f.startLine).toBe(line);
    });

    it('does not report the negative example', () => {
      const findings = scanSecrets('app/config.txt', Buffer.from(ex.negative));
      expect(findings.filter((f) => f.ruleId === ex.id)).toEqual([]);
    });
  });
});
