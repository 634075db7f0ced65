/**
 * The one bounded-concurrency map. Pure (no I/O of its own): the EgressIP collector's per-node reads, the
 * evals' snapshots, bundle export and the benches share it.
 */

/**
 * Run fn over items with at most `limit` in flight; results in input order. Once `signal` aborts no new item
 * is started (the ones in flight finish; the results of the rest stay empty): the caller decides what an
 * interrupted map means.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
