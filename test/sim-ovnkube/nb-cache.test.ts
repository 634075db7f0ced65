/**
 * NbCache (sim/ovnkube/nb-cache.ts): the zone controller's NB copy fed by monitor replies and
 * `update` notifications (RFC 7047 <table-updates>). Pure: the updates are written here the way
 * ovsdb-server sends them for monitor v1 (insert: new; modify: old = changed columns, new = all
 * monitored columns; delete: old).
 */
import { describe, expect, it } from 'vitest';
import { NbCache, type TableUpdates } from '../../sim/ovnkube/nb-cache.ts';
import { decodeActual, type ActualState, type RawRow } from '../../sim/ovnkube/diff.ts';
import type { NbTable } from '../../sim/ovnkube/nb-model.ts';

const set = (...uuids: string[]): unknown => ['set', uuids.map((u) => ['uuid', u])];
const map = (o: Record<string, string>): unknown => ['map', Object.entries(o)];

const router = (name: string, nat: string[] = [], policies: string[] = []): RawRow => ({
  name,
  options: map({}),
  external_ids: map({}),
  ports: set(),
  policies: set(...policies),
  nat: set(...nat),
  static_routes: set(),
});

const snat = (externalIp: string, logicalIp: string, ext: Record<string, string> = {}): RawRow => ({
  type: 'snat',
  external_ip: externalIp,
  logical_ip: logicalIp,
  logical_port: ['set', []],
  external_port_range: '32768-60999',
  options: map({ stateless: 'false' }),
  external_ids: map(ext),
});

const OWNED = { 'k8s.ovn.org/owner-type': 'EgressIP', 'k8s.ovn.org/name': 'eip-a_prod/web-0' };

/** The rows as a full read would decode them (the old path), for comparison. */
function fullRead(rows: Partial<Record<NbTable, Record<string, RawRow>>>): ActualState {
  const raw: Partial<Record<NbTable, RawRow[]>> = {};
  for (const [t, byUuid] of Object.entries(rows))
    raw[t as NbTable] = Object.entries(byUuid ?? {}).map(([u, r]) => ({ ...r, _uuid: ['uuid', u] }));
  return decodeActual(raw);
}

const natRows = (s: ActualState): string[] =>
  s.rows
    .filter((a) => a.row.table === 'NAT')
    .map((a) => (a.row.table === 'NAT' ? `${a.uuid} ${a.row.router} ${a.row.external_ip} ${a.row.logical_ip}` : ''))
    .sort();

function initial(): TableUpdates {
  return {
    Logical_Router: { r1: { new: router('GR_w2', ['n1', 'n2']) } },
    NAT: {
      n1: { new: snat('192.168.126.100', '10.128.0.10', OWNED) },
      n2: { new: snat('192.168.126.100', '10.128.0.11', OWNED) },
    },
  };
}

