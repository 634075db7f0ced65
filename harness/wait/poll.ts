/**
 * The one sleep and the one poll loop (timeout, interval, AbortSignal). Pure apart from timers: no cluster,
 * no check, so the waits, the chaos injector, the evals and the embedded cluster (sim/ may import pure
 * harness modules) share it. Timeouts are InfraError (WaitTimeoutError); an abort is InterruptedError.
 */
import { InfraError, InterruptedError } from '../errors.ts';

export class WaitTimeoutError extends InfraError {
  override name = 'WaitTimeoutError';
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** what we wait for, for the timeout message: 'node worker-1 Ready' */
  describe?: string;
  /** called with each attempt's error (fn may throw transient errors; they are retried until the timeout) */
  onError?: (err: unknown) => void;
  /** which errors thrown by fn are retried (default: all but InterruptedError and UsageError) */
  retryable?: (err: unknown) => boolean;
}

export interface Waited<T> {
  value: T;
  ms: number;
  attempts: number;
}

/** The error an aborted signal stands for: its reason when that is an InterruptedError, else a plain one. */
export function interruption(signal: AbortSignal | undefined): InterruptedError {
  return signal?.reason instanceof InterruptedError ? signal.reason : new InterruptedError();
}

/** Sleep that rejects with InterruptedError when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(interruption(signal));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(interruption(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const retriedByDefault = (err: unknown): boolean =>
  !(err instanceof InterruptedError || (err instanceof Error && err.name === 'UsageError'));

/**
 * Poll `fn` until it returns a value other than undefined / false / null. Transient errors thrown by `fn`
 * are retried (the last one is reported on timeout); InterruptedError and UsageError propagate.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: WaitOptions,
): Promise<Waited<T>> {
  const start = performance.now();
  const interval = opts.intervalMs ?? 1000;
  const retryable = opts.retryable ?? retriedByDefault;
  let attempts = 0;
  let lastErr: unknown;
  for (;;) {
    if (opts.signal?.aborted) throw interruption(opts.signal);
    attempts++;
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return { value: v as T, ms: performance.now() - start, attempts };
    } catch (err) {
      if (err instanceof InterruptedError || !retryable(err)) throw err;
      lastErr = err;
      opts.onError?.(err);
    }
    const elapsed = performance.now() - start;
    if (elapsed >= opts.timeoutMs) {
      const why = lastErr ? `; last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}` : '';
      throw new WaitTimeoutError(
        `timed out after ${(opts.timeoutMs / 1000).toFixed(0)} s waiting for ${opts.describe ?? 'a condition'} (${attempts} attempts)${why}`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, opts.timeoutMs - elapsed)), opts.signal);
  }
}
