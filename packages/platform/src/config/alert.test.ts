/** The `alert:` section of palisade.yaml: defaults, overrides, env expansion, coded errors. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PalisadeError } from '../core/errors.js';
import { parseAlertConfig, parseDuration } from './alert.js';

const file = (text: string): Record<string, unknown> => parse(text) as Record<string, unknown>;

describe('alert config', () => {
  it('has no outputs without an alert section', () => {
    expect(parseAlertConfig(undefined, { env: {} })).toEqual({ outputs: [] });
    expect(parseAlertConfig({ format: 'json' }, { env: {} })).toEqual({ outputs: [] });
  });

  it('applies defaults, per-output overrides and ${VAR} from the environment', () => {
    const cfg = parseAlertConfig(
      file(`
alert:
  defaults:
    minimumPriority: notice
    flushInterval: 2s
    dedupWindow: 1m
    timeout: 5s
    retry: { maxAttempts: 3, initialBackoff: 200ms }
  outputs:
    - type: slack
      name: sec-slack
      url: \${SLACK_URL}
      minimumPriority: warning
      channel: "#security"
    - type: alertmanager
      url: http://am:9093
      expiresAfter: 10m
      extraLabels: { cluster: prod }
      customSeverityMap: { critical: page }
      dropEventThresholds: "100:critical, 10:warning"
      batchSize: 50
    - type: loki
      url: http://loki:3100
      extraLabels: user.name, k8s.ns.name
      headers: { X-Team: sec }
      tls: { insecureSkipVerify: true }
`),
      { env: { SLACK_URL: 'https://hooks.slack.com/services/T/B/x' } },
    );
    expect(cfg.outputs.map((o) => [o.name, o.kind])).toEqual([
      ['sec-slack', 'slack'],
      ['alertmanager', 'alertmanager'],
      ['loki', 'loki'],
    ]);
    const [slack, am, loki] = cfg.outputs;
    expect(slack?.queue).toEqual({
      minimumPriority: 'Warning',
      batchSize: 100,
      flushIntervalMs: 2000,
      queueSize: 10000,
      dropPolicy: 'oldest',
      dedupWindowMs: 60000,
    });
    expect(slack?.retry).toEqual({
      maxAttempts: 3,
      initialBackoffMs: 200,
      maxBackoffMs: 30000,
      maxRetryAfterMs: 60000,
    });
    expect(slack?.options).toEqual({
      name: 'sec-slack',
      url: 'https://hooks.slack.com/services/T/B/x',
      timeoutMs: 5000,
      channel: '#security',
    });
    expect(am?.queue.minimumPriority).toBe('Notice');
    expect(am?.queue.batchSize).toBe(50);
    expect(am?.options).toEqual({
      name: 'alertmanager',
      url: 'http://am:9093',
      timeoutMs: 5000,
      expiresAfter: 600,
      extraLabels: { cluster: 'prod' },
      customSeverityMap: { Critical: 'page' },
      dropEventThresholds: [
        { value: 100, priority: 'Critical' },
        { value: 10, priority: 'Warning' },
      ],
    });
    expect(loki?.options).toEqual({
      name: 'loki',
      url: 'http://loki:3100',
      headers: { 'X-Team': 'sec' },
      tls: { insecureSkipVerify: true },
      timeoutMs: 5000,
      extraLabels: ['user.name', 'k8s.ns.name'],
    });
  });

  it('reads TLS files through the reader it is given', () => {
    const cfg = parseAlertConfig(
      file(`
alert:
  outputs:
    - type: webhook
      url: https://hook.example
      tls: { caFile: /ca.pem, certFile: /c.pem, keyFile: /k.pem, serverName: hook.internal }
`),
      { env: {}, readFile: (p) => `PEM of ${p}` },
    );
    expect(cfg.outputs[0]?.options).toMatchObject({
      tls: { ca: 'PEM of /ca.pem', cert: 'PEM of /c.pem', key: 'PEM of /k.pem', serverName: 'hook.internal' },
    });
  });

  it.each([
    [
      'an unknown output type',
      'alert:\n  outputs:\n    - type: pagerduty',
      /alert\.outputs\[0\]\.type: expected one of/,
    ],
    [
      'an unknown key',
      'alert:\n  outputs:\n    - type: slack\n      url: http://x\n      colour: red',
      /alert\.outputs\[0\]\.colour: unknown key/,
    ],
    ['a missing url', 'alert:\n  outputs:\n    - type: loki', /needs a url/],
    ['a bad priority', 'alert:\n  defaults:\n    minimumPriority: severe', /Falco priority/],
    ['a bad duration', 'alert:\n  defaults:\n    flushInterval: soon', /duration/],
    ['an unset variable', 'alert:\n  outputs:\n    - type: webhook\n      url: ${HOOK}', /HOOK is not set/],
    ['two outputs with one name', 'alert:\n  outputs:\n    - type: stdout\n    - type: stdout', /used twice/],
    [
      'a cert without its key',
      'alert:\n  outputs:\n    - type: webhook\n      url: https://x\n      tls: { certFile: /c }',
      /go together/,
    ],
  ])('rejects %s with E_CONFIG', (_name, text, message) => {
    let err: unknown;
    try {
      parseAlertConfig(file(text), { env: {}, readFile: () => 'pem' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('E_CONFIG');
    expect((err as PalisadeError).message).toMatch(message);
  });

  it('does not echo a URL that fails to parse (it may hold a token)', () => {
    expect(() =>
      parseAlertConfig(file('alert:\n  outputs:\n    - type: slack\n      url: "not a url/T0/SECRET"'), {
        env: {},
      }),
    ).toThrow(/^config key alert\.outputs\[0\]\.url: not a valid URL$/);
  });

  it.each([
    ['500ms', 500],
    ['1.5s', 1500],
    ['2m', 120000],
    ['1h', 3600000],
    [10, 10000],
    ['10', 10000],
  ])('reads the duration %j as %i ms', (v, ms) => {
    expect(parseDuration(v, 'x')).toBe(ms);
  });
});
