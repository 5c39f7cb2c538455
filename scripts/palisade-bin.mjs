// How the `palisade` binary runs: Node with the flags of the bundle's launcher lines (docs/adr/0019, written
// by packages/platform/bundle.mjs), then the bundle. Scripts and benchmarks that start the CLI with
// process.execPath use this so that they run it as npm's bin link and a shell do.
import { readFileSync } from 'node:fs';

/** The arguments after `node` that run the bundle at `bin` as its launcher does: [...nodeFlags, bin]. */
export function palisadeNodeArgs(bin) {
  const [first, second] = readFileSync(bin, 'utf8').slice(0, 512).split('\n', 2);
  const m = /^":" \/\/; exec node((?: --[\w-]+(?:=\S+)?)*) "\$0" "\$@"$/.exec(second ?? '');
  if (first !== '#!/bin/sh' || !m)
    throw new Error(
      `${bin}: expected the launcher lines of packages/platform/bundle.mjs first, found ${JSON.stringify(`${first}\n${second}`)}`,
    );
  return [...m[1].split(' ').filter(Boolean), bin];
}
