/**
 * A small, safe interpreter for the shell snippets kube-bench's audits are written in
 * (`/bin/ps -ef | grep $apiserverbin | grep -v grep`, `stat -c %a $apiserverconf`, `if test -e …`).
 *
 * No shell is ever started: the snippet is parsed into an AST (pipelines, `&&`/`||`/`;`/newlines,
 * `if`/`for`, `$(…)`, quoting, `2>/dev/null`) and the commands run as native functions over a
 * {@link ShellHost} (reading /proc for `ps`, fs.stat for `stat` …). Programs without a native
 * version run only when the caller allow-lists them, through `host.exec` with an argument array
 * and a timeout. Anything else makes {@link checkSupported} report the construct, and the check
 * becomes WARN "audit not supported".
 */

export interface ProcInfo {
  pid: number;
  ppid: number;
  uid: number;
  /** Process name (/proc/PID/comm). */
  comm: string;
  /** argv (/proc/PID/cmdline split on NUL). */
  argv: string[];
}

export interface StatInfo {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  isDirectory: boolean;
  isFile: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
  timedOut?: boolean;
}

/** What the interpreter may touch; the real one is in host.ts, tests may pass their own. */
export interface ShellHost {
  processes(): Promise<ProcInfo[]>;
  /** stat (following links); undefined when the path does not exist. */
  stat(path: string): Promise<StatInfo | undefined>;
  /** Reads at most `max` bytes; throws (with a message) when unreadable. */
  readFile(path: string, max: number): Promise<string>;
  readdir(path: string): Promise<string[]>;
  userName(uid: number): string;
  groupName(gid: number): string;
  /** Runs an allow-listed program with an argument array; killed at the signal. */
  exec?(program: string, args: string[], stdin: string, signal: AbortSignal): Promise<ExecResult>;
}

/** Bounds for one audit run. */
export const SHELL_LIMITS = {
  /** Bytes of output a stage may produce (and bytes read from one file). */
  maxOutput: 4 * 1024 * 1024,
  /** Entries `find` walks. */
  maxFindEntries: 20_000,
  /** Commands executed in one audit (loops over `find` output). */
  maxSteps: 20_000,
  /** Nesting of `$(…)` and `sh -c`. */
  maxDepth: 8,
  /** Characters of an audit snippet. */
  maxSource: 64 * 1024,
};

// ---------------------------------------------------------------- AST

export type WordPart =
  | { t: 'lit'; s: string; q: boolean }
  | { t: 'var'; name: string; q: boolean }
  | { t: 'cmd'; list: List; q: boolean };
export interface Word {
  parts: WordPart[];
}
export interface Redirect {
  fd: number;
  /** '/dev/null' or '&1' / '&2' */
  target: string;
}
export type Command =
  | { t: 'simple'; assigns: { name: string; value: Word }[]; words: Word[]; redirects: Redirect[] }
  | { t: 'if'; branches: { cond: List; body: List }[]; else: List | undefined; redirects: Redirect[] }
  | { t: 'for'; name: string; items: Word[]; body: List; redirects: Redirect[] };
export interface Pipeline {
  bang: boolean;
  cmds: Command[];
}
export interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; p: Pipeline }[];
}
export interface List {
  items: AndOr[];
}

export class ShellSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ShellSyntaxError';
  }
}

const RESERVED = new Set(['if', 'then', 'elif', 'else', 'fi', 'for', 'in', 'do', 'done']);
const UNSUPPORTED_RESERVED = new Set(['while', 'until', 'case', 'esac', 'function', 'select']);

// ---------------------------------------------------------------- parser

class Parser {
  pos = 0;
  depth = 0;
  constructor(readonly src: string) {}

  fail(msg: string): never {
    throw new ShellSyntaxError(msg, this.pos);
  }

  peek(n = 0): string {
    return this.src[this.pos + n] ?? '';
  }

