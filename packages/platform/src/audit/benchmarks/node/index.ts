/** The node benchmark: kube-bench's CIS definitions run by a safe audit interpreter (docs/benchmark-node.md). */
export * from './controls.js';
export * from './evaluate.js';
export * from './format.js';
export * from './host.js';
export * from './jsonpath.js';
export * from './runner.js';
export {
  checkSupported,
  NATIVE_COMMANDS,
  parseShell,
  posixRegex,
  runShell,
  SHELL_LIMITS,
  ShellSyntaxError,
} from './shell.js';
export type { ExecResult, ProcInfo, ShellHost, ShellResult, StatInfo } from './shell.js';
