/**
 * The filter language: parser (grammar, positions, error messages as libsinsp
 * words them) and compiled predicates (every operator, transformers, field
 * arguments, list semantics), on hand-written events.
 */
import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, parseFilter } from '../packages/platform/src/runtime/filter/parser.js';
import { compileFilter, FilterCompileError } from '../packages/platform/src/runtime/filter/compile.js';
import { globMatch } from '../packages/platform/src/runtime/filter/match.js';
import { K8S_AUDIT } from '../packages/platform/src/runtime/fields/k8saudit.js';
import { SYSCALL } from '../packages/platform/src/runtime/fields/syscall.js';
import type { RuntimeEvent } from '../packages/platform/src/runtime/fields/types.js';

const audit = (data: Record<string, unknown>): RuntimeEvent => ({
  source: 'k8s_audit',
  type: 'k8s_audit',
  num: 1,
  sec: 1540476552,
  nsec: 0,
  data,
});

const sys = (type: string, data: Record<string, unknown>): RuntimeEvent => ({
  source: 'syscall',
  type,
  num: 1,
  sec: 0,
  nsec: 0,
  data,
});

const pod = audit({
  verb: 'create',
  requestURI: '/api/v1/namespaces/default/pods/nginx/exec?command=bash&container=c',
  user: { username: 'alice', groups: ['system:authenticated', 'devs'] },
  objectRef: { resource: 'pods', namespace: 'default', name: 'nginx' },
  responseStatus: { code: 201 },
  requestObject: {
    spec: {
      hostNetwork: true,
      containers: [
        { name: 'a', image: 'docker.io/nginx:1.25', securityContext: { privileged: false } },
        { name: 'b', image: 'falcosecurity/falco@sha256:abc', securityContext: { privileged: true } },
      ],
      volumes: [
        { name: 'etc', hostPath: { path: '/etc' } },
        { name: 'cm', configMap: { name: 'x' } },
      ],
    },
  },
});

