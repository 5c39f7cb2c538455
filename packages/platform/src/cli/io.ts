/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
}

/** Exit codes: 0 done, 1 findings over a threshold (--exit-code), 2 bad usage or unreadable input. */
export const EXIT = { ok: 0, findings: 1, usage: 2, internal: 3 } as const;

/**
 * Thrown by a command that has finished its work but must end with a non-zero
 * code (findings over the --exit-code threshold); run() returns the code.
 */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitWith';
  }
}
