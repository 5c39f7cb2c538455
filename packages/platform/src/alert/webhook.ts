/**
 * webhook: the Falco JSON alert as the request body, one request per alert,
 * as falcosidekick's webhook output posts it (method POST or PUT, custom headers).
 */
import type { AlertOutput, HttpOutputOptions } from './output.js';
import { httpUnit } from './output.js';
import { redactUrl } from './redact.js';
import type { FalcoAlert } from './types.js';

export interface WebhookOutputOptions extends HttpOutputOptions {
  name?: string;
  method?: 'POST' | 'PUT';
}

export const webhookBody = (a: FalcoAlert): string => JSON.stringify(a);

export function createWebhookOutput(o: WebhookOutputOptions): AlertOutput {
  return {
    name: o.name ?? 'webhook',
    kind: 'webhook',
    target: redactUrl(o.url),
    units: (batch) =>
      batch.map((a) => httpUnit(o, 1, webhookBody(a), 'application/json', o.url, o.method ?? 'POST')),
  };
}