describe('filter parser', () => {
  const ok: [string, string][] = [
    ['a field check with an equals operator', 'evt.type=open'],
    [
      'and/or with parentheses and not',
      'not (evt.type=open or evt.type = close) and proc.name in (a, "b c")',
    ],
    ['not( without a blank', 'not(proc.name=cat)'],
    ['and( and or( without blanks', 'proc.name=a and(proc.name=b or(proc.name=c))'],
    ['a macro reference', 'spawned_process and not my_macro'],
    ['an indexed field argument', 'proc.aname[2]=bash'],
    ['a quoted field argument', 'ka.req.binding.subject.has_name["cluster-admin"]=true'],
    ['a JSON pointer argument', 'jevt.value[/requestObject/spec/tls] exists'],
    [
      'every string operator',
      'a.b contains x and a.b icontains x and a.b startswith x and a.b endswith x and a.b glob "*x" and a.b iglob x and a.b regex "^a+$" and a.b bcontains 6162 and a.b bstartswith 61',
    ],
    ['numeric operators', 'a.b<1 and a.b<=0x10 and a.b>-2 and a.b>=1.5e+3'],
    ['list operators', 'a.b in (x) and a.b intersects (y, z) and a.b pmatch (/usr) and a.b in ()'],
    [
      'transformers nested',
      'tolower(toupper(proc.name)) = cat and len(proc.args) > 0 and basename(proc.exe) = sh',
    ],
    ['b64 and join', 'b64(proc.args) = x and join(",", (proc.name, "x")) = "cat,x"'],
    ['a field on the right side', 'proc.name = val(proc.pname)'],
    ['a transformer on the right side', 'proc.name = tolower(proc.pname)'],
    ['line breaks as blanks', 'evt.type=open\n  and\n  proc.name=cat'],
    ['an escaped quote in a string', 'proc.cmdline = "say \\"hi\\""'],
  ];
  it.each(ok)('parses %s', (_name, text) => {
    expect(() => parseFilter(text)).not.toThrow();
  });

  it('builds the tree with positions', () => {
    const ast = parseFilter('evt.type=open and\n not proc.name in (a, b)');
    expect(ast.kind).toBe('and');
    if (ast.kind !== 'and') return;
    const second = ast.children[1];
    expect(second?.kind).toBe('not');
    // 'evt.type=open and' is 17 characters, then a line break and a blank: `not` starts at index 19, line 2, column 2.
    expect(second?.pos).toEqual({ idx: 19, line: 2, col: 2 });
    const check = second?.kind === 'not' ? second.child : undefined;
    expect(check).toMatchObject({
      kind: 'binary',
      op: 'in',
      left: { name: 'proc.name' },
      right: { values: ['a', 'b'] },
    });
  });

  it('unescapes quoted values and keeps bare ones', () => {
    const ast = parseFilter("proc.cmdline = 'a\\tb' and fd.name = /etc/passwd");
    expect(ast).toMatchObject({
      children: [{ right: { value: 'a\tb' } }, { right: { value: '/etc/passwd' } }],
    });
  });

  it('reads field arguments', () => {
    expect(parseFilter('proc.aname[2] = x')).toMatchObject({ left: { name: 'proc.aname', arg: '2' } });
    expect(parseFilter('ka.uri.param["a b"] = x')).toMatchObject({
      left: { name: 'ka.uri.param', arg: 'a b' },
    });
  });

  const bad: [string, string, string, number][] = [
    ['an empty condition', '', 'filter input string is empty', 1],
    ['a trailing token', 'evt.type=execve foo', "unexpected token after 'execve', expecting 'or', 'and'", 17],
    ['a missing operator', 'proc.name cat', 'expected a valid check operator', 11],
    ['an unclosed parenthesis', '(evt.type=open', "expected a ')' token", 15],
    ['and glued to a word', 'evt.type=open andx', "expected blank or '(' after 'and'", 18],
    ['an unclosed field argument', 'proc.aname[2 = x', "expected a ']' token", 13],
    // like libsinsp, the operator is consumed before the missing blank is noticed
    ['contains without a blank', 'proc.name containsx', 'expected a valid check operator', 19],
    ['a bad escape', 'proc.name = "a\\qb"', 'unsupported string escape sequence: \\q', 19],
    ['a list without a value or parenthesis', 'proc.name in ,', 'expected a list, an identifier', 14],
  ];
  it.each(bad)('rejects %s with the upstream message and a position', (_n, text, msg, col) => {
    let err: unknown;
    try {
      parseFilter(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterSyntaxError);
    expect((err as FilterSyntaxError).message).toContain(msg);
    expect((err as FilterSyntaxError).pos.col).toBe(col);
  });

  it('bounds recursion depth', () => {
    const deep = `${'('.repeat(2000)}a.b=1${')'.repeat(2000)}`;
    expect(() => parseFilter(deep)).toThrow(/exceeded max depth limit of 1000/);
  });
});

describe('compiled k8s audit predicates', () => {
  const cases: [string, string, boolean][] = [
    ['equality on a string field', 'ka.verb=create', true],
    ['inequality', 'ka.verb!=create', false],
    ['a missing field makes the check false', 'ka.target.subresource=exec', false],
    ['a missing field makes != false too', 'ka.target.subresource!=exec', false],
    ['exists on a present field', 'ka.user.name exists', true],
    ['exists on a missing field', 'ka.impuser.name exists', false],
    ['numbers render as JSON text', 'ka.response.code=201', true],
    ['startswith on a number rendered as text', 'ka.response.code startswith 2', true],
    ['contains', 'ka.uri contains /exec', true],
    ['icontains', 'ka.user.name icontains ALI', true],
    ['endswith', 'ka.target.name endswith inx', true],
    ['glob', 'ka.uri glob "/api/v1/*/exec*"', true],
    ['iglob', 'ka.uri iglob "/API/*"', true],
    ['regex must match the whole value', 'ka.user.name regex "al"', false],
    ['regex full match', 'ka.user.name regex "al.*"', true],
    ['in on a scalar field', 'ka.verb in (get, create)', true],
    ['in on a list field needs every value in the set', 'ka.user.groups in (devs)', false],
    ['in on a list field, all present', 'ka.user.groups in (devs, system:authenticated, x)', true],
    ['intersects on a list field', 'ka.user.groups intersects (devs)', true],
    ['intersects with the privileged flags', 'ka.req.pod.containers.privileged intersects (true)', true],
    ['an index selects one container', 'ka.req.pod.containers.privileged[0] intersects (true)', false],
    [
      'repository drops tag and digest',
      'ka.req.pod.containers.image.repository in (docker.io/nginx, falcosecurity/falco)',
      true,
    ],
    ['an index out of range is not available', 'ka.req.pod.containers.image[5] exists', false],
    ['the first container image (deprecated field)', 'ka.req.container.image = docker.io/nginx:1.25', true],
    ['hostPath paths skip volumes without one', 'ka.req.pod.volumes.hostpath intersects (/etc)', true],
    ['the deprecated hostpath key field with a prefix', 'ka.req.volume.hostpath[/et*] = true', true],
    ['a query parameter', 'ka.uri.param[command] = bash', true],
    ['a JSON pointer', 'jevt.value[/objectRef/resource] = pods', true],
    ['a JSON pointer to an object renders JSON', 'jevt.value[/responseStatus] = \'{"code":201}\'', true],
    ['pmatch', 'ka.uri pmatch (/api/v1)', true],
    ['not', 'not ka.verb=delete', true],
    ['or short circuits', 'ka.verb=delete or ka.user.name=alice', true],
    ['tolower transformer', 'tolower(ka.user.name) = alice', true],
    ['toupper transformer', 'toupper(ka.user.name) = ALICE', true],
    ['len of a list field', 'len(ka.user.groups) = 2', true],
    ['len of a string', 'len(ka.user.name) > 4', true],
    ['basename', 'basename(ka.uri) startswith exec', true],
    ['a field on the right side', 'ka.target.name = val(ka.target.name)', true],
    ['jevt.rawtime is numeric', 'jevt.rawtime > 0', true],
    ['has_name behaves as the plugin (always true)', 'ka.req.binding.subject.has_name[anyone] = true', true],
    ['bcontains with hex bytes', 'ka.user.name bcontains 6c6963', true],
    ['bstartswith with hex bytes', 'ka.user.name bstartswith 616c', true],
  ];
  it.each(cases)('%s', (_n, cond, expected) => {
    const { predicate } = compileFilter(parseFilter(cond), K8S_AUDIT);
    expect(predicate(pod)).toBe(expected);
  });

  const errors: [string, string, string][] = [
    ['an unknown field', 'ka.nobody = x', 'filter_check called with nonexistent field ka.nobody'],
    ['a missing required argument', 'ka.uri.param = x', "field 'ka.uri.param' requires an argument"],
    [
      'an argument on a field that takes none',
      'ka.verb[1] = x',
      "field 'ka.verb' does not support arguments",
    ],
    ['an invalid regex', 'ka.verb regex "(a"', "invalid regular expression '(a'"],
    ['a non-hex bcontains operand', 'ka.verb bcontains zz', 'is not a hex string'],
    ['a non-numeric operand for a numeric field', 'jevt.rawtime = abc', "'abc' is not a valid number"],
    ['an undefined macro left in the tree', 'ka.verb=get and nope', "Undefined macro 'nope' used in filter."],
  ];
  it.each(errors)('rejects %s', (_n, cond, msg) => {
    expect(() => compileFilter(parseFilter(cond), K8S_AUDIT)).toThrow(FilterCompileError);
    expect(() => compileFilter(parseFilter(cond), K8S_AUDIT)).toThrow(msg);
  });
});

describe('compiled syscall predicates', () => {
  const evt = sys('openat', {
    res: 3,
    args: { flags: 'O_RDONLY|O_CLOEXEC', name: '/etc/shadow' },
    proc: {
      name: 'cat',
      exe: '/usr/bin/cat',
      pid: 42,
      cmdline: 'cat /etc/shadow',
      env: ['HOME=/root', 'TERM=xterm'],
      ancestors: [
        { name: 'bash', pid: 41, exe: '/bin/bash' },
        { name: 'sshd', pid: 1, exe: '/usr/sbin/sshd' },
      ],
    },
    fd: { name: '/etc/shadow', directory: '/etc', sip: '10.1.2.3', sport: 443 },
    container: { id: 'host', image: { repository: 'nginx' } },
  });
  const cases: [string, string, boolean][] = [
    ['event type', 'evt.type in (open, openat)', true],
    ['open for read from the flags', 'evt.is_open_read=true', true],
    ['open for write', 'evt.is_open_write=true', false],
    ['parent name', 'proc.pname=bash', true],
    ['ancestor by index', 'proc.aname[2]=sshd', true],
    ['index 0 is the process itself', 'proc.aname[0]=cat', true],
    ['any ancestor without an index', 'proc.aname=sshd', true],
    ['any ancestor in a set', 'proc.aname in (init, sshd)', true],
    ['numeric pid', 'proc.pid > 40 and proc.apid[1] = 41', true],
    ['evt.arg by name', 'evt.arg.name = /etc/shadow and evt.arg[flags] contains O_RDONLY', true],
    ['environment variable', 'proc.env[HOME] = /root', true],
    ['IP in a network', 'fd.sip in (10.0.0.0/8)', true],
    ['network field', 'fd.snet = 192.168.0.0/16', false],
    ['port number', 'fd.sport in (80, 443)', true],
    ['pmatch on directories', 'fd.name pmatch (/etc, /var)', true],
    ['pmatch does not match a sibling prefix', 'fd.name pmatch (/et)', false],
    ['glob across slashes', 'fd.name glob "/etc/*"', true],
    ['evt.res SUCCESS for a non-negative result', 'evt.res = SUCCESS', true],
    ['nested container path', 'container.image.repository = nginx', true],
  ];
  it.each(cases)('%s', (_n, cond, expected) => {
    const { predicate } = compileFilter(parseFilter(cond), SYSCALL);
    expect(predicate(evt)).toBe(expected);
  });

  it('rejects an unknown event type as Falco does', () => {
    expect(() => compileFilter(parseFilter('evt.type in (list_a)'), SYSCALL)).toThrow(
      'unknown event type list_a',
    );
  });

  it('computes the event types a condition can match', () => {
    const t = (c: string): string[] | number => {
      const s = compileFilter(parseFilter(c), SYSCALL).eventTypes;
      return s && s.size < 20 ? [...s].sort() : (s?.size ?? -1);
    };
    expect(t('evt.type=open and proc.name=cat')).toEqual(['open']);
    expect(t('evt.type in (open, execve) or evt.type=connect')).toEqual(['connect', 'execve', 'open']);
    expect(t('evt.type in (open, execve) and evt.type=open')).toEqual(['open']);
    expect(t('proc.name=cat')).toBeGreaterThan(300);
    expect(t('evt.type!=execve')).toBeGreaterThan(300);
  });
});

describe('glob', () => {
  const cases: [string, string, boolean][] = [
    ['*', '', true],
    ['a*b', 'axxb', true],
    ['a*b', 'axxbc', false],
    ['a?c', 'abc', true],
    ['[a-c]x', 'bx', true],
    ['[!a-c]x', 'bx', false],
    ['\\*x', '*x', true],
    ['/etc/*', '/etc/a/b', true],
    ['*a*a*a*a*b', 'a'.repeat(200), false],
  ];
  it.each(cases)('%s against %s', (p, t, r) => expect(globMatch(p, t)).toBe(r));
});
