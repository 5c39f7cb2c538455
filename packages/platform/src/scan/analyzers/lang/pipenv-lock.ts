/**
 * Pipfile.lock (pipenv), as Trivy's pipenv parser reads it: the `default`
 * section only (the `develop` section is development-only), version without
 * its `==`, and the line range of each entry.
 */
import type { Package } from '@palisade/api';
import { lockfileAnalyzer } from '../lib/file-analyzer.js';
import { isJsonObject, objectField, parseJsonLocated, stringField } from '../lib/json-located.js';
import { sortPackages } from '../lib/package-order.js';

/** Parses Pipfile.lock text; throws JsonSyntaxError (with a line) for malformed JSON. */
export function parsePipenvLock(text: string): Package[] {
  const doc = parseJsonLocated(text);
  if (!isJsonObject(doc.value)) return [];
  const out: Package[] = [];
  for (const [name, dep] of Object.entries(objectField(doc.value, 'default') ?? {})) {
    if (!isJsonObject(dep)) continue;
    const pkg: Package = { name, version: (stringField(dep, 'version') ?? '').replace(/^=+/, '') };
    const range = doc.rangeOf(dep);
    if (range) pkg.locations = [{ ...range }];
    out.push(pkg);
  }
  return sortPackages(out);
}

export const analyzer = lockfileAnalyzer({
  name: 'lang/pipenv-lock',
  version: 1,
  fileName: 'Pipfile.lock',
  type: 'pipenv',
  parse: parsePipenvLock,
});