  /** Skips blanks and comments (not newlines). */
  blanks(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || (c === '\\' && this.peek(1) === '\n')) this.pos += c === '\\' ? 2 : 1;
      else if (c === '#') {
        while (this.pos < this.src.length && this.peek() !== '\n') this.pos++;
      } else return;
    }
  }

  /** Skips blanks, comments, newlines and `;` separators where a list may continue. */
  separators(): void {
    for (;;) {
      this.blanks();
      if (this.peek() === '\n' || this.peek() === ';') this.pos++;
      else return;
    }
  }

  atWordBoundary(i: number): boolean {
    const c = this.src[i] ?? '';
    return c === '' || ' \t\n;|&()<>'.includes(c);
  }

  /** Is the next token the reserved word w? */
  isReserved(w: string): boolean {
    this.blanks();
    return this.src.startsWith(w, this.pos) && this.atWordBoundary(this.pos + w.length);
  }

  expectReserved(w: string): void {
    this.separators();
    if (!this.isReserved(w)) this.fail(`expected '${w}'`);
    this.pos += w.length;
  }

  parseList(terminators: readonly string[]): List {
    const items: AndOr[] = [];
    for (;;) {
      this.separators();
      if (this.pos >= this.src.length) break;
      if (this.peek() === ')' && terminators.includes(')')) break;
      if (terminators.some((t) => t !== ')' && this.isReserved(t))) break;
      items.push(this.parseAndOr());
      this.blanks();
      const c = this.peek();
      if (c === ';' || c === '\n') continue;
      if (c === '' || c === ')') continue;
      if (terminators.some((t) => t !== ')' && this.isReserved(t))) continue;
      if (c === '&') this.fail("background jobs ('&') are not supported");
      this.fail(`unexpected '${c}'`);
    }
    return { items };
  }

  parseAndOr(): AndOr {
    const first = this.parsePipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      this.blanks();
      if (this.src.startsWith('&&', this.pos) || this.src.startsWith('||', this.pos)) {
        const op = this.src.slice(this.pos, this.pos + 2) as '&&' | '||';
        this.pos += 2;
        this.separators();
        rest.push({ op, p: this.parsePipeline() });
      } else return { first, rest };
    }
  }

  parsePipeline(): Pipeline {
    this.blanks();
    let bang = false;
    if (this.peek() === '!' && this.atWordBoundary(this.pos + 1)) {
      bang = true;
      this.pos++;
    }
    const cmds = [this.parseCommand()];
    for (;;) {
      this.blanks();
      if (this.peek() === '|' && this.peek(1) !== '|') {
        this.pos++;
        this.separators();
        cmds.push(this.parseCommand());
      } else return { bang, cmds };
    }
  }

  parseCommand(): Command {
    this.blanks();
    for (const w of UNSUPPORTED_RESERVED) if (this.isReserved(w)) this.fail(`'${w}' is not supported`);
    if (this.peek() === '(' || this.peek() === '{')
      this.fail(`'${this.peek()}' (subshells and command groups) is not supported`);
    if (this.isReserved('if')) {
      this.pos += 2;
      const branches: { cond: List; body: List }[] = [];
      let cond = this.parseList(['then']);
      this.expectReserved('then');
      let body = this.parseList(['elif', 'else', 'fi']);
      branches.push({ cond, body });
      let elseList: List | undefined;
      for (;;) {
        this.separators();
        if (this.isReserved('elif')) {
          this.pos += 4;
          cond = this.parseList(['then']);
          this.expectReserved('then');
          body = this.parseList(['elif', 'else', 'fi']);
          branches.push({ cond, body });
        } else if (this.isReserved('else')) {
          this.pos += 4;
          elseList = this.parseList(['fi']);
        } else break;
      }
      this.expectReserved('fi');
      return { t: 'if', branches, else: elseList, redirects: this.parseRedirects() };
    }
    if (this.isReserved('for')) {
      this.pos += 3;
      this.blanks();
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
      if (!m) this.fail("expected a name after 'for'");
      const name = m[0];
      this.pos += name.length;
      this.blanks();
      const items: Word[] = [];
      if (this.isReserved('in')) {
        this.pos += 2;
        for (;;) {
          this.blanks();
          const c = this.peek();
          if (c === ';' || c === '\n' || c === '') break;
          items.push(this.parseWord());
        }
      } else this.fail("'for' without 'in' is not supported");
      this.expectReserved('do');
      const body = this.parseList(['done']);
      this.expectReserved('done');
      return { t: 'for', name, items, body, redirects: this.parseRedirects() };
    }
    const assigns: { name: string; value: Word }[] = [];
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    for (;;) {
      this.blanks();
      const c = this.peek();
      if (c === '' || c === '\n' || c === ';' || c === '|' || c === '&' || c === ')') break;
      if (c === '(') this.fail("'(' is not supported here");
      const r = this.tryRedirect();
      if (r) {
        redirects.push(r);
        continue;
      }
      if (words.length === 0) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(this.src.slice(this.pos));
        if (m?.[1]) {
          this.pos += m[0].length;
          const value = this.atWordBoundary(this.pos) ? { parts: [] } : this.parseWord();
          assigns.push({ name: m[1], value });
          continue;
        }
        if (words.length === 0 && RESERVED.has(this.peekBareWord())) break;
      }
      words.push(this.parseWord());
    }
    if (assigns.length === 0 && words.length === 0 && redirects.length === 0)
      this.fail(
        this.pos >= this.src.length ? 'unexpected end of the command' : `unexpected '${this.peek()}'`,
      );
    return { t: 'simple', assigns, words, redirects };
  }

  peekBareWord(): string {
    const m = /^[a-z]+/.exec(this.src.slice(this.pos));
    return m && this.atWordBoundary(this.pos + m[0].length) ? m[0] : '';
  }

  parseRedirects(): Redirect[] {
    const out: Redirect[] = [];
    for (;;) {
      this.blanks();
      const r = this.tryRedirect();
      if (!r) return out;
      out.push(r);
    }
  }

  tryRedirect(): Redirect | undefined {
    const m = /^([0-9]?)(>>|>|<)/.exec(this.src.slice(this.pos));
    if (!m) return undefined;
    const fd = m[1] ? Number(m[1]) : m[2] === '<' ? 0 : 1;
    if (m[2] !== '>') this.fail(`redirection '${m[0]}' is not supported`);
    this.pos += m[0].length;
    if (this.peek() === '&') {
      const t = this.peek(1);
      if (t !== '1' && t !== '2') this.fail('only >&1 and >&2 are supported');
      this.pos += 2;
      return { fd, target: `&${t}` };
    }
    this.blanks();
    const w = this.parseWord();
    const lit = literalOf(w);
    if (lit !== '/dev/null')
      this.fail('only redirection to /dev/null is supported (audits never write files)');
    return { fd, target: '/dev/null' };
  }

  parseWord(): Word {
    const parts: WordPart[] = [];
    const start = this.pos;
    const lit = (s: string, q: boolean): void => {
      const last = parts[parts.length - 1];
      if (last && last.t === 'lit' && last.q === q) last.s += s;
      else parts.push({ t: 'lit', s, q });
    };
    for (;;) {
      const c = this.peek();
      if (c === '' || (!parts.length && this.pos === start && false)) break;
      if (' \t\n;|&()<>'.includes(c)) break;
      if (c === '\\') {
        const n = this.peek(1);
        this.pos += 2;
        if (n !== '\n') lit(n, true);
      } else if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) this.fail('unterminated single quote');
        lit(this.src.slice(this.pos + 1, end), true);
        this.pos = end + 1;
      } else if (c === '"') {
        this.pos++;
        let closed = false;
        while (this.pos < this.src.length) {
          const d = this.peek();
          if (d === '"') {
            this.pos++;
            closed = true;
            break;
          }
          if (d === '\\') {
            const n = this.peek(1);
            if ('$`"\\\n'.includes(n) && n !== '') {
              if (n !== '\n') lit(n, true);
              this.pos += 2;
            } else {
              lit('\\', true);
              this.pos++;
            }
          } else if (d === '$') this.parseDollar(parts, true, lit);
          else if (d === '`') this.fail('backquote command substitution is not supported');
          else {
            lit(d, true);
            this.pos++;
          }
        }
        if (!closed) this.fail('unterminated double quote');
        if (!parts.length) lit('', true);
      } else if (c === '$') this.parseDollar(parts, false, lit);
      else if (c === '`') this.fail('backquote command substitution is not supported');
      else {
        lit(c, false);
        this.pos++;
      }
    }
    if (this.pos === start) this.fail(`unexpected '${this.peek()}'`);
    return { parts };
  }

  parseDollar(parts: WordPart[], q: boolean, lit: (s: string, q: boolean) => void): void {
    const n = this.peek(1);
    if (n === '(') {
      if (this.peek(2) === '(') this.fail('arithmetic expansion is not supported');
      if (++this.depth > SHELL_LIMITS.maxDepth) this.fail('command substitutions nested too deeply');
      this.pos += 2;
      const list = this.parseList([')']);
      this.separators();
      if (this.peek() !== ')') this.fail("expected ')'");
      this.pos++;
      this.depth--;
      parts.push({ t: 'cmd', list, q });
      return;
    }
    if (n === '{') {
      const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(this.src.slice(this.pos));
      if (!m?.[1]) this.fail('only ${NAME} parameter expansion is supported');
      parts.push({ t: 'var', name: m[1], q });
      this.pos += m[0].length;
      return;
    }
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(this.src.slice(this.pos));
    if (m?.[1]) {
      parts.push({ t: 'var', name: m[1], q });
      this.pos += m[0].length;
      return;
    }
    if (/^\$[0-9#?@*$!-]/.test(this.src.slice(this.pos)))
      this.fail(`special parameter '$${n}' is not supported`);
    lit('$', q);
    this.pos++;
  }
}

/**
 * The script of `sh -c WORD` as the inner shell would see it, with variable expansions kept as
 * references (`${name}`) that the inner shell resolves: kube-bench pastes values into the text,
 * which would make a path in config.yaml shell code. Command substitutions are refused.
 */
function scriptOf(w: Word): string | undefined {
  let s = '';
  for (const p of w.parts) {
    if (p.t === 'lit') s += p.s;
    else if (p.t === 'var') s += `"\${${p.name}}"`;
    else return undefined;
  }
  return s;
}

function literalOf(w: Word): string | undefined {
  let s = '';
  for (const p of w.parts) {
    if (p.t !== 'lit') return undefined;
    s += p.s;
  }
  return s;
}

/** Parses an audit snippet; throws ShellSyntaxError for syntax outside the supported subset. */
export function parseShell(src: string): List {
  if (src.length > SHELL_LIMITS.maxSource)
    throw new ShellSyntaxError(`audit longer than ${SHELL_LIMITS.maxSource} characters`, 0);
  const p = new Parser(src);
  const list = p.parseList([]);
  p.separators();
  if (p.pos < src.length) p.fail(`unexpected '${p.peek()}'`);
  return list;
}

// ---------------------------------------------------------------- static check

/** Programs with a native implementation (paths like /bin/ps are accepted too). */
export const NATIVE_COMMANDS = [
  'ps',
  'grep',
  'stat',
  'cat',
  'awk',
  'sed',
  'head',
  'tail',
  'tr',
  'find',
  'wc',
  'xargs',
  'echo',
  'test',
  '[',
  'true',
  'false',
  'uniq',
  'sh',
  'bash',
] as const;
const NATIVE = new Set<string>(NATIVE_COMMANDS);

export function commandBase(name: string): string {
  const i = name.lastIndexOf('/');
  return i >= 0 ? name.slice(i + 1) : name;
}

/**
 * Why a parsed audit cannot run here (a program neither native nor allow-listed, a command name
 * built from a variable), or undefined. `sh -c '…'` scripts are checked too.
 */
export function checkSupported(list: List, allowExec: ReadonlySet<string>): string | undefined {
  const visitList = (l: List): string | undefined => {
    for (const ao of l.items)
      for (const p of [ao.first, ...ao.rest.map((r) => r.p)])
        for (const c of p.cmds) {
          const r = visitCommand(c);
          if (r) return r;
        }
    return undefined;
  };
  const visitWord = (w: Word): string | undefined => {
    for (const p of w.parts)
      if (p.t === 'cmd') {
        const r = visitList(p.list);
        if (r) return r;
      }
    return undefined;
  };
  const visitArgv = (words: Word[]): string | undefined => {
    const name = words[0] ? literalOf(words[0]) : undefined;
    if (name === undefined) return 'a command name built from an expansion';
    const base = commandBase(name);
    if (base === 'xargs') {
      // xargs runs its command itself: check it too.
      let i = 1;
      while (i < words.length) {
        const a = literalOf(words[i] as Word) ?? '';
        if (a === '-I' || a === '-L' || a === '-n' || a === '-d') i += 2;
        else if (a.startsWith('-')) i++;
        else break;
      }
      if (i < words.length) return visitArgv(words.slice(i));
      return undefined;
    }
    if (base === 'sh' || base === 'bash') {
      if (literalOf(words[1] ?? { parts: [] }) !== '-c') return `'${name}' without -c`;
      const script = words[2] ? scriptOf(words[2]) : undefined;
      if (script === undefined) return `'${name} -c' with a script built from a command substitution`;
      try {
        return visitList(parseShell(script));
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    }
    if (NATIVE.has(base) || allowExec.has(base) || allowExec.has(name)) return undefined;
    return `program '${name}' is not supported (not native, not allow-listed)`;
  };
  const visitCommand = (c: Command): string | undefined => {
    if (c.t === 'if') {
      for (const b of c.branches) {
        const r = visitList(b.cond) ?? visitList(b.body);
        if (r) return r;
      }
      return c.else ? visitList(c.else) : undefined;
    }
    if (c.t === 'for') {
      for (const w of c.items) {
        const r = visitWord(w);
        if (r) return r;
      }
      return visitList(c.body);
    }
    for (const a of c.assigns) {
      const r = visitWord(a.value);
      if (r) return r;
    }
    for (const w of c.words) {
      const r = visitWord(w);
      if (r) return r;
    }
    if (c.words.length === 0) return undefined;
    return visitArgv(c.words);
  };
  return visitList(list);
}

// ---------------------------------------------------------------- interpreter

interface Io {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  host: ShellHost;
  /** Variables visible to the snippet (kube-bench's $apiserverbin …); expanded without field splitting. */
  vars: Readonly<Record<string, string>>;
  allowExec?: ReadonlySet<string>;
  signal: AbortSignal;
}

class Abort extends Error {}

class Interp {
  steps = 0;
  depth = 0;
  readonly local = new Map<string, string>();
  constructor(readonly o: RunOptions) {}

  tick(): void {
    if (++this.steps > SHELL_LIMITS.maxSteps) throw new Abort(`more than ${SHELL_LIMITS.maxSteps} commands`);
    if (this.o.signal.aborted) throw new Abort('timed out');
  }

  getVar(name: string): { v: string; split: boolean } {
    const l = this.local.get(name);
    if (l !== undefined) return { v: l, split: true };
    const c = this.o.vars[name];
    if (c !== undefined) return { v: c, split: false };
    return { v: '', split: true };
  }

  async runList(l: List, stdin: string): Promise<Io> {
    const out: Io = { stdout: '', stderr: '', code: 0 };
    for (const ao of l.items) {
      const r = await this.runAndOr(ao, stdin);
      out.stdout = cap(out.stdout + r.stdout);
      out.stderr = cap(out.stderr + r.stderr);
      out.code = r.code;
    }
    return out;
  }

  async runAndOr(ao: AndOr, stdin: string): Promise<Io> {
    let r = await this.runPipeline(ao.first, stdin);
    for (const { op, p } of ao.rest) {
      if ((op === '&&' && r.code !== 0) || (op === '||' && r.code === 0)) continue;
      const n = await this.runPipeline(p, stdin);
      r = { stdout: cap(r.stdout + n.stdout), stderr: cap(r.stderr + n.stderr), code: n.code };
    }
    return r;
  }

  async runPipeline(p: Pipeline, stdin: string): Promise<Io> {
    let input = stdin;
    let stderr = '';
    let code = 0;
    for (const c of p.cmds) {
      const r = await this.runCommand(c, input);
      input = r.stdout;
      stderr = cap(stderr + r.stderr);
      code = r.code;
    }
    return { stdout: input, stderr, code: p.bang ? (code === 0 ? 1 : 0) : code };
  }

  applyRedirects(r: Io, redirects: Redirect[]): Io {
    let { stdout, stderr } = r;
    for (const x of redirects) {
      if (x.target === '/dev/null') {
        if (x.fd === 1) stdout = '';
        else if (x.fd === 2) stderr = '';
      } else if (x.fd === 2 && x.target === '&1') {
        stdout = cap(stdout + stderr);
        stderr = '';
      } else if (x.fd === 1 && x.target === '&2') {
        stderr = cap(stderr + stdout);
        stdout = '';
      }
    }
    return { stdout, stderr, code: r.code };
  }

  async runCommand(c: Command, stdin: string): Promise<Io> {
    this.tick();
    if (c.t === 'if') {
      let out: Io = { stdout: '', stderr: '', code: 0 };
      let ran = false;
      let acc = { stdout: '', stderr: '' };
      for (const b of c.branches) {
        const cond = await this.runList(b.cond, stdin);
        acc = { stdout: acc.stdout + cond.stdout, stderr: acc.stderr + cond.stderr };
        if (cond.code === 0) {
          out = await this.runList(b.body, stdin);
          ran = true;
          break;
        }
      }
      if (!ran && c.else) {
        out = await this.runList(c.else, stdin);
        ran = true;
      }
      return this.applyRedirects(
        {
          stdout: cap(acc.stdout + out.stdout),
          stderr: cap(acc.stderr + out.stderr),
          code: ran ? out.code : 0,
        },
        c.redirects,
      );
    }
    if (c.t === 'for') {
      const items: string[] = [];
      for (const w of c.items) items.push(...(await this.expandWord(w)));
      const out: Io = { stdout: '', stderr: '', code: 0 };
      for (const it of items) {
        this.local.set(c.name, it);
        const r = await this.runList(c.body, stdin);
        out.stdout = cap(out.stdout + r.stdout);
        out.stderr = cap(out.stderr + r.stderr);
        out.code = r.code;
      }
      return this.applyRedirects(out, c.redirects);
    }
    const name0 = c.words[0] ? literalOf(c.words[0]) : undefined;
    if (
      name0 !== undefined &&
      (commandBase(name0) === 'sh' || commandBase(name0) === 'bash') &&
      c.assigns.length === 0
    ) {
      const flag = c.words[1] ? literalOf(c.words[1]) : undefined;
      const script = c.words[2] ? scriptOf(c.words[2]) : undefined;
      if (flag === '-c' && script !== undefined && c.words.length === 3)
        return this.applyRedirects(await this.subshell(script), c.redirects);
    }
    let errs = '';
    const argv: string[] = [];
    for (const w of c.words) argv.push(...(await this.expandWord(w, (e) => (errs += e))));
    const values: [string, string][] = [];
    for (const a of c.assigns)
      values.push([a.name, (await this.expandWord(a.value, (e) => (errs += e), false)).join(' ')]);
    if (argv.length === 0) {
      for (const [k, v] of values) this.local.set(k, v);
      return this.applyRedirects({ stdout: '', stderr: errs, code: 0 }, c.redirects);
    }
    const r = await this.exec(argv, stdin);
    return this.applyRedirects({ ...r, stderr: errs + r.stderr }, c.redirects);
  }

  /** `sh -c SCRIPT`: a new interpreter that starts with a copy of this one's variables. */
  async subshell(script: string): Promise<Io> {
    let list: List;
    try {
      list = parseShell(script);
    } catch (e) {
      return fail(`sh: ${e instanceof Error ? e.message : String(e)}\n`, 2);
    }
    if (this.depth + 1 > SHELL_LIMITS.maxDepth) throw new Abort('sh -c nested too deeply');
    const child = new Interp(this.o);
    for (const [k, v] of this.local) child.local.set(k, v);
    child.steps = this.steps;
    child.depth = this.depth + 1;
    const r = await child.runList(list, '');
    this.steps = child.steps;
    return r;
  }

  /** Expands a word to fields: unquoted expansions of script variables split on blanks. */
  async expandWord(w: Word, onErr?: (s: string) => void, split = true): Promise<string[]> {
    const fields: string[] = [];
    let cur = '';
    let has = false;
    for (const p of w.parts) {
      let value: string;
      let splittable: boolean;
      if (p.t === 'lit') {
        cur += p.s;
        has = true;
        continue;
      }
      if (p.t === 'var') {
        const v = this.getVar(p.name);
        value = v.v;
        splittable = v.split && !p.q;
      } else {
        if (++this.depth > SHELL_LIMITS.maxDepth) throw new Abort('command substitutions nested too deeply');
        const r = await this.runList(p.list, '');
        this.depth--;
        if (onErr) onErr(r.stderr);
        value = r.stdout.replace(/\n+$/, '');
        splittable = !p.q;
      }
      if (!splittable || !split) {
        cur += value;
        if (p.q || value) has = true;
        continue;
      }
      const pieces = value.split(/[ \t\n]+/);
      for (let i = 0; i < pieces.length; i++) {
        const piece = pieces[i] as string;
        if (i > 0 && has) {
          fields.push(cur);
          cur = '';
          has = false;
        }
        if (piece) {
          cur += piece;
          has = true;
        }
      }
    }
    if (has) fields.push(cur);
    return fields;
  }

  async exec(argv: string[], stdin: string): Promise<Io> {
    const name = argv[0] as string;
    const base = commandBase(name);
    const args = argv.slice(1);
    const fn = (COMMANDS as Record<string, Cmd | undefined>)[base];
    if (fn) return fn(this, args, stdin);
    const allow = this.o.allowExec;
    if ((allow?.has(base) || allow?.has(name)) && this.o.host.exec) {
      const r = await this.o.host.exec(name, args, stdin, this.o.signal);
      if (r.timedOut) throw new Abort(`'${name}' timed out and was killed`);
      return { stdout: cap(r.stdout), stderr: cap(r.stderr), code: r.code };
    }
    return { stdout: '', stderr: `${name}: not supported\n`, code: 127 };
  }
}

function cap(s: string): string {
  if (s.length > SHELL_LIMITS.maxOutput) throw new Abort(`output over ${SHELL_LIMITS.maxOutput} bytes`);
  return s;
}

export interface ShellResult {
  output: string;
  code: number;
  /** Set when the run was stopped (timeout, a bound); output is what was produced before. */
  aborted?: string;
}

/**
 * Runs a parsed audit. stdout and stderr are combined, as kube-bench does; the exit code is the
 * last command's.
 */
export async function runShell(list: List, o: RunOptions): Promise<ShellResult> {
  const it = new Interp(o);
  try {
    const r = await it.runList(list, '');
    return { output: r.stdout + r.stderr, code: r.code };
  } catch (err) {
    if (err instanceof Abort) return { output: '', code: 124, aborted: err.message };
    throw err;
  }
}

// ---------------------------------------------------------------- commands

type Cmd = (it: Interp, args: string[], stdin: string) => Promise<Io>;
const ok = (stdout: string): Io => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string, code = 1): Io => ({ stdout: '', stderr, code });

/** Translates a POSIX basic (or extended) regular expression to a JavaScript one. */
export function posixRegex(re: string, extended: boolean, flags = ''): RegExp {
  let out = '';
  let i = 0;
  while (i < re.length) {
    const c = re[i] as string;
    if (c === '\\') {
      const n = re[i + 1] ?? '\\';
      i += 2;
      if (!extended && '(){}|+?'.includes(n)) out += n;
      else if (/[0-9]/.test(n)) out += `\\${n}`;
      else if (n === 'w' || n === 'W' || n === 's' || n === 'S' || n === 'b' || n === 'B') out += `\\${n}`;
      else out += n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      continue;
    }
    if (c === '[') {
      // bracket expression: copy to the closing ']' (a ']' first is literal), POSIX classes mapped
      let j = i + 1;
      let body = '';
      if (re[j] === '^') {
        body += '^';
        j++;
      }
      if (re[j] === ']') {
        body += '\\]';
        j++;
      }
      while (j < re.length && re[j] !== ']') {
        if (re[j] === '[' && re[j + 1] === ':') {
          const end = re.indexOf(':]', j + 2);
          if (end > 0) {
            const cls = re.slice(j + 2, end);
            const map: Record<string, string> = {
              alpha: 'A-Za-z',
              digit: '0-9',
              alnum: 'A-Za-z0-9',
              space: ' \\t\\n\\r\\f\\v',
              upper: 'A-Z',
              lower: 'a-z',
              punct: '!-\\/:-@\\[-`{-~',
              xdigit: '0-9A-Fa-f',
            };
            body += map[cls] ?? '';
            j = end + 2;
            continue;
          }
        }
        const ch = re[j] as string;
        body += ch === '\\' ? '\\\\' : ch;
        j++;
      }
      out += `[${body}]`;
      i = j + 1;
      continue;
    }
    if (!extended && '(){}|+?'.includes(c)) out += `\\${c}`;
    else if (c === '*' && (out === '' || out === '^')) out += '\\*';
    else out += c;
    i++;
  }
  return new RegExp(out, flags);
}

function lines(s: string): string[] {
  if (s === '') return [];
  const l = s.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

async function readInputs(
  it: Interp,
  files: string[],
  stdin: string,
  name: string,
): Promise<{ text: string; err: string; code: number }> {
  if (files.length === 0) return { text: stdin, err: '', code: 0 };
  let text = '';
  let err = '';
  let code = 0;
  for (const f of files) {
    if (f === '-') {
      text += stdin;
      continue;
    }
    try {
      text += await it.o.host.readFile(f, SHELL_LIMITS.maxOutput);
    } catch (e) {
      err += `${name}: ${f}: ${e instanceof Error ? e.message : String(e)}\n`;
      code = 2;
    }
  }
  return { text, err, code };
}

const pad = (n: number, w: number): string => String(n).padStart(w);

const ps: Cmd = async (it, args) => {
  let full = false;
  let all = false;
  let comm: string | undefined;
  let fmt: string | undefined;
  let headers = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--no-headers' || a === '--no-heading') headers = false;
    else if (a === '-o' || a === '-C') {
      const v = args[++i];
      if (v === undefined) return fail(`ps: ${a} needs an argument\n`);
      if (a === '-o') fmt = v;
      else comm = v;
    } else if (a.startsWith('-')) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j];
        if (f === 'e' || f === 'A') all = true;
        else if (f === 'f') full = true;
        else if (f === 'C') {
          comm = a.slice(j + 1) || args[++i];
          break;
        } else return fail(`ps: option -${f ?? ''} is not supported\n`);
      }
    } else return fail(`ps: argument '${a}' is not supported\n`);
  }
  void all;
  if (fmt !== undefined && fmt !== 'cmd' && fmt !== 'args' && fmt !== 'command')
    return fail(`ps: -o ${fmt} is not supported\n`);
  let procs = await it.o.host.processes();
  if (comm !== undefined) {
    const names = comm.split(',');
    procs = procs.filter((p) => names.includes(p.comm));
  }
  const cmdOf = (p: ProcInfo): string => (p.argv.length ? p.argv.join(' ') : `[${p.comm}]`);
  const rows: string[] = [];
  if (fmt !== undefined) {
    if (headers) rows.push('CMD');
    for (const p of procs) rows.push(cmdOf(p));
  } else if (full) {
    if (headers) rows.push('UID          PID    PPID  C STIME TTY          TIME CMD');
    for (const p of procs)
      rows.push(
        `${it.o.host.userName(p.uid).padEnd(8)} ${pad(p.pid, 7)} ${pad(p.ppid, 7)}  0 00:00 ?        00:00:00 ${cmdOf(p)}`,
      );
  } else {
    if (headers) rows.push('    PID TTY          TIME CMD');
    for (const p of procs) rows.push(`${pad(p.pid, 7)} ?        00:00:00 ${p.comm}`);
  }
  // procps exits 1 when -C matched nothing
  const code = comm !== undefined && procs.length === 0 ? 1 : 0;
  return { stdout: rows.map((r) => `${r}\n`).join(''), stderr: '', code };
};

