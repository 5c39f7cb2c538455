/**
 * Slack: an incoming-webhook message with one attachment, built as
 * falcosidekick's slack output builds it: fields rule, priority, source,
 * hostname, tags, then the string output fields sorted by name (short when
 * under 36 characters), then time (Go's time.Time.String()); the output as
 * text and fallback; the colour of the priority; footer and icon.
 * One request per alert (a webhook message is one alert).
 */
import { goTimeString } from './gotime.js';
import type { AlertOutput, HttpOutputOptions } from './output.js';
import { httpUnit } from './output.js';
import { redactUrl } from './redact.js';
import type { FalcoAlert, Priority } from './types.js';

export interface SlackOutputOptions extends HttpOutputOptions {
  name?: string;
  /** `all` (default): text and fields; `text`: the output only; `fields`: fields only. */
  outputFormat?: 'all' | 'text' | 'fields';
  username?: string;
  icon?: string;
  channel?: string;
  footer?: string;
  /** Message text above the attachment (falcosidekick's messageformat, without Go templates). */
  messageText?: string;
}

export const SLACK_DEFAULTS = {
  username: 'Falcosidekick',
  icon: 'https://raw.githubusercontent.com/falcosecurity/falcosidekick/master/imgs/falcosidekick.png',
  footer: 'https://github.com/falcosecurity/falcosidekick',
} as const;

/** falcosidekick's colours per priority (outputs/constants.go). */
export const SLACK_COLORS: Record<Priority, string> = {
  Emergency: '#e20b0b',
  Alert: '#ff5400',
  Critical: '#ff5400',
  Error: '#e20b0b',
  Warning: '#ffc700',
  Notice: '#5bffb5',
  Informational: '#68c2ff',
  Debug: '#ccfff2',
};

interface SlackField {
  title: string;
  value: string;
  short: boolean;
}

export function slackPayload(
  a: FalcoAlert,
  o: Omit<SlackOutputOptions, 'url'> = {},
): Record<string, unknown> {
  const format = o.outputFormat ?? 'all';
  let fields: SlackField[] | null = null;
  let footer: string | undefined;
  if (format === 'all' || format === 'fields') {
    fields = [
      { title: 'rule', value: a.rule, short: true },
      { title: 'priority', value: a.priority, short: true },
      { title: 'source', value: a.source, short: true },
    ];
    if (a.hostname !== '') fields.push({ title: 'hostname', value: a.hostname, short: true });
    if (a.tags.length > 0) fields.push({ title: 'tags', value: [...a.tags].sort().join(', '), short: true });
    for (const k of Object.keys(a.output_fields).sort()) {
      const v = a.output_fields[k];
      if (typeof v !== 'string') continue;
      fields.push({ title: k, value: v, short: [...v].length < 36 });
    }
    fields.push({ title: 'time', value: goTimeString(a.time), short: false });
    footer = o.footer ?? SLACK_DEFAULTS.footer;
  }
  const attachment: Record<string, unknown> = { fallback: a.output, color: SLACK_COLORS[a.priority] };
  if (format === 'all' || format === 'text') attachment['text'] = a.output;
  attachment['fields'] = fields;
  if (footer) attachment['footer'] = footer;
  const payload: Record<string, unknown> = {};
  if (o.messageText) payload['text'] = o.messageText;
  const username = o.username ?? SLACK_DEFAULTS.username;
  if (username) payload['username'] = username;
  const icon = o.icon ?? SLACK_DEFAULTS.icon;
  if (icon) payload['icon_url'] = icon;
  if (o.channel) payload['channel'] = o.channel;
  payload['attachments'] = [attachment];
  return payload;
}

export function createSlackOutput(o: SlackOutputOptions): AlertOutput {
  return {
    name: o.name ?? 'slack',
    kind: 'slack',
    target: redactUrl(o.url),
    units: (batch) =>
      batch.map((a) => httpUnit(o, 1, JSON.stringify(slackPayload(a, o)), 'application/json')),
  };
}
