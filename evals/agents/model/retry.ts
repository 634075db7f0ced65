/**
 * Provider retries at the HTTP level: a `fetch` for the AI SDK providers that retries 429 and 5xx (and
 * 529, Anthropic's "overloaded") and connection errors with exponential backoff, honouring the provider's
 * `retry-after-ms` / `Retry-After` (seconds or an HTTP date), and then hands the last response to the SDK
 * (which raises it; evals/agents/model/errors.ts makes it an infra error). The SDK's own retries are off
 * (maxRetries 0): retrying here keeps one step's request from re-running the tool calls before it, and
 * says on stderr what it waits for. The log never shows headers (the key travels in one).
 */
export interface RetryPolicy {
  /** extra attempts after the first */
  retries: number;
  /** first backoff, doubled per attempt */
  baseMs: number;
  /** no single wait is longer: a Retry-After beyond it ends the retries */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseMs: 1000, maxWaitMs: 60_000 };

export const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** The wait the provider asked for, in ms (undefined when it did not say or said nonsense). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const ra = headers.get('retry-after');
  if (ra === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Number(ra) * 1000;
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Backoff before attempt `attempt + 1` (attempt counts from 1): base * 2^(attempt-1), jittered to 50..100%. */
export function backoffMs(p: RetryPolicy, attempt: number, random = Math.random): number {
  const full = Math.min(p.maxWaitMs, p.baseMs * 2 ** (attempt - 1));
  return Math.round(full * (0.5 + random() / 2));
}

export interface RetryDecision {
  retry: boolean;
  waitMs: number;
  /** why: 'Retry-After', 'backoff', or why not */
  reason: string;
}

/** Whether to retry after attempt `attempt` ended with `status` (undefined: no response, a connection error). */
export function decideRetry(p: RetryPolicy, attempt: number, status: number | undefined, headers?: Headers): RetryDecision {
  if (status !== undefined && !retryableStatus(status)) return { retry: false, waitMs: 0, reason: `HTTP ${status} is not retried` };
  if (attempt > p.retries) return { retry: false, waitMs: 0, reason: `${attempt} attempts made` };
  const asked = headers ? retryAfterMs(headers) : undefined;
  if (asked !== undefined) {
    if (asked > p.maxWaitMs)
      return {
        retry: false,
        waitMs: 0,
        reason: `the provider asks to wait ${Math.round(asked / 1000)} s (more than ${p.maxWaitMs / 1000} s)`,
      };
    return { retry: true, waitMs: asked, reason: 'Retry-After' };
  }
  return { retry: true, waitMs: backoffMs(p, attempt), reason: 'backoff' };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

export interface RetryingFetchOptions {
  policy: RetryPolicy;
  /** 'openai' / 'anthropic' (log lines) */
  label: string;
  log(line: string): void;
  signal?: AbortSignal;
  /** attempts of the last request (the error message says how many were made) */
  onAttempts?(n: number): void;
  fetch?: typeof fetch;
}

const where = (input: Parameters<typeof fetch>[0]): string => {
  const u = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  try {
    const url = new URL(u);
    return `${url.host}${url.pathname}`;
  } catch {
    return u;
  }
};

export function retryingFetch(o: RetryingFetchOptions): typeof fetch {
  const inner = o.fetch ?? globalThis.fetch;
  return async (input, init) => {
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      let error: unknown;
      try {
        res = await inner(input, init);
      } catch (err) {
        if (o.signal?.aborted || (init?.signal as AbortSignal | undefined)?.aborted) throw err;
        error = err;
      }
      const d = decideRetry(o.policy, attempt, res?.status, res?.headers);
      if (!d.retry) {
        o.onAttempts?.(attempt);
        if (res) return res;
        throw error;
      }
      const what = res ? `HTTP ${res.status}` : `connection error (${(error as Error).message})`;
      o.log(
        `  ${o.label}: ${what} from ${where(input)}; retrying in ${(d.waitMs / 1000).toFixed(1)} s (${d.reason}), attempt ${attempt + 1} of ${o.policy.retries + 1}`,
      );
      // free the connection of the response we drop
      await res?.body?.cancel().catch(() => undefined);
      await sleep(d.waitMs, o.signal);
    }
  };
}