const grep: Cmd = async (it, args, stdin) => {
  let invert = false;
  let quiet = false;
  let only = false;
  let icase = false;
  let extended = false;
  let fixed = false;
  let count = false;
  let after = 0;
  const patterns: string[] = [];
  const files: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a === '-e') {
      patterns.push(args[++i] ?? '');
      continue;
    }
    if (a.startsWith('-A')) {
      const n = a.length > 2 ? a.slice(2) : args[++i];
      after = Number(n);
      if (!Number.isInteger(after) || after < 0)
        return fail(`grep: invalid context length '${n ?? ''}'\n`, 2);
      continue;
    }
    for (const f of a.slice(1)) {
      if (f === 'v') invert = true;
      else if (f === 'q') quiet = true;
      else if (f === 'o') only = true;
      else if (f === 'i') icase = true;
      else if (f === 'E') extended = true;
      else if (f === 'F') fixed = true;
      else if (f === 'c') count = true;
      else if (f === 's' || f === 'h') continue;
      else return fail(`grep: option -${f} is not supported\n`, 2);
    }
  }
  const rest = args.slice(i);
  if (patterns.length === 0) {
    if (rest.length === 0) return fail('grep: no pattern\n', 2);
    patterns.push(rest.shift() as string);
  }
  files.push(...rest);
  const regs = patterns.map((p) =>
    fixed
      ? new RegExp(p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), icase ? 'gi' : 'g')
      : posixRegex(p, extended, icase ? 'gi' : 'g'),
  );
  const input = await readInputs(it, files, stdin, 'grep');
  const out: string[] = [];
  let matched = 0;
  let lastPrinted = -1;
  let afterLeft = 0;
  const ls = lines(input.text);
  for (let n = 0; n < ls.length; n++) {
    const line = ls[n] as string;
    const hit = regs.some((r) => {
      r.lastIndex = 0;
      return r.test(line);
    });
    if (hit !== invert) {
      matched++;
      if (only && !invert) {
        for (const r of regs) {
          r.lastIndex = 0;
          for (let m = r.exec(line); m; m = r.exec(line)) {
            if (m[0] === '') {
              r.lastIndex++;
              continue;
            }
            out.push(m[0]);
          }
        }
      } else {
        if (after > 0 && lastPrinted >= 0 && n > lastPrinted + 1) out.push('--');
        out.push(line);
        lastPrinted = n;
      }
      afterLeft = after;
    } else if (afterLeft > 0 && !only) {
      out.push(line);
      lastPrinted = n;
      afterLeft--;
    }
  }
  if (quiet) return { stdout: '', stderr: input.err, code: matched ? 0 : input.code || 1 };
  if (count) return { stdout: `${matched}\n`, stderr: input.err, code: matched ? 0 : 1 };
  return {
    stdout: out.map((l) => `${l}\n`).join(''),
    stderr: input.err,
    code: input.code === 2 && !matched ? 2 : matched ? 0 : 1,
  };
};

