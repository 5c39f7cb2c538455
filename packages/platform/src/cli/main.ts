#!/usr/bin/env node
/** The `palisade` binary. The only place that calls process.exit. */
import { run } from './program.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));
process.once('SIGTERM', () => controller.abort(new Error('terminated')));

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
// Let stdout drain; exit explicitly so lingering handles (a registry keep-alive) do not hold the process.
process.stdout.write('', () => process.exit(code));
