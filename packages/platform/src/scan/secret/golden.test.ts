/**
 * Trivy's integration golden for `trivy repo --scanners vuln,secret --secret-config
 * trivy-secret.yaml testdata/fixtures/repo/secrets` (golden-index.json, case "secrets"),
 * read in place from ../shared. The shared copy leaves out `*.sh` files, so the fixture's
 * deploy.sh is recreated here (7 lines, tokens assembled at run time); its
 * trivy-secret.yaml is used as shipped.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScanResult } from '@palisade/api';
import { afterAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../../core/logger.js';
import { collectSecrets } from './collect.js';
import { loadSecretConfig, scannerFromConfig, throwIfConfigErrors } from './config.js';

const SHARED = join(import.meta.dirname, '../../../../../../shared/data/scan/trivy-integration');

interface GoldenIndexEntry {
  case: string;
  test_file: string;
  input: string | null;
  golden: string;
}
interface GoldenSecret {
  RuleID: string;
  Category: string;
  Severity: string;
  Title: string;
  StartLine: number;
  EndLine: number;
  Match: string;
  Code: { Lines: { Number: number; Content: string; IsCause: boolean }[] };
}
interface GoldenResult {
  Target: string;
  Class: string;
  Secrets?: GoldenSecret[];
}

const DEPLOY_SH = [
  '#!/bin/sh',
  '',
  'export AWS_ACCESS_KEY_ID=' + 'AKIA' + 'ABCDEFGHI1234567',
  '',
  'export GITHUB_PAT=' + 'ghp_' + '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  '',
  'echo mysecret',
].join('\n');

describe('Trivy golden: repo secrets', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('gives the same targets, rule IDs, lines, redacted matches and code lines', async () => {
    if (!existsSync(join(SHARED, 'golden-index.json'))) throw new Error(`shared data missing: ${SHARED}`);
    const index = JSON.parse(readFileSync(join(SHARED, 'golden-index.json'), 'utf8')) as GoldenIndexEntry[];
    const entry = index.find((e) => e.test_file === 'integration/repo_test.go' && e.case === 'secrets');
    expect(entry?.input).toBe('testdata/fixtures/repo/secrets');
    const golden = JSON.parse(readFileSync(join(SHARED, 'integration', entry!.golden), 'utf8')) as {
      Results: GoldenResult[];
    };

    const root = mkdtempSync(join(tmpdir(), 'palisade-secret-golden-'));
    dirs.push(root);
    writeFileSync(join(root, 'deploy.sh'), DEPLOY_SH);
    const configPath = join(SHARED, 'integration', entry!.input!, 'trivy-secret.yaml');
    copyFileSync(configPath, join(root, 'trivy-secret.yaml'));
    const load = await loadSecretConfig(configPath);
    throwIfConfigErrors(load);
    const { results } = await collectSecrets(
      { kind: 'fs', root, name: entry!.input! },
      { logger: nullLogger, scanner: scannerFromConfig(load.config), configFile: 'trivy-secret.yaml' },
    );

    const want = golden.Results.filter((r) => r.Class === 'secret').flatMap((r) =>
      (r.Secrets ?? []).map((s) => ({
        target: r.Target,
        ruleId: s.RuleID,
        category: s.Category,
        severity: s.Severity,
        title: s.Title,
        startLine: s.StartLine,
        endLine: s.EndLine,
        match: s.Match,
        code: s.Code.Lines.map((l) => ({ number: l.Number, content: l.Content, isCause: l.IsCause })),
      })),
    );
    const got = results.flatMap((r: ScanResult) =>
      (r.secrets ?? []).map((s) => ({
        target: r.target,
        ruleId: s.ruleId,
        category: s.category,
        severity: s.severity,
        title: s.title,
        startLine: s.startLine,
        endLine: s.endLine,
        match: s.match,
        code: s.code?.lines ?? [],
      })),
    );
    const key = (f: { target: string; ruleId: string; startLine: number }): string =>
      `${f.target}#${f.ruleId}@${f.startLine}`;
    const gotBy = new Map(got.map((f) => [key(f), f]));
    const mismatches: string[] = [];
    let pass = 0;
    for (const w of want) {
      const g = gotBy.get(key(w));
      if (g && JSON.stringify(g) === JSON.stringify(w)) pass++;
      else mismatches.push(`${key(w)}: want ${JSON.stringify(w)} got ${JSON.stringify(g)}`);
    }
    const extra = got.filter((g) => !want.some((w) => key(w) === key(g)));
    for (const e of extra) mismatches.push(`${key(e)}: not in the golden`);
    console.log(`Trivy secrets golden: ${pass}/${want.length} findings agree; ${extra.length} extra`);
    for (const m of mismatches) console.log(`  mismatch ${m}`);
    expect(mismatches).toEqual([]);
    expect(want.length).toBeGreaterThan(0);
  });
});
