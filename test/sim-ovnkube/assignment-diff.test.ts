import { describe, expect, it } from 'vitest';
import { assignEgressIPs } from '../../sim/ovnkube/assignment.ts';
import { decodeActual, diffRows, type ActualState, type OvsdbOp } from '../../sim/ovnkube/diff.ts';
import { desiredState } from '../../sim/ovnkube/desired-state.ts';
import { goSprintf, klogLine, klogMsg } from '../../sim/ovnkube/klog.ts';
import { parseFaultValue, FAULTS, FaultSwitch } from '../../sim/ovnkube/faults.ts';
import { renderFaultsJson, renderFaultsMarkdown } from '../../sim/ovnkube/faults-doc.ts';
import { readFileSync } from 'node:fs';
import type { NbRow } from '../../sim/ovnkube/nb-model.ts';
import { eip, node, ns, pod, zone } from './fixtures.ts';

const nodes = [node('w1', 1), node('w2', 2), node('w3', 3), node('m1', 4, 'ipv4', false)];

describe('assignment (cluster-manager)', () => {
  it('assigns to egress-assignable nodes whose primary subnet contains the IP, balanced', () => {
    const r = assignEgressIPs({
      eips: [eip('a', ['192.168.126.100', '192.168.126.101']), eip('b', ['192.168.126.102'], [], 'prod', '2026-11-21T11:00:00Z')],
      nodes,
      ipStack: 'ipv4',
      reachable: () => true,
    });
    expect(r.status.get('a')).toEqual([
      { node: 'w1', egressIP: '192.168.126.100' },
      { node: 'w2', egressIP: '192.168.126.101' },
    ]);
    expect(r.status.get('b')).toEqual([{ node: 'w3', egressIP: '192.168.126.102' }]);
    expect(r.messages.filter((m) => m.id === 'assigned')).toHaveLength(3);
  });
  it('keeps a still-valid assignment; moves it away from NotReady / unreachable nodes', () => {
    const e = eip('a', ['192.168.126.100'], [{ node: 'w3', egressIP: '192.168.126.100' }]);
    expect(assignEgressIPs({ eips: [e], nodes, ipStack: 'ipv4', reachable: () => true }).status.get('a')).toEqual([
      { node: 'w3', egressIP: '192.168.126.100' },
    ]);
    expect(assignEgressIPs({ eips: [e], nodes, ipStack: 'ipv4', reachable: (n) => n !== 'w3' }).status.get('a')).toEqual([
      { node: 'w1', egressIP: '192.168.126.100' },
    ]);
    const nr = nodes.map((n) => (n.name === 'w3' ? { ...n, ready: false } : n));
    expect(assignEgressIPs({ eips: [e], nodes: nr, ipStack: 'ipv4', reachable: () => true }).status.get('a')?.[0].node).toBe('w1');
  });
  it('IP outside every subnet / no assignable node -> unassigned with an error message', () => {
    const r = assignEgressIPs({ eips: [eip('a', ['10.99.0.5'])], nodes, ipStack: 'ipv4', reachable: () => true });
    expect(r.status.get('a')).toEqual([]);
    expect(r.messages[0]).toMatchObject({ id: 'noMatchingNode', reason: 'NoMatchingNodeFound' });
    const r2 = assignEgressIPs({
      eips: [eip('a', ['192.168.126.100'])],
      nodes: nodes.map((n) => ({ ...n, labels: {} })),
      ipStack: 'ipv4',
      reachable: () => true,
    });
    expect(r2.status.get('a')).toEqual([]);
    expect(r2.messages[0].id).toBe('noAssignable');
  });
  it('the same IP is not assigned to two EgressIPs (fault #13 allows it)', () => {
    const eips = [eip('a', ['192.168.126.100']), eip('b', ['192.168.126.100'], [], 'prod', '2026-11-21T11:00:00Z')];
    const r = assignEgressIPs({ eips, nodes, ipStack: 'ipv4', reachable: () => true });
    expect(r.status.get('b')).toEqual([]);
    expect(r.messages.some((m) => m.id === 'alreadyAssigned')).toBe(true);
    const f = assignEgressIPs({ eips, nodes, ipStack: 'ipv4', reachable: () => true, ignoreOtherEips: true });
    expect(f.status.get('b')).toHaveLength(1);
  });
  it('never puts two IPs of one EgressIP on the same node', () => {
    const r = assignEgressIPs({
      eips: [eip('a', ['192.168.126.100', '192.168.126.101'])],
      nodes: [node('w1', 1)],
      ipStack: 'ipv4',
      reachable: () => true,
    });
    expect(r.status.get('a')).toHaveLength(1);
  });
});

