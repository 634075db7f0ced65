/**
 * Parse `ovn-nbctl --format=json list <Table>` output (the JSON table format of openvswitch/ovs lib/table.c, used by ovn-org/ovn utilities/ovn-nbctl.c): `{"data":[[cell,...],...],"headings":[...]}`
 * with cells `["uuid","..."]`, `["set",[...]]`, `["map",[[k,v],...]]` or bare scalars (a 1-element set is bare).
 */
import type { AddressSetRow, NatRow, PolicyRow } from './model.ts';

export type Atom = string | number | boolean;
export type Cell = Atom | Atom[] | Record<string, Atom>;

export interface OvsdbTable {
  headings: string[];
  data: unknown[][];
}

export class OvsdbParseError extends Error {
  override name = 'OvsdbParseError';
}

function decodeAtom(v: unknown): Atom {
  if (Array.isArray(v) && v.length === 2 && (v[0] === 'uuid' || v[0] === 'named-uuid') && typeof v[1] === 'string') return v[1];
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new OvsdbParseError(`unexpected OVSDB atom ${JSON.stringify(v)?.slice(0, 80)}`);
}

export function decodeCell(v: unknown): Cell {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string') {
    if (v[0] === 'set' && Array.isArray(v[1])) return (v[1] as unknown[]).map(decodeAtom);
    if (v[0] === 'map' && Array.isArray(v[1])) {
      const out: Record<string, Atom> = {};
      for (const pair of v[1] as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2)
          throw new OvsdbParseError(`bad OVSDB map pair ${JSON.stringify(pair)?.slice(0, 80)}`);
        out[String(decodeAtom(pair[0]))] = decodeAtom(pair[1]);
      }
      return out;
    }
  }
  return decodeAtom(v);
}

export function parseTableJson(text: string, table = 'table'): Record<string, Cell>[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new OvsdbParseError(`${table}: not JSON: ${(err as Error).message}; output starts: ${text.trim().slice(0, 120)}`);
  }
  const t = doc as Partial<OvsdbTable>;
  if (!t || !Array.isArray(t.headings) || !Array.isArray(t.data))
    throw new OvsdbParseError(`${table}: expected {"data":[...],"headings":[...]}`);
  const h = t.headings;
  return t.data.map((row) => {
    if (!Array.isArray(row) || row.length !== h.length)
      throw new OvsdbParseError(`${table}: row with ${Array.isArray(row) ? row.length : '?'} cells for ${h.length} headings`);
    const o: Record<string, Cell> = {};
    for (let i = 0; i < h.length; i++) o[h[i]] = decodeCell(row[i]);
    return o;
  });
}

// ---------- typed accessors ----------

export function str(c: Cell | undefined): string {
  if (c === undefined) return '';
  if (Array.isArray(c)) return c.length ? String(c[0]) : '';
  if (typeof c === 'object') return '';
  return String(c);
}

export function num(c: Cell | undefined): number {
  if (typeof c === 'number') return c;
  if (Array.isArray(c) && typeof c[0] === 'number') return c[0];
  const n = Number(str(c));
  return Number.isFinite(n) ? n : 0;
}

/** A set column: bare atom = 1 element, list = elements, empty set = []. */
export function list(c: Cell | undefined): string[] {
  if (c === undefined || c === '') return [];
  if (Array.isArray(c)) return c.map(String);
  if (typeof c === 'object') return [];
  return [String(c)];
}

export function map(c: Cell | undefined): Record<string, string> {
  if (c && typeof c === 'object' && !Array.isArray(c)) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(c)) out[k] = String(v);
    return out;
  }
  return {};
}

export interface RouterRefs {
  /** NAT uuid -> router name */
  natRouter: Map<string, string>;
  /** policy uuid -> router name */
  policyRouter: Map<string, string>;
}

export function routerRefs(rows: Record<string, Cell>[]): RouterRefs {
  const natRouter = new Map<string, string>();
  const policyRouter = new Map<string, string>();
  for (const r of rows) {
    const name = str(r.name);
    for (const u of list(r.nat)) natRouter.set(u, name);
    for (const u of list(r.policies)) policyRouter.set(u, name);
  }
  return { natRouter, policyRouter };
}

export function toNatRows(rows: Record<string, Cell>[], refs: RouterRefs): NatRow[] {
  return rows.map((r) => {
    const uuid = str(r._uuid);
    return {
      uuid,
      type: str(r.type),
      external_ip: str(r.external_ip),
      logical_ip: str(r.logical_ip),
      logical_port: str(r.logical_port),
      external_ids: map(r.external_ids),
      router: refs.natRouter.get(uuid) ?? '',
    };
  });
}

export function toPolicyRows(rows: Record<string, Cell>[], refs: RouterRefs): PolicyRow[] {
  return rows.map((r) => {
    const uuid = str(r._uuid);
    return {
      uuid,
      priority: num(r.priority),
      match: str(r.match),
      action: str(r.action),
      nexthops: list(r.nexthops).length ? list(r.nexthops) : list(r.nexthop),
      external_ids: map(r.external_ids),
      options: map(r.options),
      router: refs.policyRouter.get(uuid) ?? '',
    };
  });
}

export function toAddressSetRows(rows: Record<string, Cell>[]): AddressSetRow[] {
  return rows.map((r) => ({ uuid: str(r._uuid), name: str(r.name), addresses: list(r.addresses), external_ids: map(r.external_ids) }));
}
