import { describe, expect, it } from 'vitest';
import { builtinAllowRules } from './builtin-allow-rules.js';
import { builtinRules } from './builtin-rules.js';
import { compileScanner, scanFile, scanSecrets } from './scanner.js';
import { cycle } from './testdata/examples.js';

const AWS = 'AKIA' + cycle('ABCDEFGHIJ0123456789', 16);
const GHP = 'ghp_' + cycle('aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z', 36);

describe('scanSecrets', () => {
  it('numbers lines from 1 and shows two lines before and one after, as Trivy does', () => {
    const text = `l1\nl2\nl3\nkey=${AWS}\nl5\nl6\nl7\n`;
    const [f] = scanSecrets('a.env', Buffer.from(text));
    expect(f?.startLine).toBe(4);
    expect(f?.endLine).toBe(4);
    expect(f?.match).toBe('key=' + '*'.repeat(20));
    expect(f?.code?.lines).toEqual([
      { number: 2, content: 'l2', isCause: false },
      { number: 3, content: 'l3', isCause: false },
      { number: 4, content: 'key=' + '*'.repeat(20), isCause: true },
      { number: 5, content: 'l5', isCause: false },
    ]);
  });

  it('redacts every secret in every context line, not only the finding’s own', () => {
    const text = `a=${AWS}\nb=${GHP}\n`;
    const findings = scanSecrets('a.env', Buffer.from(text));
    expect(findings.map((f) => f.ruleId)).toEqual(['aws-access-key-id', 'github-pat']);
    const out = JSON.stringify(findings);
    expect(out).not.toContain(AWS);
    expect(out).not.toContain(GHP);
    expect(out).not.toContain(GHP.slice(4));
  });

  it('spans several lines for a private key and keeps the line breaks while redacting', () => {
    const body = cycle('Ab3/Cd5+Ef7Gh9Ij0Kl1Mn2Op4Qr6St8Uv', 64);
    const text = `x\n-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
    const [f] = scanSecrets('id_ed25519', Buffer.from(text));
    expect(f?.ruleId).toBe('private-key');
    expect(f?.startLine).toBe(2);
    expect(f?.endLine).toBe(5);
    expect(f?.code?.lines.filter((l) => l.isCause).map((l) => l.number)).toEqual([2, 3, 4, 5]);
    expect(JSON.stringify(f)).not.toContain(body.slice(0, 16));
  });

  it('cuts long lines around the secret (30 bytes before, 20 after) and other long lines at 100', () => {
    const pad = cycle('lorem ipsum ', 200);
    const text = `${pad}\nvalue ${pad} ${AWS} ${pad}\n`;
    const [f] = scanSecrets('a.txt', Buffer.from(text));
    expect(f?.match).toBe(`${pad.slice(-29)} ${'*'.repeat(20)} ${pad.slice(0, 19)}`);
    expect(f?.code?.lines[0]?.content).toBe(pad.slice(0, 100));
    expect(f?.code?.lines[1]?.content).toBe(f?.match);
  });

  it('skips binary files (a NUL byte near the start)', () => {
    const buf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x00, 0x01]), Buffer.from(`\nk=${AWS}\n`)]);
    const scan = scanFile(compileScanner({ rules: builtinRules, allowRules: [] }), 'bin/app', buf);
    expect(scan).toEqual({ findings: [], skipped: 'binary' });
  });

  it('skips files over the size cap', () => {
    const buf = Buffer.from(`k=${AWS}\n`);
    const scanner = compileScanner({ rules: builtinRules, allowRules: [] });
    expect(scanFile(scanner, 'a', buf, { maxFileSize: buf.length - 1 })).toEqual({
      findings: [],
      skipped: 'too-large',
    });
    expect(scanFile(scanner, 'a', buf, { maxFileSize: buf.length }).findings).toHaveLength(1);
  });

  it.each([
    ['tests', 'src/test/fixtures.env'],
    ['tests', 'pkg/config_test.go'],
    ['examples', 'docs/example.env'],
    ['vendor', 'app/vendor/lib/x.js'],
    ['usr-dirs', '/usr/share/doc/x.txt'],
    ['usr-dirs', 'usr/lib/x.conf'],
    ['markdown', 'README.md'],
    ['golang', '/usr/local/go/src/crypto/x.go'],
    ['python', '/usr/local/lib/python3.12/site-packages/x.py'],
  ])('allow rule %s skips %s', (id, path) => {
    const scan = scanFile(
      compileScanner({ rules: builtinRules, allowRules: builtinAllowRules }),
      path,
      Buffer.from(`k=${AWS}\n`),
    );
    expect(scan).toMatchObject({ skipped: 'allowed-path', allowRule: id, findings: [] });
  });

  it('reports in paths the allow rules do not cover', () => {
    for (const path of ['app/.env', '/etc/app/config', 'contest/x', 'usr/local/bin/run.sh']) {
      expect(scanSecrets(path, Buffer.from(`k=${AWS}\n`)), path).toHaveLength(1);
    }
  });

  it('applies global and rule allow regexes to the whole match, and exclude blocks to the secret', () => {
    const rules = [
      {
        id: 'pw',
        category: 'C',
        title: 'T',
        severity: 'HIGH' as const,
        regex: 'pw=(?P<secret>[a-z]+)',
        secretGroupName: 'secret',
      },
    ];
    const text = Buffer.from('pw=hunter\npw=dummy\n# begin\npw=inside\n# end\n');
    const plain = compileScanner({ rules, allowRules: [] });
    expect(scanFile(plain, 'f', text).findings).toHaveLength(3);
    const allow = compileScanner({ rules, allowRules: [{ id: 'dummy', regex: 'dummy' }] });
    expect(
      scanFile(allow, 'f', text)
        .findings.map((f) => f.startLine)
        .sort(),
    ).toEqual([1, 4]);
    const block = compileScanner({
      rules,
      allowRules: [],
      excludeBlock: { regexes: ['(?s)# begin.*?# end'] },
    });
    expect(
      scanFile(block, 'f', text)
        .findings.map((f) => f.startLine)
        .sort(),
    ).toEqual([1, 2]);
    const ruleAllow = compileScanner({
      rules: [{ ...rules[0]!, allowRules: [{ id: 'h', regex: 'hunter' }] }],
      allowRules: [],
    });
    expect(
      scanFile(ruleAllow, 'f', text)
        .findings.map((f) => f.startLine)
        .sort(),
    ).toEqual([2, 4]);
  });

  it('runs a rule only when one of its keywords occurs (case-insensitive)', () => {
    const rule = { id: 'r', category: 'C', title: 'T', severity: 'LOW' as const, regex: 'tok[0-9]+' };
    const withKw = compileScanner({ rules: [{ ...rule, keywords: ['MAGIC'] }], allowRules: [] });
    expect(scanFile(withKw, 'f', Buffer.from('tok123\n')).findings).toEqual([]);
    expect(scanFile(withKw, 'f', Buffer.from('magic tok123\n')).findings).toHaveLength(1);
  });

  it('honours a rule path pattern', () => {
    const rule = {
      id: 'r',
      category: 'C',
      title: 'T',
      severity: 'LOW' as const,
      regex: 'tok[0-9]+',
      path: '\\.env$',
    };
    const s = compileScanner({ rules: [rule], allowRules: [] });
    expect(scanFile(s, 'a.txt', Buffer.from('tok1\n')).findings).toEqual([]);
    expect(scanFile(s, 'a.env', Buffer.from('tok1\n')).findings).toHaveLength(1);
  });

  it('counts lines in bytes of UTF-8 text and redacts multibyte secrets byte for byte', () => {
    const rule = { id: 'r', category: 'C', title: 'T', severity: 'LOW' as const, regex: 'pässwörd' };
    const s = compileScanner({ rules: [rule], allowRules: [] });
    const [f] = scanFile(s, 'f', Buffer.from('ünïcode\nx=pässwörd\n')).findings;
    expect(f?.startLine).toBe(2);
    expect(f?.match).toBe('x=' + '*'.repeat(Buffer.byteLength('pässwörd')));
  });

  it('bounds work on a 1 MB adversarial line: linear-time regexes and a findings cap', () => {
    // Many near-misses for the keyword-anchored and JWT rules (which Trivy writes with
    // unbounded repetitions), plus many real hits to test the cap.
    const hostile =
      cycle('eyJaaaaaaaaaaaaaaaaaaaa.eyJ', 400_000) +
      cycle('facebook_key = "', 200_000) +
      cycle('-----BEGIN PRIVATE KEY----- aaaa', 200_000) +
      ` ${AWS}`.repeat(10_000);
    expect(hostile.length).toBeGreaterThanOrEqual(1_000_000);
    const t0 = performance.now();
    const scan = scanFile(
      compileScanner({ rules: builtinRules, allowRules: [] }),
      'big.txt',
      Buffer.from(hostile),
      {
        maxFindings: 50,
      },
    );
    const ms = performance.now() - t0;
    console.log(
      `1 MB adversarial line: ${ms.toFixed(0)} ms, ${scan.findings.length} findings, truncated=${scan.truncated}`,
    );
    expect(scan.findings).toHaveLength(50);
    expect(scan.truncated).toBe(true);
    // Every output line is bounded even though the input line is 1 MB.
    for (const f of scan.findings) {
      expect(f.match.length).toBeLessThanOrEqual(30 + 20 + 200);
      for (const l of f.code?.lines ?? []) expect(l.content.length).toBeLessThanOrEqual(300);
    }
    expect(JSON.stringify(scan.findings)).not.toContain(AWS);
  });

  it('gives a different cache version for a different rule set', () => {
    const a = compileScanner({ rules: builtinRules, allowRules: builtinAllowRules });
    const b = compileScanner({ rules: builtinRules.slice(1), allowRules: builtinAllowRules });
    const a2 = compileScanner({ rules: builtinRules, allowRules: builtinAllowRules });
    expect(a.version).toBe(a2.version);
    expect(a.version).not.toBe(b.version);
    expect(Number.isInteger(a.version) && a.version > 0).toBe(true);
  });
});
