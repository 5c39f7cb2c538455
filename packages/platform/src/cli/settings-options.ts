/** Builds commander options from the one settings table, and reads them back. */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { SettingDecl, SettingName } from '../config/settings.js';
import { settings } from '../config/settings.js';

export function addSettingOptions(cmd: Command, names: readonly SettingName[]): Command {
  for (const name of names) {
    const d = settings[name] as SettingDecl<unknown>;
    const def =
      typeof d.default === 'function'
        ? ''
        : d.default === '' || d.default === false
          ? ''
          : ` (default: ${String(d.default)})`;
    const flags =
      d.type === 'boolean' ? `--${d.flag}` : `--${d.flag} <${d.type === 'number' ? 'n' : 'value'}>`;
    // commander checks a choice against the whole argument, so lists (`vuln,secret`) are checked item by item in config/resolve.ts.
    const listChoices = d.type === 'list' && d.choices ? `; any of ${d.choices.join(', ')}` : '';
    const opt = new Option(flags, `${d.description}${listChoices}${def} [env ${d.env}]`);
    if (d.choices && d.type !== 'list') opt.choices([...d.choices]);
    cmd.addOption(opt);
  }
  return cmd;
}

/** commander keys options by camelCased flag; map them back to setting names. */
export function flagValues(
  opts: Record<string, unknown>,
  names: readonly SettingName[],
): Partial<Record<SettingName, unknown>> {
  const out: Partial<Record<SettingName, unknown>> = {};
  for (const name of names) {
    const key = settings[name].flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    // `--no-cache` is a negation in commander: it sets `cache: false`.
    if (name === 'noCache') {
      if (opts['cache'] === false) out.noCache = true;
      continue;
    }
    if (opts[key] !== undefined) out[name] = opts[key];
  }
  return out;
}