/** Apply ops to an in-memory "database" to check their semantics. */
function apply(state: ActualState, ops: OvsdbOp[]): ActualState {
  // re-encode through a tiny OVSDB model: rows by uuid with raw columns
  type Raw = Record<string, unknown>;
  const tables = new Map<string, Map<string, Raw>>();
  const enc = (r: NbRow): Raw => {
    const { table: _t, ...rest } = r as unknown as Raw & { table: string };
    return rest;
  };
  for (const a of state.rows) {
    if (!tables.has(a.row.table)) tables.set(a.row.table, new Map());
    tables.get(a.row.table)?.set(a.uuid, { ...enc(a.row) });
  }
  let n = 0;
  const names = new Map<string, string>();
  const resolve = (v: unknown): unknown =>
    Array.isArray(v) && v[0] === 'named-uuid' ? names.get(v[1] as string) : Array.isArray(v) && v[0] === 'uuid' ? v[1] : v;
  const decodeVal = (v: unknown): unknown => {
    if (Array.isArray(v) && v[0] === 'set') return (v[1] as unknown[]).map(resolve);
    if (Array.isArray(v) && v[0] === 'map') return Object.fromEntries(v[1] as [string, unknown][]);
    return resolve(v);
  };
  for (const op of ops) if (op.op === 'insert') names.set(op['uuid-name'] ?? '', `new-${n++}`);
  const children = new Map<string, { router?: string; switch?: string }>();
  for (const op of ops) {
    if (op.op === 'insert') {
      const row: Raw = {};
      for (const [k, v] of Object.entries(op.row)) row[k] = decodeVal(v);
      if (!tables.has(op.table)) tables.set(op.table, new Map());
      tables.get(op.table)?.set(names.get(op['uuid-name'] ?? '') ?? '', row);
    } else if (op.op === 'update' || op.op === 'mutate' || op.op === 'delete') {
      const uuid = resolve(op.where[0][2]) as string;
      const row = tables.get(op.table)?.get(uuid);
      if (!row) throw new Error(`no row ${uuid}`);
      if (op.op === 'update') for (const [k, v] of Object.entries(op.row)) row[k] = decodeVal(v);
      if (op.op === 'delete') tables.get(op.table)?.delete(uuid);
      if (op.op === 'mutate')
        for (const [col, m, v] of op.mutations) {
          const cur = new Set((row[col] as unknown[] | undefined) ?? []);
          for (const x of decodeVal(v) as unknown[]) {
            if (m === 'insert') cur.add(x);
            else cur.delete(x);
          }
          row[col] = [...cur];
        }
    }
  }
  void children;
  // back to typed rows via the decoder: build raw select-like rows
  const raw: Record<string, Raw[]> = {};
  const toOvs = (v: unknown): unknown =>
    Array.isArray(v)
      ? ['set', v.map((x) => (typeof x === 'string' && (x.startsWith('new-') || x.startsWith('u-')) ? ['uuid', x] : x))]
      : v && typeof v === 'object'
        ? ['map', Object.entries(v as object)]
        : v;
  for (const [t, rows] of tables)
    raw[t] = [...rows].map(([u, r]) => ({ _uuid: ['uuid', u], ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toOvs(v)])) }));
  // children of containers: their parents are expressed by ports/nat/... columns
  return decodeActual(raw);
}

/** Actual state from typed rows, with container set columns filled in. */
function actualFrom(rows: NbRow[]): ActualState {
  const st: ActualState = { rows: rows.map((row, i) => ({ uuid: `u-${i}`, row })) };
  return st;
}

