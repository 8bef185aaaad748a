/**
 * The error taxonomy. Everything a user can act on is an UpkeepError with a message that says what
 * was wrong, where, and what to do; the CLI's single catch maps it to an exit code.
 * Anything else is a bug and is shown with its stack.
 */

/** Exit codes: 0 fine, 1 findings or risk, 2 could not run. (Preflight adds 3; see its docs.) */
export const EXIT = { ok: 0, findings: 1, couldNotRun: 2 } as const;

export class UpkeepError extends Error {
  readonly exitCode: number;
  /** A next step for the user, printed on its own line ("hint: ..."). */
  readonly hint: string | undefined;

  constructor(message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? EXIT.couldNotRun;
    this.hint = opts.hint;
  }
}

/** Bad flags or arguments. */
export class UsageError extends UpkeepError {}

/** The Docker engine cannot be reached or refused us. */
export class DockerUnavailableError extends UpkeepError {}

/** The Engine API answered with an error status. */
export class DockerApiError extends UpkeepError {
  readonly status: number;
  constructor(status: number, message: string, opts: { hint?: string } = {}) {
    super(message, opts);
    this.status = status;
  }
}
