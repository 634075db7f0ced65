/**
 * Exit codes and error classes shared by every command.
 * 0 passed, 1 a check failed, 2 infra or usage error, 130 interrupted.
 */
export const ExitCode = { ok: 0, checkFailed: 1, error: 2, interrupted: 130 } as const;

/** Bad input from the user: which field, what was expected. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The cluster, a tool or the machine failed us (not a check verdict). Exit 2. */
export class InfraError extends Error {
  override name = 'InfraError';
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown into waits and steps when the run is interrupted (SIGINT/SIGTERM). Verdict `interrupted`, exit 130.
 * Lives here, not in the runner, so harness/wait and harness/chaos need not import the runner. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(message = 'interrupted') {
    super(message);
  }
}

/** A subcommand that a later issue delivers. Exit 2. */
export class NotBuiltError extends Error {
  override name = 'NotBuiltError';
}

export function formatError(err: unknown): string {
  if (err instanceof UsageError || err instanceof InfraError) {
    return `error: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
