/**
 * OVSDB (RFC 7047) wire types and converters between OVSDB values and plain TypeScript values.
 *
 * Atoms are JSON scalars or ["uuid", id] / ["named-uuid", name]. Values are an atom, ["set", [atoms]]
 * or ["map", [[k, v], ...]]. A one-element set is sent by the server as the bare atom, an empty
 * optional column as ["set", []]; fromOvsSet/fromOvsOptional normalise both.
 */

export type OvsdbUuid = ['uuid', string];
export type OvsdbNamedUuid = ['named-uuid', string];
export type OvsdbAtom = string | number | boolean | OvsdbUuid | OvsdbNamedUuid;
export type OvsdbSet = ['set', OvsdbAtom[]];
export type OvsdbMap = ['map', [OvsdbAtom, OvsdbAtom][]];
export type OvsdbValue = OvsdbAtom | OvsdbSet | OvsdbMap;
export type OvsdbRow = Record<string, OvsdbValue>;

export type OvsdbFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type OvsdbCondition = [column: string, fn: OvsdbFunction, value: OvsdbValue];
export type OvsdbMutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type OvsdbMutation = [column: string, mutator: OvsdbMutator, value: OvsdbValue];

export type OvsdbOperation =
  | { op: 'insert'; table: string; row: OvsdbRow; 'uuid-name'?: string; uuid?: string }
  | { op: 'select'; table: string; where: OvsdbCondition[]; columns?: string[] }
  | { op: 'update'; table: string; where: OvsdbCondition[]; row: OvsdbRow }
  | { op: 'mutate'; table: string; where: OvsdbCondition[]; mutations: OvsdbMutation[] }
  | { op: 'delete'; table: string; where: OvsdbCondition[] }
  | {
      op: 'wait';
      table: string;
      where: OvsdbCondition[];
      columns: string[];
      until: '==' | '!=';
      rows: OvsdbRow[];
      timeout?: number;
    }
  | { op: 'commit'; durable: boolean }
  | { op: 'abort' }
  | { op: 'comment'; comment: string }
  | { op: 'assert'; lock: string };

/** One element of a transact result. Which fields are set depends on the op. */
export interface OvsdbOpResult {
  uuid?: OvsdbUuid;
  rows?: OvsdbRow[];
  count?: number;
  error?: string;
  details?: string;
}

export function uuid(id: string): OvsdbUuid {
  return ['uuid', id];
}

export function namedUuid(name: string): OvsdbNamedUuid {
  return ['named-uuid', name];
}

export function isUuid(v: unknown): v is OvsdbUuid {
  return Array.isArray(v) && v.length === 2 && v[0] === 'uuid' && typeof v[1] === 'string';
}

export function isNamedUuid(v: unknown): v is OvsdbNamedUuid {
  return Array.isArray(v) && v.length === 2 && v[0] === 'named-uuid' && typeof v[1] === 'string';
}

export function isOvsSet(v: unknown): v is OvsdbSet {
  return Array.isArray(v) && v.length === 2 && v[0] === 'set' && Array.isArray(v[1]);
}

export function isOvsMap(v: unknown): v is OvsdbMap {
  return Array.isArray(v) && v.length === 2 && v[0] === 'map' && Array.isArray(v[1]);
}

/** ['set', values]. Always the set form (valid for any min/max, including a single element). */
export function toOvsSet<T extends OvsdbAtom>(values: Iterable<T>): OvsdbSet {
  return ['set', [...values]];
}

/** An optional column (min 0, max 1): undefined -> empty set, else the atom. */
export function toOvsOptional(value: OvsdbAtom | undefined | null): OvsdbValue {
  return value === undefined || value === null ? ['set', []] : value;
}

/** ['map', [[k, v], ...]] from a plain record or Map; keys sorted for stable output. */
export function toOvsMap(values: Record<string, OvsdbAtom> | Map<string, OvsdbAtom>): OvsdbMap {
  const entries: [string, OvsdbAtom][] = values instanceof Map ? [...values.entries()] : Object.entries(values);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return ['map', entries];
}

/** Set-typed column -> array of atoms (a bare atom is a one-element set). */
export function fromOvsSet(v: OvsdbValue | undefined): OvsdbAtom[] {
  if (v === undefined) return [];
  if (isOvsSet(v)) return v[1];
  if (isOvsMap(v)) throw new TypeError('fromOvsSet: got a map');
  return [v];
}

/** Optional column -> the atom or undefined. */
export function fromOvsOptional(v: OvsdbValue | undefined): OvsdbAtom | undefined {
  const s = fromOvsSet(v);
  if (s.length > 1) throw new TypeError(`fromOvsOptional: set of ${s.length} elements`);
  return s[0];
}

/** Map column -> record. Keys are stringified atoms (uuid keys become their id). */
export function fromOvsMap(v: OvsdbValue | undefined): Record<string, OvsdbAtom> {
  const out: Record<string, OvsdbAtom> = {};
  if (v === undefined) return out;
  if (isOvsSet(v) && v[1].length === 0) return out;
  if (!isOvsMap(v)) throw new TypeError('fromOvsMap: not a map');
  for (const [k, val] of v[1]) out[atomToString(k)] = val;
  return out;
}

/** Map column whose values are strings (external_ids, options, other_config). */
export function fromOvsStringMap(v: OvsdbValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(fromOvsMap(v))) out[k] = atomToString(val);
  return out;
}

/** uuid atom -> id string; a plain string passes through. */
export function fromOvsUuid(v: OvsdbValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (isUuid(v) || isNamedUuid(v)) return v[1];
  if (typeof v === 'string') return v;
  const one = fromOvsOptional(v);
  return one === undefined ? undefined : fromOvsUuid(one);
}

/** Set of uuids -> ids. */
export function fromOvsUuidSet(v: OvsdbValue | undefined): string[] {
  return fromOvsSet(v).map((a) => atomToString(a));
}

export function atomToString(a: OvsdbAtom): string {
  if (Array.isArray(a)) return a[1];
  return String(a);
}

/** Condition helpers. */
export function where(column: string, fn: OvsdbFunction, value: OvsdbValue): OvsdbCondition {
  return [column, fn, value];
}

export function whereUuid(id: string): OvsdbCondition {
  return ['_uuid', '==', uuid(id)];
}
