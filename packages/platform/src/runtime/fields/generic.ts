/**
 * evt.* fields every event source has (libsinsp's generic event fields for
 * plugin sources: number, time, source, hostname …).
 */
import type { FieldDef, FieldValue, RuntimeEvent } from './types.js';
import { clockTime, dateTime, iso8601, rawTime } from './time.js';

const simple = (
  name: string,
  type: FieldDef['type'],
  desc: string,
  fn: (e: RuntimeEvent) => FieldValue,
): FieldDef => ({ name, type, desc, extractor: () => fn });

export const GENERIC_FIELDS: readonly FieldDef[] = [
  simple('evt.num', 'uint64', 'event number', (e) => e.num),
  simple('evt.time', 'string', 'event timestamp as HH:MM:SS.nnnnnnnnn (local time)', (e) =>
    clockTime(e.sec, e.nsec),
  ),
  simple('evt.time.s', 'string', 'event timestamp as HH:MM:SS', (e) => clockTime(e.sec, 0).slice(0, 8)),
  simple('evt.time.iso8601', 'string', 'event timestamp in ISO 8601 format, UTC', (e) =>
    iso8601(e.sec, e.nsec),
  ),
  simple('evt.datetime', 'string', 'event timestamp as YYYY-MM-DD HH:MM:SS.nnnnnnnnn', (e) =>
    dateTime(e.sec, e.nsec),
  ),
  simple('evt.datetime.s', 'string', 'event timestamp as YYYY-MM-DD HH:MM:SS', (e) =>
    dateTime(e.sec, 0).slice(0, 19),
  ),
  simple('evt.rawtime', 'abstime', 'absolute event timestamp, nanoseconds since the epoch', (e) =>
    rawTime(e.sec, e.nsec),
  ),
  simple('evt.rawtime.s', 'abstime', 'integer part of the event timestamp', (e) => e.sec),
  simple('evt.rawtime.ns', 'abstime', 'fractional part of the event timestamp', (e) => e.nsec),
  simple('evt.source', 'string', 'name of the event source', (e) => e.source),
  simple('evt.hostname', 'string', 'host the event was produced on', (e) => e.hostname),
  simple('evt.pluginname', 'string', 'plugin that generated the event', (e) =>
    e.source === 'syscall' ? undefined : e.source === 'k8s_audit' ? 'k8saudit' : e.source,
  ),
  simple('evt.plugininfo', 'string', 'summary of the event as the source renders it', (e) =>
    e.raw !== undefined ? e.raw : undefined,
  ),
  simple('evt.is_async', 'bool', 'whether the event is asynchronous', () => false),
  simple('evt.asynctype', 'string', 'type of an asynchronous event', () => undefined),
];
