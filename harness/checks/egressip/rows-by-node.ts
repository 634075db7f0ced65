/**
 * Expected rows per node as typed arrays (pure): for each node, its IPv4 keys sorted with their row numbers,
 * found by binary search; other keys (IPv6 text) in a small map, only for nodes that have some. One
 * Float64Array sort per node and no Map per node at IPv4 scale: at 100k pods the check's index is a few typed
 * arrays the garbage collector never copies, not 800 maps of a few hundred entries each.
 */
import type { IpKey } from './net.ts';

export interface RowsByNode {
  /** node n's IPv4 keys are keys[start[n] .. start[n + 1]), ascending, their rows at the same positions of rows */
  start: Int32Array;
  keys: Int32Array;
  rows: Int32Array;
  /** node n's other keys (IPv6 text), only for nodes that have some */
  other: (Map<string, number> | undefined)[];
}

/** Row numbers must stay below this for a (key, row) pair to pack into one float64 (2^32 keys x 2^21 rows = 2^53). */
export const MAX_ROWS = 2 ** 21;
const KEY_BIAS = 2 ** 31;

/**
 * Index (node, row) pairs by node and key. `pairs` is called twice (count, then fill) and must emit the same
 * pairs both times; `key[row]` is the row's key. `unique` is false when a node has one key twice (or rows
 * reach MAX_ROWS, which the packing cannot hold): a caller then falls back to an exact slower path.
 */
export function rowsByNode(
  nNodes: number,
  nRows: number,
  key: readonly IpKey[],
  pairs: (emit: (node: number, row: number) => void) => void,
): { index: RowsByNode; unique: boolean } {
  const start = new Int32Array(nNodes + 1);
  const other: (Map<string, number> | undefined)[] = new Array<Map<string, number> | undefined>(nNodes).fill(undefined);
  let unique = nRows < MAX_ROWS;
  pairs((n, r) => {
    const k = key[r];
    if (typeof k === 'number') start[n + 1]++;
    else {
      let m = other[n];
      if (!m) other[n] = m = new Map();
      if (m.has(k)) unique = false;
      m.set(k, r);
    }
  });
  for (let i = 1; i <= nNodes; i++) start[i] += start[i - 1];
  const total = start[nNodes];
  const packed = new Float64Array(total);
  const fill = start.slice(0, nNodes);
  pairs((n, r) => {
    const k = key[r];
    if (typeof k === 'number') packed[fill[n]++] = (k + KEY_BIAS) * MAX_ROWS + (r % MAX_ROWS);
  });
  const keys = new Int32Array(total);
  const rows = new Int32Array(total);
  for (let n = 0; n < nNodes; n++) {
    const a = start[n];
    const b = start[n + 1];
    if (b - a > 1) packed.subarray(a, b).sort();
    for (let i = a; i < b; i++) {
      const v = packed[i];
      const hi = Math.floor(v / MAX_ROWS);
      keys[i] = hi - KEY_BIAS;
      rows[i] = v - hi * MAX_ROWS;
      if (i > a && keys[i] === keys[i - 1]) unique = false;
    }
  }
  return { index: { start, keys, rows, other }, unique };
}

/** The row of `key` on node n, or -1. */
export function rowOf(ix: RowsByNode, n: number, key: IpKey): number {
  if (typeof key !== 'number') return ix.other[n]?.get(key) ?? -1;
  const keys = ix.keys;
  let lo = ix.start[n];
  let hi = ix.start[n + 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = keys[mid];
    if (v < key) lo = mid + 1;
    else if (v > key) hi = mid;
    else return ix.rows[mid];
  }
  return -1;
}

/** How many rows node n has. */
export function sizeOf(ix: RowsByNode, n: number): number {
  return ix.start[n + 1] - ix.start[n] + (ix.other[n]?.size ?? 0);
}