describe('diff', () => {
  const s = {
    ipStack: 'ipv4' as const,
    nodes: nodes.slice(0, 3),
    pods: [0, 1, 2].map((i) => pod('prod', `web-${i}`, 'w1', 1, i)),
    namespaces: [ns('prod')],
    eips: [eip('eip-a', ['192.168.126.100'], [{ node: 'w2', egressIP: '192.168.126.100' }])],
  };
  const desired = desiredState(zone('w1', s));

  it('empty DB: inserts everything; child rows are referenced from their container with named-uuids', () => {
    const r = diffRows(desired, { rows: [] });
    expect(r.inserted).toHaveLength(desired.length);
    expect(r.ops.every((o) => o.op === 'insert')).toBe(true);
    const cr = r.ops.find((o) => o.op === 'insert' && o.table === 'Logical_Router' && o.row.name === 'ovn_cluster_router');
    expect(cr && cr.op === 'insert' && cr.row.policies).toEqual(['set', expect.arrayContaining([['named-uuid', expect.any(String)]])]);
    const after = apply({ rows: [] }, r.ops);
    expect(diffRows(desired, after).ops).toEqual([]);
  });

  it('nexthop change -> one mutate; removed pod -> container mutate delete; address set mutate', () => {
    const after = apply({ rows: [] }, diffRows(desired, { rows: [] }).ops);
    const moved = { ...s, eips: [eip('eip-a', ['192.168.126.100'], [{ node: 'w3', egressIP: '192.168.126.100' }])] };
    const d2 = desiredState(zone('w1', moved));
    const r = diffRows(d2, after);
    const muts = r.ops.filter((o) => o.op === 'mutate' && o.table === 'Logical_Router_Policy');
    expect(muts).toHaveLength(3);
    expect(muts[0]).toMatchObject({
      mutations: [
        ['nexthops', 'insert', ['set', ['100.88.0.4']]],
        ['nexthops', 'delete', ['set', ['100.88.0.3']]],
      ],
    });
    expect(r.ops.filter((o) => o.op !== 'mutate')).toEqual([]);

    const gone = { ...s, pods: s.pods.slice(0, 2) };
    const r2 = diffRows(desiredState(zone('w1', gone)), after);
    const routerDel = r2.ops.find((o) => o.op === 'mutate' && o.table === 'Logical_Router');
    expect(routerDel).toMatchObject({ mutations: [['policies', 'delete', ['set', [['uuid', expect.any(String)]]]]] });
    const asMut = r2.ops.find((o) => o.op === 'mutate' && o.table === 'Address_Set');
    expect(asMut).toMatchObject({ mutations: [['addresses', 'delete', ['set', ['10.128.0.12']]]] });
    expect(r2.deleted.map((d) => d.row.table).sort()).toEqual(['Logical_Router_Policy', 'Logical_Switch_Port']);
  });

  it('scope restricts the diff; keep leaves rows alone; keepNexthops only adds', () => {
    const after = apply({ rows: [] }, diffRows(desired, { rows: [] }).ops);
    const moved = desiredState(
      zone('w1', { ...s, eips: [eip('eip-a', ['192.168.126.100'], [{ node: 'w3', egressIP: '192.168.126.100' }])] }),
    );
    const only0 = diffRows(moved, after, { rows: (r) => r.table === 'Logical_Router_Policy' && r.match === 'ip4.src == 10.128.0.10' });
    expect(only0.ops).toHaveLength(1);
    const kept = diffRows(moved, after, { keepNexthops: () => true });
    expect(kept.ops[0]).toMatchObject({ mutations: [['nexthops', 'insert', ['set', ['100.88.0.4']]]] });
    const none = diffRows([], after, { keep: () => true });
    expect(none.ops).toEqual([]);
  });

  it('duplicates of one key are reduced to one row', () => {
    const nat = desiredState(zone('w2', s)).filter((r) => r.table === 'NAT' && r.logical_port);
    const st = actualFrom([...desiredState(zone('w2', s))]);
    const dup = { uuid: 'u-dup', row: nat[0] };
    const r = diffRows(desiredState(zone('w2', s)), { rows: [...st.rows, dup] });
    expect(r.deleted).toHaveLength(1);
  });
});

describe('klog', () => {
  it('formats klog headers', () => {
    const l = klogLine('I', 'egressip.go', 1234, 'hello', { now: new Date('2026-11-21T14:55:02.123Z'), pid: 1234 });
    expect(l).toBe('I1121 14:55:02.123000    1234 egressip.go:1234] hello');
  });
  it('formats the upstream log strings', () => {
    expect(klogMsg('unreachable', ['worker-1'])).toMatch(
      /^I\d{4} [\d:.]+ +\d+ egressip_controller\.go:\d+\] Node: worker-1 is detected as unreachable, deleting it from egress assignment$/,
    );
    expect(goSprintf('syncStaleSNATRules found NAT %q without EIP assigned to a Node', 'x')).toBe(
      'syncStaleSNATRules found NAT "x" without EIP assigned to a Node',
    );
    expect(klogMsg('addPodStatus', [{ node: 'w2', egressIP: '1.2.3.4' }, 'e', 'ns', 'p', ['10.0.0.1']])).toContain(
      'Adding pod egress IP status: {w2 1.2.3.4} for EgressIP: e and pod: ns/p/[10.0.0.1]',
    );
  });
});

describe('fault catalogue', () => {
  it('has at least 12 upstream bug classes, each documented', () => {
    const bugs = FAULTS.filter((f) => f.kind === 'bug');
    expect(bugs.length).toBeGreaterThanOrEqual(12);
    for (const f of FAULTS) {
      expect(f.failureClass).toBeTruthy();
      expect(f.description.length).toBeGreaterThan(20);
      expect(Object.values(f.symptom).some(Boolean)).toBe(true);
    }
    expect(new Set(FAULTS.map((f) => f.id)).size).toBe(FAULTS.length);
  });
  it('FAULTS.md is generated from the catalogue and up to date', () => {
    expect(readFileSync(new URL('../../sim/ovnkube/FAULTS.md', import.meta.url), 'utf8')).toBe(renderFaultsMarkdown());
    expect(readFileSync(new URL('../../sim/ovnkube/faults.json', import.meta.url), 'utf8')).toBe(renderFaultsJson());
  });
  it('parses switch values and node params', () => {
    expect(parseFaultValue('on')).toEqual({});
    expect(parseFaultValue('off')).toBeUndefined();
    expect(parseFaultValue('{"node":"w1"}')).toEqual({ node: 'w1' });
    const fs = new FaultSwitch({ 'eip-duplicate-snat': 'on', 'stale-sb': '{"node":"w1"}', 'northd-down': 'off' });
    expect(fs.on('eip-duplicate-snat', 'w2')).toBe(true);
    expect(fs.on('stale-sb', 'w1')).toBe(true);
    expect(fs.on('stale-sb', 'w2')).toBe(false);
    expect(fs.on('northd-down')).toBe(false);
  });
});