describe('NbCache: monitor initial reply and update notifications', () => {
  it('the initial reply gives the rows a full read gives (children named by their container)', () => {
    const c = new NbCache();
    c.reset(initial());
    const want = fullRead({
      Logical_Router: { r1: router('GR_w2', ['n1', 'n2']) },
      NAT: { n1: snat('192.168.126.100', '10.128.0.10', OWNED), n2: snat('192.168.126.100', '10.128.0.11', OWNED) },
    });
    expect(c.snapshot().rows).toEqual(want.rows);
    expect(natRows(c.snapshot())).toEqual(['n1 GR_w2 192.168.126.100 10.128.0.10', 'n2 GR_w2 192.168.126.100 10.128.0.11']);
    expect(c.stats).toMatchObject({ resets: 1, updates: 0, rowChanges: 3 });
  });

  it('insert: a new NAT and the router modify that references it (one transaction, one notification)', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({
      Logical_Router: { r1: { old: { nat: set('n1', 'n2') }, new: router('GR_w2', ['n1', 'n2', 'n3']) } },
      NAT: { n3: { new: snat('192.168.126.100', '10.128.0.12') } },
    });
    expect(natRows(c.snapshot())).toContain('n3 GR_w2 192.168.126.100 10.128.0.12');
    expect(c.snapshot().rows).toHaveLength(4);
    expect(c.stats.updates).toBe(1);
  });

  it('modify: old carries only the changed columns; the decoded row changes, earlier snapshots do not', () => {
    const c = new NbCache();
    c.reset(initial());
    const before = c.snapshot();
    const beforeRow = before.rows.find((a) => a.uuid === 'n1');
    c.apply({ NAT: { n1: { old: { external_ip: '192.168.126.100' }, new: snat('192.168.126.199', '10.128.0.10', OWNED) } } });
    const after = c.snapshot();
    expect(after).not.toBe(before);
    expect(natRows(after)).toContain('n1 GR_w2 192.168.126.199 10.128.0.10');
    // the reconcile that took `before` keeps a consistent view while notifications arrive
    expect(natRows(before)).toContain('n1 GR_w2 192.168.126.100 10.128.0.10');
    expect(before.rows.find((a) => a.uuid === 'n1')).toBe(beforeRow);
  });

  it('modify with a partial new (only changed columns) keeps the other columns', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({ NAT: { n2: { old: { external_ids: map(OWNED) }, new: { external_ids: map({}) } } } });
    const n2 = c.snapshot().rows.find((a) => a.uuid === 'n2')?.row;
    expect(n2).toMatchObject({ table: 'NAT', router: 'GR_w2', logical_ip: '10.128.0.11', external_ids: {} });
  });

  it('delete: the router drops the reference and the NAT row goes (garbage-collected child)', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({
      Logical_Router: { r1: { old: { nat: set('n1', 'n2') }, new: router('GR_w2', ['n2']) } },
      NAT: { n1: { old: snat('192.168.126.100', '10.128.0.10', OWNED) } },
    });
    expect(natRows(c.snapshot())).toEqual(['n2 GR_w2 192.168.126.100 10.128.0.11']);
    expect(c.rawRow('NAT', 'n1')).toBeUndefined();
  });

  it('a child whose reference is dropped is left out (an orphan, like in a full read); re-referenced, it is back', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({ Logical_Router: { r1: { old: { nat: set('n1', 'n2') }, new: router('GR_w2', ['n2']) } } });
    expect(natRows(c.snapshot())).toEqual(['n2 GR_w2 192.168.126.100 10.128.0.11']);
    c.apply({ Logical_Router: { r9: { new: router('GR_w3', ['n1']) } } });
    expect(natRows(c.snapshot())).toContain('n1 GR_w3 192.168.126.100 10.128.0.10');
  });

  it('a renamed container renames its children', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({ Logical_Router: { r1: { old: { name: 'GR_w2' }, new: router('GR_renamed', ['n1', 'n2']) } } });
    expect(natRows(c.snapshot()).every((l) => l.includes(' GR_renamed '))).toBe(true);
  });

  it('a container deleted with its children leaves nothing behind', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({
      Logical_Router: { r1: { old: router('GR_w2', ['n1', 'n2']) } },
      NAT: { n1: { old: snat('192.168.126.100', '10.128.0.10') }, n2: { old: snat('192.168.126.100', '10.128.0.11') } },
    });
    expect(c.snapshot().rows).toEqual([]);
  });

  it('tables outside the model are ignored', () => {
    const c = new NbCache();
    c.reset({ ...initial(), NB_Global: { g: { new: { name: 'x' } } } });
    expect(c.snapshot().rows).toHaveLength(3);
  });

  it('a sequence of updates ends in exactly what a full read of the final rows gives', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({
      Logical_Router: { r1: { old: { nat: set('n1', 'n2') }, new: router('GR_w2', ['n2', 'n3'], ['p1']) } },
      NAT: { n1: { old: snat('192.168.126.100', '10.128.0.10', OWNED) }, n3: { new: snat('192.168.126.101', '10.128.0.12') } },
      Logical_Router_Policy: {
        p1: {
          new: {
            priority: 100,
            match: 'ip4.src == 10.128.0.12',
            action: 'reroute',
            nexthops: ['set', ['100.88.0.3']],
            options: map({}),
            external_ids: map({}),
          },
        },
      },
      Address_Set: { a1: { new: { name: 'as', addresses: ['set', ['10.128.0.12', '10.128.0.11']], external_ids: map({}) } } },
    });
    c.apply({
      Address_Set: { a1: { old: { addresses: ['set', []] }, new: { name: 'as', addresses: '10.128.0.11', external_ids: map({}) } } },
    });
    const want = fullRead({
      Logical_Router: { r1: router('GR_w2', ['n2', 'n3'], ['p1']) },
      NAT: { n2: snat('192.168.126.100', '10.128.0.11', OWNED), n3: snat('192.168.126.101', '10.128.0.12') },
      Logical_Router_Policy: {
        p1: {
          priority: 100,
          match: 'ip4.src == 10.128.0.12',
          action: 'reroute',
          nexthops: ['set', ['100.88.0.3']],
          options: map({}),
          external_ids: map({}),
        },
      },
      Address_Set: { a1: { name: 'as', addresses: '10.128.0.11', external_ids: map({}) } },
    });
    const byUuid = (s: ActualState) => [...s.rows].sort((a, b) => a.uuid.localeCompare(b.uuid));
    expect(byUuid(c.snapshot())).toEqual(byUuid(want));
  });

  it('reconnect: a new monitor initial reply replaces everything (rows gone while disconnected are gone)', () => {
    const c = new NbCache();
    c.reset(initial());
    c.apply({ NAT: { n1: { old: { external_ip: 'x' }, new: snat('192.168.126.150', '10.128.0.10', OWNED) } } });
    // the NB came back without n1 (deleted while we were away) and with a new row n4
    c.reset({
      Logical_Router: { r1: { new: router('GR_w2', ['n2', 'n4']) } },
      NAT: { n2: { new: snat('192.168.126.100', '10.128.0.11', OWNED) }, n4: { new: snat('192.168.126.100', '10.128.0.13') } },
    });
    expect(natRows(c.snapshot())).toEqual(['n2 GR_w2 192.168.126.100 10.128.0.11', 'n4 GR_w2 192.168.126.100 10.128.0.13']);
    expect(c.rawRow('NAT', 'n1')).toBeUndefined();
    expect(c.stats.resets).toBe(2);
  });
});