const stat: Cmd = async (it, args) => {
  let fmt: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-c' || a === '--format' || a === '--printf') fmt = args[++i];
    else if (a.startsWith('--format=')) fmt = a.slice(9);
    else if (a === '-L') continue;
    else if (a.startsWith('-') && a !== '-') return fail(`stat: option ${a} is not supported\n`);
    else files.push(a);
  }
  if (fmt === undefined) return fail('stat: only stat -c FORMAT is supported\n');
  if (files.length === 0) return fail("stat: missing operand\nTry 'stat --help' for more information.\n");
  let stdout = '';
  let stderr = '';
  let code = 0;
  for (const f of files) {
    const st = await it.o.host.stat(f);
    if (!st) {
      stderr += `stat: cannot statx '${f}': No such file or directory\n`;
      code = 1;
      continue;
    }
    stdout +=
      fmt.replace(/%([aAUGugsnF%])/g, (_m, k: string) => {
        switch (k) {
          case 'a':
            return (st.mode & 0o7777).toString(8);
          case 'U':
            return it.o.host.userName(st.uid);
          case 'G':
            return it.o.host.groupName(st.gid);
          case 'u':
            return String(st.uid);
          case 'g':
            return String(st.gid);
          case 's':
            return String(st.size);
          case 'n':
            return f;
          case 'F':
            return st.isDirectory ? 'directory' : st.isFile ? 'regular file' : 'other';
          case '%':
            return '%';
          default:
            return (st.mode & 0o7777).toString(8);
        }
      }) + '\n';
  }
  return { stdout, stderr, code };
};

