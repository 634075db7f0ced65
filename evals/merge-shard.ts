/**
 * `--shard i/n`: a deterministic split of the suite's cases into n parts, so n CI jobs run the suite in
 * parallel and `netharness merge` joins their databases. The ids are sorted and dealt round-robin, so the
 * parts differ in size by at most one, every id lands in exactly one part, and the split depends only on the
 * set of ids (not on the order the files were listed in).
 */
import { UsageError } from '../harness/errors.ts';

export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

export function parseShard(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) throw new UsageError(`--shard: expected i/n (e.g. 1/4), got '${v}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1000 || index < 1 || index > count) throw new UsageError(`--shard: expected 1 <= i <= n <= 1000, got '${v}'`);
  return { index, count };
}

/** The items of shard i/n (all of them without a shard), in their original order. */
export function shardItems<T>(items: readonly T[], shard: Shard | undefined, id: (t: T) => string): T[] {
  if (!shard || shard.count === 1) return [...items];
  const ids = [...new Set(items.map(id))].sort();
  const part = new Map(ids.map((x, k) => [x, (k % shard.count) + 1]));
  return items.filter((t) => part.get(id(t)) === shard.index);
}
