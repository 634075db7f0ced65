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

/** A file-system error said as what it means for the user, naming the path (not "ENOTDIR: not a directory, mkdir ..."). */
export function describeFsError(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string') return undefined;
  const path = e.path ?? (e as { dest?: string }).dest ?? '';
  switch (e.code) {
    case 'ENOTDIR':
      return `${path}: a file is in the way where a directory is needed (a parent of this path is a file)`;
    case 'EEXIST':
      return `${path}: already exists as a file; pass a directory, or another path`;
    case 'EISDIR':
      return `${path} is a directory, expected a file`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied`;
    case 'ENOSPC':
      return `${path}: no space left on the device`;
    case 'EROFS':
      return `${path}: read-only file system`;
    case 'ENOENT':
      return `${path}: no such file or directory`;
    default:
      return undefined;
  }
}

export function formatError(err: unknown): string {
  if (err instanceof UsageError || err instanceof InfraError) {
    return `error: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
  const fs = describeFsError(err);
  if (fs) return `error: ${fs}`;
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
