/**
 * Plain-JSON helpers for the object store's write path, without going through JSON text:
 *
 * - jsonCopy(v): what JSON.parse(JSON.stringify(v)) returns (undefined / function / symbol values
 *   left out of objects and turned into null in arrays, non-finite numbers null, toJSON() honoured),
 *   except that frozen objects are returned as they are. The store only ever freezes objects it made
 *   this way, so a frozen subtree is already plain JSON and immutable: sharing it between an object's
 *   versions (a status write keeps the spec it had) is safe and saves the copy.
 * - jsonEqual(a, b): the two values would serialise to the same JSON, up to the order of object keys.
 *
 * A pod write at 10k pods used to cost two JSON round trips and three JSON.stringify calls; these walk
 * the object once each and allocate only what changes.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const hasOwn = Object.prototype.hasOwnProperty;

/** A deep copy as plain JSON data; frozen objects are shared, not copied (see above). */
export function jsonCopy<T>(v: T): T {
  return copy(v, true) as T;
}

/** A deep copy as plain JSON data, every level mutable (JSON.parse(JSON.stringify(v)) without the text). */
export function jsonClone<T>(v: T): T {
  return copy(v, false) as T;
}

function copy(v: unknown, share: boolean): Json | undefined {
  if (v === null) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'object':
      break;
    case 'bigint':
      // what JSON.stringify does
      throw new TypeError('Do not know how to serialize a BigInt');
    default:
      return undefined;
  }
  if (share && Object.isFrozen(v)) return v as Json;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return copy((v as { toJSON(): unknown }).toJSON(), share);
  if (Array.isArray(v)) {
    const out: Json[] = new Array<Json>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = copy(v[i], share);
      out[i] = x === undefined ? null : x;
    }
    return out;
  }
  const out: { [k: string]: Json } = {};
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (!hasOwn.call(o, k)) continue;
    const x = copy(o[k], share);
    if (x === undefined) continue;
    // an own "__proto__" key (JSON.parse makes one) must stay a key, not become the prototype
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

/**
 * a and b serialise to the same JSON up to key order. Both are expected to be plain JSON data (the
 * store compares its own copies); a key whose value is undefined counts as absent, as in JSON.
 * `skip` leaves top-level keys out of the comparison (metadata and status, for the spec part).
 */
export function jsonEqual(a: unknown, b: unknown, skip?: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (typeof a === 'number' && typeof b === 'number') return !Number.isFinite(a) && !Number.isFinite(b);
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i] === undefined ? null : a[i];
      const y = bb[i] === undefined ? null : bb[i];
      if (!jsonEqual(x, y)) return false;
    }
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let na = 0;
  for (const k in ao) {
    if (!hasOwn.call(ao, k) || ao[k] === undefined || skip?.has(k)) continue;
    na++;
    if (!hasOwn.call(bo, k) || !jsonEqual(ao[k], bo[k])) return false;
  }
  let nb = 0;
  for (const k in bo) if (hasOwn.call(bo, k) && bo[k] !== undefined && !skip?.has(k)) nb++;
  return na === nb;
}
