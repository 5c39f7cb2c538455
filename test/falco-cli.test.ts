/**
 * `palisade runtime validate|replay`, driven in-process through the real CLI:
 * exit codes, Falco-style validation output with codes and positions, and
 * alert lines (text and JSON) checked against the upstream fixture traces.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../packages/platform/src/cli/program.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await run(args, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, out, err };
}

const falco = sharedData('conformance', 'falco');
const fixtures = join(falco, 'k8saudit-fixtures');
const k8sRules = join(falco, 'k8saudit', 'k8s_audit_rules.yaml');

describe('palisade runtime validate', () => {
  it('accepts the upstream k8s audit rules with exit code 0 and prints the counts', async () => {
    const r = await cli(['runtime', 'validate', '-r', k8sRules]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${k8sRules}: Ok`);
    expect(r.out).toMatch(/\d+ rules, \d+ macros, \d+ lists/);
  });

  it('reports a broken rule with its code, item, position and snippet, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-rt-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(
      f,
      '- macro: m\n  condition: evt.type=open\n- rule: r\n  desc: d\n  condition: m and proc.name = cat foo\n  output: o\n  priority: WARNING\n',
    );
    const r = await cli(['runtime', 'validate', '-r', f]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${f}: Invalid`);
    expect(r.out).toContain(
      `${f}:5:14: error LOAD_ERR_COMPILE_CONDITION (Error compiling condition): unexpected token after 'cat', expecting 'or', 'and' [rule 'r'] (condition 1:23)`,
    );
    // `foo` starts at index 22 of the condition: column 23
    expect(r.out).toContain('    |   condition: m and proc.name = cat foo');
  });

  it('prints Falco-style JSON load results', async () => {
    const f = join(falco, 'falco-legacy-tests', 'rules', 'invalid_rule_without_output.yaml');
    const r = await cli(['runtime', 'validate', '-r', f, '--format', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out) as {
      falco_load_results: {
        successful: boolean;
        errors: { code: string; message: string; context: { item_name: string } }[];
      }[];
    };
    expect(doc.falco_load_results[0]?.successful).toBe(false);
    expect(doc.falco_load_results[0]?.errors[0]).toMatchObject({
      code: 'LOAD_ERR_YAML_VALIDATE',
      message: "Item has no mapping for key 'output'",
      context: { item_name: 'no output rule' },
    });
  });

  it('exits 2 when a rules file does not exist', async () => {
    const r = await cli(['runtime', 'validate', '-r', '/nonexistent/rules.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('E_NOT_FOUND');
  });
});

describe('palisade runtime replay', () => {
  const rules = [
    '-r',
    join(fixtures, 'falco_rules.falco-rules-1.0.1.yaml'),
    '-r',
    join(fixtures, 'k8s_audit_rules.plugin-v0.6.0.yaml'),
  ];

  it('prints Falco text alert lines for a privileged pod', async () => {
    const trace = join(fixtures, 'trace_files', 'create_nginx_pod_privileged.json');
    const r = await cli(['runtime', 'replay', ...rules, trace]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    // <HH:MM:SS.nnnnnnnnn>: <Priority> <output>, the output per the rule's format
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{9}: Warning Pod started with privileged container \(user=system:serviceaccount:kube-system:replicaset-controller pod=nginx-deployment-5cdcc99dbf-\S+ resource=pods ns=default images=\(nginx\)\)$/,
    );
    expect(r.err).toContain('1 events, 1 alerts');
  });

  it('prints Falco JSON alert lines with sorted keys, <NA>/null for missing fields and ISO time', async () => {
    const trace = join(fixtures, 'trace_files', 'create_nginx_pod_privileged.json');
    const r = await cli(['runtime', 'replay', ...rules, trace, '--format', 'json', '--hostname', 'node-1']);
    expect(r.code).toBe(0);
    const line = r.out.trim();
    const a = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(a)).toEqual([
      'hostname',
      'output',
      'output_fields',
      'priority',
      'rule',
      'source',
      'tags',
      'time',
    ]);
    expect(a).toMatchObject({
      hostname: 'node-1',
      priority: 'Warning',
      rule: 'Create Privileged Pod',
      source: 'k8s_audit',
      tags: ['k8s'],
    });
    // the trace's stageTimestamp is 2018-10-25T14:09:12.xxx; Falco prints nanoseconds
    expect(a['time']).toMatch(/^2018-10-25T14:09:1\d\.\d{9}Z$/);
    expect(a['output_fields']).toMatchObject({
      'ka.target.resource': 'pods',
      'ka.req.pod.containers.image': '(nginx)',
    });
  });

  it('--match all reports every matching rule, the default only the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-rt-'));
    const f = join(dir, 'two.yaml');
    writeFileSync(
      f,
      ['first', 'second']
        .map(
          (n) =>
            `- rule: ${n}\n  desc: d\n  condition: ka.verb=create\n  output: ${n} %ka.verb\n  priority: NOTICE\n  source: k8s_audit\n`,
        )
        .join(''),
    );
    const trace = join(fixtures, 'trace_files', 'create_nginx_pod_privileged.json');
    const first = await cli(['runtime', 'replay', '-r', f, trace]);
    const all = await cli(['runtime', 'replay', '-r', f, trace, '--match', 'all']);
    expect(first.out.trim().split('\n')).toHaveLength(1);
    expect(first.out).toMatch(/: Notice first create$/m);
    expect(all.out.trim().split('\n')).toHaveLength(2);
    expect(all.out).toMatch(/: Notice second create$/m);
  });

  it('skips unreadable events with a warning and keeps going', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-rt-'));
    const f = join(dir, 'events.jsonl');
    const good = readTrace('create_nginx_pod_privileged.json');
    writeFileSync(f, `${good}\n{not json\n${'['.repeat(200)}${']'.repeat(200)}\n${good}\n`);
    const r = await cli(['runtime', 'replay', ...rules, f]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(2);
    expect(r.err).toContain('events.jsonl:2: invalid JSON');
    expect(r.err).toContain('events.jsonl:3: JSON nested deeper than 64 levels');
    expect(r.err).toContain('2 events, 2 alerts, 2 unreadable events skipped');
  });
});

function readTrace(name: string): string {
  return readFileSyncUtf8(join(fixtures, 'trace_files', name)).trim();
}

import { readFileSync } from 'node:fs';
function readFileSyncUtf8(p: string): string {
  return readFileSync(p, 'utf8');
}