const cat: Cmd = async (it, args, stdin) => {
  const files = args.filter((a) => a !== '--');
  if (files.some((f) => f.startsWith('-') && f !== '-')) return fail('cat: options are not supported\n');
  const r = await readInputs(it, files, stdin, 'cat');
  return { stdout: r.text, stderr: r.err, code: r.code ? 1 : 0 };
};

const awk: Cmd = async (it, args, stdin) => {
  let fs: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-F') fs = args[++i];
    else if (a.startsWith('-F')) fs = a.slice(2);
    else break;
  }
  const prog = args[i];
  const m =
    prog === undefined
      ? null
      : /^\s*\{\s*print(?:\s+(\$[0-9]+(?:\s*,\s*\$[0-9]+)*|\$0))?\s*;?\s*\}\s*$/.exec(prog);
  if (!m) return fail(`awk: only '{print $N}' programs are supported, not '${prog ?? ''}'\n`, 2);
  const fieldsWanted = m[1] ? m[1].split(',').map((s) => Number(s.trim().slice(1))) : [0];
  const input = await readInputs(it, args.slice(i + 1), stdin, 'awk');
  const sep =
    fs === undefined || fs === ' '
      ? undefined
      : fs.length === 1 && fs !== '\\'
        ? new RegExp(fs.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
        : posixRegex(fs, true);
  const out = lines(input.text).map((line) => {
    const fields =
      sep === undefined
        ? line
            .trim()
            .split(/[ \t]+/)
            .filter(Boolean)
        : line.split(sep);
    return fieldsWanted.map((n) => (n === 0 ? line : (fields[n - 1] ?? ''))).join(' ');
  });
  return { stdout: out.map((l) => `${l}\n`).join(''), stderr: input.err, code: input.code };
};

