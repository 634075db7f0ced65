import { describe, it, expect } from 'vitest';
import { waitFor, sleep, WaitTimeoutError } from '../../harness/wait/index.ts';
import { InterruptedError } from '../../harness/runner/scenario.ts';
import { InfraError } from '../../harness/errors.ts';

describe('waitFor', () => {
  it('returns the first truthy value with time and attempts', async () => {
    let n = 0;
    const w = await waitFor(() => (++n >= 3 ? 'done' : undefined), { timeoutMs: 2000, intervalMs: 10 });
    expect(w.value).toBe('done');
    expect(w.attempts).toBe(3);
    expect(w.ms).toBeGreaterThanOrEqual(15);
  });

  it('retries transient errors and reports the last one on timeout', async () => {
    const p = waitFor(
      () => {
        throw new Error('connection reset');
      },
      { timeoutMs: 100, intervalMs: 20, describe: 'the thing' },
    );
    await expect(p).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(p).rejects.toBeInstanceOf(InfraError);
    await expect(p).rejects.toThrow(/waiting for the thing.*last error: connection reset/);
  });

  it('stops at once on abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new InterruptedError('stop')), 30);
    const t0 = Date.now();
    await expect(waitFor(() => undefined, { timeoutMs: 10_000, intervalMs: 5000, signal: ac.signal })).rejects.toThrow('stop');
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(sleep(10, ac.signal)).rejects.toBeInstanceOf(InterruptedError);
  });

  it('treats 0 as a value', async () => {
    expect((await waitFor(() => 0, { timeoutMs: 100 })).value).toBe(0);
  });
});
