import { mkdtempSync, mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import { loadControls, reindentQuotedContinuations } from './controls.js';
import { compareOp, executeTests } from './evaluate.js';
import { createNodeHost } from './host.js';
import { compileJsonPath, evalJsonPath } from './jsonpath.js';
import { benchmarkForVersion, runNodeBenchmark } from './runner.js';
import type { ProcInfo, ShellHost } from './shell.js';
import { checkSupported, parseShell, runShell } from './shell.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'conf.yaml'), 'a: 1\n');
chmodSync(join(dir, 'conf.yaml'), 0o640);
mkdirSync(join(dir, 'pki'));
writeFileSync(join(dir, 'pki', 'ca.crt'), 'x');
writeFileSync(join(dir, 'pki', 'ca.key'), 'x');
chmodSync(join(dir, 'pki', 'ca.key'), 0o600);
chmodSync(join(dir, 'pki', 'ca.crt'), 0o644);
writeFileSync(join(dir, 'enc.yaml'), 'resources:\n  - providers:\n    - aescbc:\n        keys: []\n');

const procs: ProcInfo[] = [
  {
    pid: 10,
    ppid: 1,
    uid: 0,
    comm: 'kube-apiserver',
    argv: [
      '/usr/bin/kube-apiserver',
      '--authorization-mode=Node,RBAC',
      `--encryption-provider-config=${join(dir, 'enc.yaml')}`,
    ],
  },
  { pid: 11, ppid: 1, uid: 0, comm: 'etcd', argv: ['etcd', `--data-dir=${dir}`, '--cert-file=/p/s.crt'] },
];
const real = createNodeHost({ pathMap: [['/etc/kubernetes/pki', join(dir, 'pki')]] });
const host: ShellHost = { ...real, processes: () => Promise.resolve(procs) };

async function sh(
  src: string,
  vars: Record<string, string> = {},
  allow: string[] = [],
): Promise<{ output: string; code: number; aborted?: string }> {
  return runShell(parseShell(src), {
    host,
    vars,
    allowExec: new Set(allow),
    signal: AbortSignal.timeout(5000),
  });
}

describe('audit interpreter', () => {
  it.each([
    [
      'a ps | grep | grep -v pipeline finds the process line',
      '/bin/ps -ef | grep $apiserverbin | grep -v grep',
      /--authorization-mode=Node,RBAC/,
      0,
    ],
    ['grep with no match exits 1', 'ps -ef | grep kube-scheduler | grep -v grep', /^$/, 1],
    [
      'stat -c permissions=%a through sh -c and if test -e',
      `/bin/sh -c 'if test -e $apiserverconf; then stat -c permissions=%a $apiserverconf; fi'`,
      /^permissions=640\n$/,
      0,
    ],
    [
      'a missing file gives no output and status 0 (if without else)',
      `/bin/sh -c 'if test -e /nope; then stat -c %a /nope; fi'`,
      /^$/,
      0,
    ],
    [
      'find | xargs stat over a mapped path',
      "find /etc/kubernetes/pki/ -name '*.key' | xargs stat -c permissions=%a",
      /^permissions=600\n$/,
      0,
    ],
    [
      'a double-quoted sh -c script keeps variables as references',
      `/bin/sh -c "if test -e $apiserverconf; then echo yes; else echo \\"File not found\\"; fi"`,
      /^yes\n$/,
      0,
    ],
    [
      'for loop, $(…), sed with a group and test -d',
      'DATA_DIR=\'\'\nfor d in $(ps -ef | grep $etcdbin | grep -- --data-dir | sed \'s%.*data-dir[= ]\\([^ ]*\\).*%\\1%\'); do\n  if test -d "$d"; then DATA_DIR="$d"; fi\ndone\nif ! test -d "$DATA_DIR"; then DATA_DIR=/nope; fi\necho "$DATA_DIR"',
      new RegExp(`^${dir}\\n$`),
      0,
    ],
    [
      'awk -F with a multi-character separator and uniq',
      "ps -ef | grep apiserver | grep -- --authorization-mode= | awk -F '--authorization-mode=' '{print $2}' | awk '{print $1}' | uniq",
      /^Node,RBAC\n$/,
      0,
    ],
    [
      'grep -A1 | tail -n1 | grep -o | sed s/^/',
      "grep -A1 'providers:' $f | tail -n1 | grep -o \"[A-Za-z]*\" | sed 's/^/provider=/'",
      /^provider=aescbc\n$/,
      0,
    ],
    ['|| runs the right side after a failure', 'false || echo ok', /^ok\n$/, 0],
    ['2>/dev/null drops stderr', 'stat -c %a /nope 2>/dev/null', /^$/, 1],
    ['tr, head and wc', "echo 'a b c' | tr ' ' '\\n' | head -n 2 | wc -l", /^2\n$/, 0],
  ])('%s', async (_name, src, out, code) => {
    const r = await sh(src, {
      apiserverbin: 'kube-apiserver',
      apiserverconf: join(dir, 'conf.yaml'),
      etcdbin: 'etcd',
      f: join(dir, 'enc.yaml'),
    });
    expect(r.output).toMatch(out);
    expect(r.code).toBe(code);
  });

  it('config variables are values, never code: a path with shell syntax stays one argument', async () => {
    const r = await sh("/bin/sh -c 'stat -c %n $x'", { x: '/tmp/$(touch /tmp/pwned); echo hi' });
    expect(r.output).toContain("cannot statx '/tmp/$(touch /tmp/pwned); echo hi'");
  });

  it.each([
    ['a program that is neither native nor allow-listed', 'kubectl get pods', /program 'kubectl'/],
    ['a command name from an expansion', '$kubeletbin --version', /command name built from an expansion/],
    ['a while loop', 'while true; do echo; done', /'while' is not supported/],
    ['a redirection to a file', 'echo x > /tmp/f', /only redirection to \/dev\/null/],
  ])('refuses %s', (_n, src, why) => {
    let reason: string | undefined;
    try {
      reason = checkSupported(parseShell(src), new Set());
    } catch (e) {
      reason = (e as Error).message;
    }
    expect(reason).toMatch(why);
  });

  it('kills an allow-listed program that hangs at the deadline', async () => {
    const t0 = Date.now();
    const r = await runShell(parseShell('sleep 30'), {
      host,
      vars: {},
      allowExec: new Set(['sleep']),
      signal: AbortSignal.timeout(300),
    });
    expect(r.aborted).toMatch(/timed out/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('test semantics (kube-bench check/test.go)', () => {
  it.each([
    ['eq compares booleans case-insensitively', 'eq', 'True', 'true', true],
    ['eq compares other values exactly', 'eq', 'Foo', 'foo', false],
    ['noteq', 'noteq', '0', '0', false],
    ['gt', 'gt', '5', '4', true],
    ['gte', 'gte', '30', '30', true],
    ['lt', 'lt', '5', '5', false],
    ['lte', 'lte', '5', '5', true],
    ['gte with a non-number fails', 'gte', 'abc', '3', false],
    ['has', 'has', 'Node,RBAC', 'RBAC', true],
    ['nothave', 'nothave', 'Node,RBAC', 'AlwaysAllow', true],
    ['regex', 'regex', 'TLS_AES_128', '^TLS_', true],
    ['valid_elements (all in the allowed list)', 'valid_elements', 'a,b,', 'a,b,c', true],
    ['valid_elements (one not allowed)', 'valid_elements', 'a,d', 'a,b,c', false],
    ['bitmask 600 within 644', 'bitmask', '600', '644', true],
    ['bitmask 666 not within 644', 'bitmask', '666', '644', false],
  ] as const)('%s', (_n, op, val, want, expected) => {
    expect(compareOp(op, val, want, 'x')[1]).toBe(expected);
  });

  const item = (
    flag: string,
    extra: Partial<{ set: boolean; op: string; value: string; path: string; env: string }> = {},
  ) => ({
    flag,
    path: extra.path ?? '',
    env: extra.env ?? '',
    set: extra.set ?? true,
    compare: { op: (extra.op ?? '') as never, value: extra.value ?? '' },
    line: 1,
  });

  it.each([
    [
      '--flag=value',
      'kube-apiserver --audit-log-maxage=30 --x',
      item('--audit-log-maxage', { op: 'gte', value: '30' }),
      true,
    ],
    [
      '--flag value when comparing',
      'kube-apiserver --audit-log-maxage 7 --x',
      item('--audit-log-maxage', { op: 'gte', value: '30' }),
      false,
    ],
    [
      'bare --flag is true',
      'kube-apiserver --profiling',
      item('--profiling', { op: 'eq', value: 'true' }),
      true,
    ],
    ['flag: value (YAML)', 'anonymous: false', item('anonymous', { op: 'eq', value: 'false' }), true],
    ['set: false passes when absent', 'kube-apiserver --x', item('--token-auth-file', { set: false }), true],
    ['set: true fails when absent', 'kube-apiserver --x', item('--token-auth-file'), false],
  ])('%s', (_n, out, it1, expected) => {
    expect(
      executeTests({ binOp: 'and', items: [it1] }, { audit: out, config: undefined, env: undefined }, false)
        .result,
    ).toBe(expected);
  });

  it('falls back to the audit_config output through a JSONPath', () => {
    const t = executeTests(
      {
        binOp: 'and',
        items: [
          item('--anonymous-auth', { op: 'eq', value: 'false', path: '{.authentication.anonymous.enabled}' }),
        ],
      },
      {
        audit: 'kubelet --config=/x',
        config: 'authentication:\n  anonymous:\n    enabled: false\n',
        env: undefined,
      },
      false,
    );
    expect(t.result).toBe(true);
  });

  it('bin_op or passes when one item passes, and fails when none does', () => {
    const items = [item('--a', { set: false }), item('--b', { op: 'eq', value: 'x' })];
    expect(
      executeTests({ binOp: 'or', items }, { audit: 'p --a --b=y', config: undefined, env: undefined }, false)
        .result,
    ).toBe(false);
    expect(
      executeTests({ binOp: 'or', items }, { audit: 'p --a --b=x', config: undefined, env: undefined }, false)
        .result,
    ).toBe(true);
    expect(
      executeTests({ binOp: 'and', items }, { audit: 'p --b=x', config: undefined, env: undefined }, false)
        .result,
    ).toBe(true);
  });

  it('use_multiple_values tests every line', () => {
    const items = [item('permissions', { op: 'bitmask', value: '644' })];
    const out = 'permissions=600\npermissions=666\n';
    expect(
      executeTests({ binOp: 'and', items }, { audit: out, config: undefined, env: undefined }, true).result,
    ).toBe(false);
    expect(
      executeTests({ binOp: 'and', items }, { audit: out, config: undefined, env: undefined }, false).result,
    ).toBe(true);
  });

  it('env items read KEY=value lines', () => {
    const items = [item('', { env: 'ANON', op: 'eq', value: 'false' })];
    expect(
      executeTests({ binOp: 'and', items }, { audit: '', config: undefined, env: 'X=1\nANON=false\n' }, false)
        .result,
    ).toBe(true);
  });

  it('JSONPath ranges join list elements', () => {
    expect(evalJsonPath(compileJsonPath("{range .s[:]}{}{','}{end}"), { s: ['a', 'b'] })).toBe('a,b,');
  });
});

describe('control files', () => {
  const bad = `controls:\nid: 1\ntext: t\ntype: master\ngroups:\n- id: 1.1\n  text: g\n  checks:\n    - id: 1.1.1\n      text: x\n      audit: echo\n      tests:\n        test_items:\n          - flag: --x\n            compare:\n              op: equal\n              value: 1\n      scored: true\n`;
  it('a bad compare op is a load error at its file:line', () => {
    try {
      loadControls(bad, 'bad.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PalisadeError);
      expect((e as PalisadeError).message).toMatch(/unknown compare op 'equal'/);
      expect((e as PalisadeError).location).toEqual({ file: 'bad.yaml', line: 16 });
    }
  });
  it('a bad bin_op is a load error', () => {
    expect(() =>
      loadControls(
        bad
          .replace('op: equal', 'op: eq')
          .replace('        test_items:', '        bin_op: xor\n        test_items:'),
        'b.yaml',
      ),
    ).toThrow(/unknown bin_op 'xor'/);
  });
  it("re-indents go-yaml's under-indented quoted continuations without moving lines", () => {
    const t = '- id: 2.4\n  text: "a\n  b"\n  audit: x\n';
    const r = reindentQuotedContinuations(t);
    expect(r.split('\n')).toHaveLength(t.split('\n').length);
  });
  it('maps a Kubernetes version to the nearest lower mapped benchmark, as kube-bench does', () => {
    const m = { '1.28': 'cis-1.10', '1.34': 'cis-1.12' };
    expect(benchmarkForVersion(m, 'v1.28.3')).toBe('cis-1.10');
    expect(benchmarkForVersion(m, '1.37')).toBe('cis-1.12');
    expect(benchmarkForVersion(m, '1.20')).toBeUndefined();
  });
});

describe('runner', () => {
  it('runs a definition directory end to end and warns for an absent component', async () => {
    const cfg = join(dir, 'cfg');
    mkdirSync(join(cfg, 'mine'), { recursive: true });
    writeFileSync(
      join(cfg, 'config.yaml'),
      'master:\n  components: [apiserver, scheduler]\n  apiserver:\n    bins: [kube-apiserver]\n  scheduler:\n    bins: [kube-scheduler]\ntarget_mapping:\n  mine: [master]\n',
    );
    writeFileSync(
      join(cfg, 'mine', 'master.yaml'),
      `controls:\nid: 1\ntext: t\ntype: master\ngroups:\n- id: 1.2\n  text: API\n  checks:\n    - id: 1.2.8\n      text: RBAC (Automated)\n      audit: "/bin/ps -ef | grep $apiserverbin | grep -v grep"\n      tests:\n        test_items:\n          - flag: --authorization-mode\n            compare:\n              op: has\n              value: RBAC\n      remediation: edit\n      scored: true\n    - id: 1.2.9\n      text: anon (Automated)\n      audit: "/bin/ps -ef | grep $apiserverbin | grep -v grep"\n      tests:\n        test_items:\n          - flag: --anonymous-auth\n            compare:\n              op: eq\n              value: false\n      scored: true\n    - id: 1.4.1\n      text: sched (Automated)\n      audit: "/bin/ps -ef | grep $schedulerbin | grep -v grep"\n      tests:\n        test_items:\n          - flag: --profiling\n      scored: true\n`,
    );
    const r = await runNodeBenchmark({ configDir: cfg, benchmark: 'mine', host });
    const st = Object.fromEntries(r.controls[0]!.groups[0]!.checks.map((c) => [c.id, c.status]));
    expect(st).toEqual({ '1.2.8': 'PASS', '1.2.9': 'FAIL', '1.4.1': 'WARN' });
    expect(r.components.find((c) => c.component === 'apiserver')?.pid).toBe(10);
  });
});