interface SedSub {
  re: RegExp;
  repl: string;
  global: boolean;
  print: boolean;
}

function parseSedScript(script: string, extended: boolean): SedSub[] {
  const subs: SedSub[] = [];
  for (const part of script.split(/\n|;(?=\s*s)/)) {
    const s = part.trim();
    if (!s) continue;
    if (s[0] !== 's' || s.length < 4) throw new Error(`only s commands are supported, not '${s}'`);
    const d = s[1] as string;
    const pieces: string[] = [];
    let cur = '';
    let i = 2;
    for (; i < s.length && pieces.length < 2; i++) {
      const c = s[i] as string;
      if (c === '\\' && s[i + 1] === d) {
        cur += d;
        i++;
      } else if (c === '\\') {
        cur += c + (s[i + 1] ?? '');
        i++;
      } else if (c === d) {
        pieces.push(cur);
        cur = '';
      } else cur += c;
    }
    if (pieces.length < 2) throw new Error(`unterminated s command '${s}'`);
    const flags = s.slice(i);
    if (!/^[gp0-9]*$/.test(flags)) throw new Error(`s flags '${flags}' are not supported`);
    subs.push({
      re: posixRegex(pieces[0] as string, extended, flags.includes('g') ? 'g' : ''),
      repl: pieces[1] as string,
      global: flags.includes('g'),
      print: flags.includes('p'),
    });
  }
  return subs;
}

