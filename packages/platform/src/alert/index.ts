/**
 * Alert forwarding: every output listed here by kind (one file each), a queue
 * in front of each (queue.ts) and a router that fans alerts out to all of them.
 *
 *   const router = createAlertRouter(parseAlertConfig(file, { env }).outputs, { logger });
 *   router.publish(alert);            // never blocks, never throws
 *   router.metrics.snapshot();        // { <output name>: { sent, failed, dropped, … } }
 *   await router.close();             // flushes, then stops
 */
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import type { AlertOutputSpec } from '../config/alert.js';
import { createAlertmanagerOutput } from './alertmanager.js';
import { createElasticsearchOutput } from './elasticsearch.js';
import { createFileOutput } from './file.js';
import { createLokiOutput } from './loki.js';
import { AlertMetrics } from './metrics.js';
import type { AlertOutput, OutputKind } from './output.js';
import { OutputQueue } from './queue.js';
import { createSlackOutput } from './slack.js';
import { createStdoutOutput } from './stdout.js';
import type { FalcoAlert } from './types.js';
import { createWebhookOutput } from './webhook.js';

export type { AlertOutput, DeliveryUnit, OutputKind, QueueOptions } from './output.js';
export type { FalcoAlert, Priority } from './types.js';
export type { OutputCounters, MetricsSnapshot } from './metrics.js';
export { AlertMetrics } from './metrics.js';
export { OutputQueue } from './queue.js';
export { checkAlert, parsePriority, atLeast } from './types.js';

type Factory<K extends OutputKind> = (
  options: Extract<AlertOutputSpec, { kind: K }>['options'],
) => AlertOutput;

/** Every output kind and the file that implements it (test: names match files). */
export const OUTPUTS: { [K in OutputKind]: { file: string; create: Factory<K> } } = {
  stdout: { file: 'stdout.ts', create: (o) => createStdoutOutput(o) },
  file: { file: 'file.ts', create: createFileOutput },
  webhook: { file: 'webhook.ts', create: createWebhookOutput },
  slack: { file: 'slack.ts', create: createSlackOutput },
  loki: { file: 'loki.ts', create: createLokiOutput },
  alertmanager: { file: 'alertmanager.ts', create: createAlertmanagerOutput },
  elasticsearch: { file: 'elasticsearch.ts', create: createElasticsearchOutput },
};

export function createOutput(spec: AlertOutputSpec): AlertOutput {
  const entry = OUTPUTS[spec.kind] as { create: (o: AlertOutputSpec['options']) => AlertOutput };
  return entry.create({ ...spec.options, name: spec.name });
}

export interface AlertRouterDeps {
  logger?: Logger;
  metrics?: AlertMetrics;
  /** Builds an output from its spec (tests pass their own streams). */
  create?: (spec: AlertOutputSpec) => AlertOutput;
}

export class AlertRouter {
  readonly metrics: AlertMetrics;
  readonly queues: readonly OutputQueue[];

  constructor(queues: OutputQueue[], metrics: AlertMetrics) {
    this.queues = queues;
    this.metrics = metrics;
  }

  /** Hands the alert to every output's queue. */
  publish(alert: FalcoAlert): void {
    for (const q of this.queues) q.push(alert);
  }

  /** Sends everything queued now. */
  async flush(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.flush()));
  }

  /** Flushes (unless drain is false) and stops every output. */
  async close(drain = true): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close(drain)));
  }
}

export function createAlertRouter(
  specs: readonly AlertOutputSpec[],
  deps: AlertRouterDeps = {},
): AlertRouter {
  const metrics = deps.metrics ?? new AlertMetrics();
  const logger = (deps.logger ?? nullLogger).child({ component: 'alert' });
  const create = deps.create ?? createOutput;
  const queues = specs.map((spec) => {
    const output = create(spec);
    logger.info({ output: output.name, kind: output.kind, target: output.target }, 'alert output ready');
    return new OutputQueue(output, spec.queue, spec.retry, { counters: metrics.output(spec.name), logger });
  });
  return new AlertRouter(queues, metrics);
}
