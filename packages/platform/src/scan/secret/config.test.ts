import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinRules } from './builtin-rules.js';
import { parseSecretConfig, scannerFromConfig, scannerSpec, throwIfConfigErrors } from './config.js';
import { scanFile } from './scanner.js';

const SHARED = join(import.meta.dirname, '../../../../../../shared/data/scan/trivy-integration');
const FIXTURE = join(SHARED, 'integration/testdata/fixtures/repo/secrets/trivy-secret.yaml');

describe('trivy-secret.yaml', () => {
  it('reads Trivy’s integration fixture: a custom rule and a disabled built-in rule', () => {
    const load = parseSecretConfig(readFileSync(FIXTURE, 'utf8'), 'trivy-secret.yaml');
    expect(load.diagnostics).toEqual([]);
    expect(load.config?.rules).toEqual([
      {
        id: 'mysecret',
        category: 'Custom',
        title: 'My Secret',
        severity: 'HIGH',
        regex: 'mysecret',
        keywords: [],
      },
    ]);
    expect(load.config?.disableRules).toEqual(['github-pat']);
    const ids = scannerSpec(load.config).rules.map((r) => r.id);
    expect(ids).toContain('mysecret');
    expect(ids).not.toContain('github-pat');
    expect(ids).toHaveLength(builtinRules.length);
  });

  it('enable-builtin-rules keeps only the listed built-ins; custom rules stay on; disable-rules applies to both', () => {
    const text = [
      'enable-builtin-rules: [aws-access-key-id, github-pat]',
      'disable-rules: [github-pat, two]',
      'rules:',
      '  - {id: one, category: C, title: One, severity: low, regex: "one[0-9]+"}',
      '  - {id: two, category: C, title: Two, severity: LOW, regex: "two[0-9]+"}',
      'disable-allow-rules: [markdown]',
      'allow-rules:',
      '  - {id: docs, path: "^docs/"}',
    ].join('\n');
    const { config, diagnostics } = parseSecretConfig(text, 'c.yaml');
    expect(diagnostics).toEqual([]);
    const spec = scannerSpec(config);
    expect(spec.rules.map((r) => r.id)).toEqual(['aws-access-key-id', 'one']);
    expect(spec.rules[1]?.severity).toBe('LOW');
    expect(spec.allowRules.map((a) => a.id)).not.toContain('markdown');
    expect(spec.allowRules.map((a) => a.id)).toContain('docs');
    const scanner = scannerFromConfig(config);
    expect(scanFile(scanner, 'README.md', Buffer.from('one123\n')).findings).toHaveLength(1);
    expect(scanFile(scanner, 'docs/a.txt', Buffer.from('one123\n')).skipped).toBe('allowed-path');
  });

  it.each([
    ['rules:\n  - id: x\n    regex: "a(b"\n', 3, 'rule x: regex: invalid regular expression'],
    ['rules:\n  - category: C\n    regex: a\n', 2, 'rule: id is required'],
    ['rules:\n  - id: x\n    title: T\n', 2, 'rule x: regex is required'],
    ['rules: {id: x}\n', 1, 'rules must be a list'],
    ['disable-rules: github-pat\n', 1, 'disable-rules must be a list of strings'],
    ['allow-rules:\n  - id: a\n    path: "[z-a]"\n', 3, 'allow-rules a: path: invalid regular expression'],
    [
      'exclude-block:\n  regexes:\n    - "(?<x)"\n',
      3,
      'exclude-block: regexes[0]: invalid regular expression',
    ],
    ['rules: [\n', 2, ''],
    ['a: &x [1]\nrules: *x\n', 2, 'YAML aliases are not supported'],
  ])('reports %j as an error at line %i', (text, line, message) => {
    const load = parseSecretConfig(text, 'trivy-secret.yaml');
    expect(load.config).toBeUndefined();
    const err = load.diagnostics.find((d) => d.severity === 'error');
    expect(err?.location?.file).toBe('trivy-secret.yaml');
    expect(err?.location?.line).toBe(line);
    expect(err?.message).toContain(message);
    expect(() => throwIfConfigErrors(load)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });

  it('warns about a wrong severity (becomes UNKNOWN, as Trivy), unknown keys and a missing secret group', () => {
    const text = [
      'rules:',
      '  - id: x',
      '    severity: urgent',
      '    regex: "k=(?P<s>[a-z]+)"',
      '    secret-group-name: secret',
      '    colour: red',
    ].join('\n');
    const load = parseSecretConfig(text, 'c.yaml');
    expect(load.config?.rules[0]?.severity).toBe('UNKNOWN');
    expect(load.diagnostics.map((d) => [d.severity, d.location?.line])).toEqual([
      ['warning', 6],
      ['warning', 3],
      ['warning', 5],
    ]);
  });

  it('treats an empty file as no settings', () => {
    const load = parseSecretConfig('', 'c.yaml');
    expect(load.diagnostics).toEqual([]);
    expect(scannerSpec(load.config).rules).toHaveLength(builtinRules.length);
  });
});