function sedReplace(m: RegExpExecArray, repl: string): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i] as string;
    if (c === '\\') {
      const n = repl[i + 1] ?? '';
      i++;
      if (/[0-9]/.test(n)) out += m[Number(n)] ?? '';
      else if (n === 'n') out += '\n';
      else out += n;
    } else if (c === '&') out += m[0];
    else out += c;
  }
  return out;
}

const sed: Cmd = async (it, args, stdin) => {
  const scripts: string[] = [];
  let quiet = false;
  let extended = false;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-e') scripts.push(args[++i] ?? '');
    else if (a === '-n') quiet = true;
    else if (a === '-E' || a === '-r') extended = true;
    else if (a.startsWith('-') && a !== '-') return fail(`sed: option ${a} is not supported\n`);
    else if (scripts.length === 0) scripts.push(a);
    else files.push(a);
  }
  let subs: SedSub[];
  try {
    subs = scripts.flatMap((s) => parseSedScript(s, extended));
  } catch (e) {
    return fail(`sed: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  const input = await readInputs(it, files, stdin, 'sed');
  const out: string[] = [];
  for (let line of lines(input.text)) {
    let printed = false;
    for (const s of subs) {
      s.re.lastIndex = 0;
      let changed = false;
      line = line.replace(s.re, (...mm: unknown[]) => {
        changed = true;
        const groups = mm.slice(0, -2) as string[];
        const arr = Object.assign([...groups], { index: 0, input: line }) as unknown as RegExpExecArray;
        return sedReplace(arr, s.repl);
      });
      if (changed && s.print) {
        out.push(line);
        printed = true;
      }
    }
    if (!quiet) out.push(line);
    void printed;
  }
  return { stdout: out.map((l) => `${l}\n`).join(''), stderr: input.err, code: input.code };
};

function countArg(args: string[], name: string): { n: number; files: string[]; err?: string } {
  let n = 10;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    let v: string | undefined;
    if (a === '-n') v = args[++i];
    else if (a.startsWith('-n')) v = a.slice(2);
    else if (/^-[0-9]+$/.test(a)) v = a.slice(1);
    else if (a.startsWith('-') && a !== '-')
      return { n, files, err: `${name}: option ${a} is not supported\n` };
    else {
      files.push(a);
      continue;
    }
    n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      return { n, files, err: `${name}: invalid number of lines '${v ?? ''}'\n` };
  }
  return { n, files };
}

const head: Cmd = async (it, args, stdin) => {
  const a = countArg(args, 'head');
  if (a.err) return fail(a.err);
  const r = await readInputs(it, a.files, stdin, 'head');
  return {
    stdout: lines(r.text)
      .slice(0, a.n)
      .map((l) => `${l}\n`)
      .join(''),
    stderr: r.err,
    code: r.code ? 1 : 0,
  };
};

const tail: Cmd = async (it, args, stdin) => {
  const a = countArg(args, 'tail');
  if (a.err) return fail(a.err);
  const r = await readInputs(it, a.files, stdin, 'tail');
  const ls = lines(r.text);
  return {
    stdout: (a.n === 0 ? [] : ls.slice(-a.n)).map((l) => `${l}\n`).join(''),
    stderr: r.err,
    code: r.code ? 1 : 0,
  };
};

function trSet(s: string): string {
  let out = '';
  const esc = s.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
  for (let i = 0; i < esc.length; i++) {
    const c = esc[i] as string;
    if (esc[i + 1] === '-' && i + 2 < esc.length) {
      const end = esc.charCodeAt(i + 2);
      for (let k = c.charCodeAt(0); k <= end; k++) out += String.fromCharCode(k);
      i += 2;
    } else out += c;
  }
  return out;
}

const trSync = (_it: Interp, args: string[], stdin: string): Io => {
  if (args[0] === '-d' && args.length === 2) {
    const set = new Set(trSet(args[1] as string));
    return ok([...stdin].filter((c) => !set.has(c)).join(''));
  }
  if (args.length === 2 && !(args[0] as string).startsWith('-')) {
    const from = trSet(args[0] as string);
    const to = trSet(args[1] as string);
    return ok(
      [...stdin]
        .map((c) => {
          const k = from.indexOf(c);
          return k < 0 ? c : (to[Math.min(k, to.length - 1)] ?? c);
        })
        .join(''),
    );
  }
  return fail(`tr: only 'tr SET1 SET2' and 'tr -d SET' are supported\n`);
};
const tr: Cmd = (it, a, i) => Promise.resolve(trSync(it, a, i));

const wc: Cmd = async (it, args, stdin) => {
  const flags = args.filter((a) => a.startsWith('-'));
  const r = await readInputs(
    it,
    args.filter((a) => !a.startsWith('-')),
    stdin,
    'wc',
  );
  const l = (r.text.match(/\n/g) ?? []).length;
  const w = r.text.split(/\s+/).filter(Boolean).length;
  const c = Buffer.byteLength(r.text);
  const pick = flags.length === 0 ? [l, w, c] : flags.map((f) => (f === '-l' ? l : f === '-w' ? w : c));
  return { stdout: `${pick.join(' ')}\n`, stderr: r.err, code: r.code ? 1 : 0 };
};

const uniqSync = (_it: Interp, args: string[], stdin: string): Io => {
  if (args.length) return fail('uniq: options and files are not supported\n');
  const out: string[] = [];
  for (const l of lines(stdin)) if (out[out.length - 1] !== l) out.push(l);
  return ok(out.map((l) => `${l}\n`).join(''));
};
const uniq: Cmd = (it, a, i) => Promise.resolve(uniqSync(it, a, i));

function globToRegex(g: string): RegExp {
  let s = '';
  for (const c of g) {
    if (c === '*') s += '.*';
    else if (c === '?') s += '.';
    else s += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${s}$`);
}

const find: Cmd = async (it, args) => {
  const roots: string[] = [];
  let i = 0;
  while (i < args.length && !(args[i] as string).startsWith('-')) roots.push(args[i++] as string);
  let name: RegExp | undefined;
  let type: string | undefined;
  let mindepth = 0;
  let maxdepth = Infinity;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    const v = args[i + 1];
    if (a === '-name' && v !== undefined) name = globToRegex(v);
    else if (a === '-type' && (v === 'f' || v === 'd')) type = v;
    else if (a === '-mindepth' && v !== undefined) mindepth = Number(v);
    else if (a === '-maxdepth' && v !== undefined) maxdepth = Number(v);
    else return fail(`find: '${a}' is not supported\n`);
    i++;
  }
  if (roots.length === 0) roots.push('.');
  const out: string[] = [];
  let stderr = '';
  let code = 0;
  let seen = 0;
  const walk = async (p: string, depth: number): Promise<void> => {
    if (++seen > SHELL_LIMITS.maxFindEntries)
      throw new Abort(`find walked more than ${SHELL_LIMITS.maxFindEntries} entries`);
    it.tick();
    const st = await it.o.host.stat(p);
    if (!st) {
      stderr += `find: '${p}': No such file or directory\n`;
      code = 1;
      return;
    }
    const base = p.replace(/\/+$/, '').split('/').pop() ?? p;
    if (
      depth >= mindepth &&
      (!name || name.test(base)) &&
      (!type || (type === 'f' ? st.isFile : st.isDirectory))
    )
      out.push(p);
    if (st.isDirectory && depth < maxdepth) {
      let entries: string[];
      try {
        entries = (await it.o.host.readdir(p)).sort();
      } catch {
        stderr += `find: '${p}': Permission denied\n`;
        code = 1;
        return;
      }
      for (const e of entries) await walk(p.endsWith('/') ? `${p}${e}` : `${p}/${e}`, depth + 1);
    }
  };
  for (const r of roots) await walk(r, 0);
  return { stdout: out.map((l) => `${l}\n`).join(''), stderr, code };
};

const xargs: Cmd = async (it, args, stdin) => {
  let replace: string | undefined;
  let noRunIfEmpty = false;
  let perLine = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-I') replace = args[++i];
    else if (a.startsWith('-I') && a.length > 2) replace = a.slice(2);
    else if (a === '-r' || a === '--no-run-if-empty') noRunIfEmpty = true;
    else if (a === '-L') {
      perLine = true;
      i++;
    } else if (a.startsWith('-')) return fail(`xargs: option ${a} is not supported\n`);
    else break;
  }
  const cmd = args.slice(i);
  if (cmd.length === 0) cmd.push('echo');
  const result: Io = { stdout: '', stderr: '', code: 0 };
  const run = async (argv: string[]): Promise<void> => {
    it.tick();
    const r = await it.exec(argv, '');
    result.stdout = cap(result.stdout + r.stdout);
    result.stderr = cap(result.stderr + r.stderr);
    if (r.code !== 0) result.code = 123;
  };
  if (replace !== undefined) {
    const rep = replace;
    for (const l of lines(stdin)) {
      const item = l.trim();
      if (!item) continue;
      await run(cmd.map((c) => c.split(rep).join(item)));
    }
    return result;
  }
  const splitItems = (s: string): string[] => {
    const items: string[] = [];
    const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
    for (let m = re.exec(s); m; m = re.exec(s)) items.push(m[1] ?? m[2] ?? m[3] ?? '');
    return items;
  };
  if (perLine) {
    for (const l of lines(stdin)) {
      const items = splitItems(l);
      if (items.length) await run([...cmd, ...items]);
    }
    return result;
  }
  const items = splitItems(stdin);
  if (items.length === 0 && noRunIfEmpty) return result;
  await run([...cmd, ...items]);
  return result;
};

const echoSync = (_it: Interp, args: string[]): Io => {
  let nl = true;
  let a = args;
  while (a[0] === '-n' || a[0] === '-e' || a[0] === '-E') {
    if (a[0] === '-n') nl = false;
    a = a.slice(1);
  }
  return ok(a.join(' ') + (nl ? '\n' : ''));
};
const echo: Cmd = (it, a) => Promise.resolve(echoSync(it, a));

const testCmd = async (it: Interp, args: string[], bracket: boolean): Promise<Io> => {
  let a = args;
  if (bracket) {
    if (a[a.length - 1] !== ']') return fail("[: missing ']'\n", 2);
    a = a.slice(0, -1);
  }
  const evalExpr = async (x: string[]): Promise<boolean | string> => {
    if (x[0] === '!' && x.length > 1) {
      const r = await evalExpr(x.slice(1));
      return typeof r === 'string' ? r : !r;
    }
    if (x.length === 0) return false;
    if (x.length === 1) return (x[0] as string) !== '';
    if (x.length === 2) {
      const [op, v] = x as [string, string];
      switch (op) {
        case '-z':
          return v === '';
        case '-n':
          return v !== '';
        case '-e':
        case '-f':
        case '-d':
        case '-s':
        case '-r': {
          const st = await it.o.host.stat(v);
          if (!st) return false;
          if (op === '-f') return st.isFile;
          if (op === '-d') return st.isDirectory;
          if (op === '-s') return st.size > 0;
          return true;
        }
        default:
          return `test: unknown unary operator '${op}'`;
      }
    }
    if (x.length === 3) {
      const [l, op, r] = x as [string, string, string];
      switch (op) {
        case '=':
        case '==':
          return l === r;
        case '!=':
          return l !== r;
        case '-eq':
        case '-ne':
        case '-gt':
        case '-ge':
        case '-lt':
        case '-le': {
          const a1 = Number(l);
          const b1 = Number(r);
          if (!Number.isInteger(a1) || !Number.isInteger(b1)) return `test: integer expression expected`;
          return op === '-eq'
            ? a1 === b1
            : op === '-ne'
              ? a1 !== b1
              : op === '-gt'
                ? a1 > b1
                : op === '-ge'
                  ? a1 >= b1
                  : op === '-lt'
                    ? a1 < b1
                    : a1 <= b1;
        }
        default:
          return `test: unknown binary operator '${op}'`;
      }
    }
    return `test: too many arguments`;
  };
  const r = await evalExpr(a);
  if (typeof r === 'string') return fail(`${r}\n`, 2);
  return { stdout: '', stderr: '', code: r ? 0 : 1 };
};

const sh: Cmd = async (it, args) => {
  if (args[0] !== '-c' || args[1] === undefined) return fail('sh: only sh -c SCRIPT is supported\n', 2);
  let list: List;
  try {
    list = parseShell(args[1]);
  } catch (e) {
    return fail(`sh: ${e instanceof Error ? e.message : String(e)}\n`, 2);
  }
  void list;
  return it.subshell(args[1]);
};

const COMMANDS: Record<(typeof NATIVE_COMMANDS)[number], Cmd> = {
  ps,
  grep,
  stat,
  cat,
  awk,
  sed,
  head,
  tail,
  tr,
  find,
  wc,
  xargs,
  echo,
  test: (it, a) => testCmd(it, a, false),
  '[': (it, a) => testCmd(it, a, true),
  true: () => Promise.resolve(ok('')),
  false: () => Promise.resolve({ stdout: '', stderr: '', code: 1 }),
  uniq,
  sh,
  bash: sh,
};
