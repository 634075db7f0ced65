/**
 * The monitor-fed NB cache of the zone controllers against real ovsdb-server NBs: what the cache
 * holds equals a full read, rows changed by hand with ovn-nbctl reach the controller through the
 * monitor (no full re-read), and a restarted NB is monitored afresh by the restarted controller.
 * One 2-zone setup for the file: pods on w1, the EgressIP on w2 (the only egress-assignable node).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ovnkube } from '../../sim/ovnkube/index.ts';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { connectNb, NB_DB_NAME } from '../../sim/ovnkube/nb-conn.ts';
import type { ZoneController } from '../../sim/ovnkube/zone-controller.ts';
import { eipObj, eipSnats, makeEnv, nsObj, podObj, type Env, type NbServer } from './harness.ts';

const nodes = [
  { name: 'w1', role: 'worker' as const, id: 1 },
  { name: 'w2', role: 'worker' as const, id: 2 },
];
const EIP = '192.168.126.100';
const podIp = (i: number): string => `10.128.0.${10 + i}`;

const until = async (what: string, fn: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('zone controllers read their NB through an OVSDB monitor', () => {
  let env: Env;
  let ok: Ovnkube;
  let w2: NbServer;
  const zone = (n: string): ZoneController => {
    const c = ok.zones.get(n)?.ctrl;
    if (!c) throw new Error(`no zone controller on ${n}`);
    return c;
  };
  /** logical IPs of the SNATs to the EgressIP on GR_w2 (lr-nat-list columns: TYPE EXTERNAL_IP [PORT] LOGICAL_IP ...) */
  const snatIps = (): string[] =>
    eipSnats(w2, 'GR_w2', EIP)
      .map(
        (l) =>
          l
            .trim()
            .split(/\s+/)
            .find((c, i) => i > 1 && /^\d+\.\d+\.\d+\.\d+$/.test(c)) ?? l,
      )
      .sort();
  /** a pod event the zone has to act on (a label change that keeps the pod selected) */
  const touchPod = (name: string, v: string): void => {
    env.store.mutate(GVR.pods, 'prod', name, (p) => {
      p.metadata.labels = { ...(p.metadata.labels ?? {}), touched: v };
    });
  };

  beforeAll(async () => {
    env = await makeEnv(nodes);
    w2 = env.servers.get('w2')!;
    env.store.mutate(GVR.nodes, undefined, 'w1', (n) => {
      const { ['k8s.ovn.org/egress-assignable']: _drop, ...rest } = n.metadata.labels ?? {};
      n.metadata.labels = rest;
    });
    env.store.create(GVR.namespaces, nsObj('prod'));
    for (let i = 0; i < 3; i++) env.store.create(GVR.pods, podObj('prod', `web-${i}`, 'w1', podIp(i)));
    env.store.create(GVR.egressips, eipObj('eip-a', [EIP], 'prod', [{ node: 'w2', egressIP: EIP }]));
    ok = await Ovnkube.start(env.ctx, { connect: (n) => connectNb(env.servers.get(n)?.sock ?? '', 5000), podlessGraceMs: 100 });
    await until('both zones running', () => !!ok.zones.get('w1')?.ctrl && !!ok.zones.get('w2')?.ctrl);
    await until('3 SNATs on GR_w2', () => snatIps().length === 3);
    await ok.idle();
  });
  afterAll(async () => {
    await ok?.stop();
    await env?.close();
  });

  it('the cache holds exactly what a full read of every model table returns, and the controllers never did one', async () => {
    const c = await connectNb(w2.sock, 5000, 'monitor');
    try {
      const byUuid = (rows: { uuid: string }[]) => [...rows].sort((a, b) => a.uuid.localeCompare(b.uuid));
      const cached = await c.state();
      expect(cached.rows.length).toBeGreaterThan(20);
      expect(byUuid(cached.rows)).toEqual(byUuid((await c.dump()).rows));
      expect(c.stats.resets).toBe(1);
    } finally {
      await c.close();
    }
    for (const n of ['w1', 'w2']) expect(zone(n).nbStats).toMatchObject({ dumps: 0, resets: 1 });
    expect(zone('w2').nbStats?.updates).toBeGreaterThan(0);
  });

  it('our own transaction is in the cache when transact() resolves (ovsdb-server flushes monitor updates before the reply)', async () => {
    const c = await connectNb(w2.sock, 5000, 'monitor');
    try {
      const updates = c.stats.updates;
      await c.transact([{ op: 'insert', table: 'Address_Set', row: { name: 'nh-own-write', addresses: ['set', ['10.0.0.1']] } }]);
      expect(c.stats.updates).toBe(updates + 1);
      await c.transact([{ op: 'delete', table: 'Address_Set', where: [['name', '==', 'nh-own-write']] }]);
      expect(c.stats.updates).toBe(updates + 2);
    } finally {
      await c.close();
    }
  });

  it('a SNAT deleted by hand (ovn-nbctl) is seen through the monitor: the next event for that pod re-adds it', async () => {
    const before = zone('w2').nbStats?.updates ?? 0;
    w2.nbctl('lr-nat-del', 'GR_w2', 'snat', podIp(0));
    expect(snatIps()).toEqual([podIp(1), podIp(2)]);
    // an unrelated pod's event does not touch it (event-driven, as before)
    touchPod('web-1', 'a');
    await ok.idle();
    expect(snatIps()).toEqual([podIp(1), podIp(2)]);
    touchPod('web-0', 'a');
    await ok.idle();
    expect(snatIps()).toEqual([podIp(0), podIp(1), podIp(2)]);
    expect(zone('w2').nbStats?.updates).toBeGreaterThan(before);
    expect(zone('w2').nbStats?.dumps).toBe(0);
  });

  it('a SNAT changed by hand is seen and put back; a hand-made SNAT that ovnkube does not own stays', async () => {
    const uuid = w2.nbctl('--bare', '--columns=_uuid', 'find', 'NAT', `logical_ip=${podIp(2)}`).trim();
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    w2.nbctl('set', 'NAT', uuid, 'external_ip="192.168.126.199"');
    w2.nbctl('lr-nat-add', 'GR_w2', 'snat', EIP, '10.128.0.99');
    expect(snatIps()).toEqual([podIp(0), podIp(1), '10.128.0.99']);
    touchPod('web-2', 'b');
    await ok.idle();
    expect(snatIps()).toEqual([podIp(0), podIp(1), podIp(2), '10.128.0.99']);
    expect(w2.nbctl('--bare', '--columns=external_ip', 'find', 'NAT', `logical_ip=${podIp(2)}`).trim()).toBe(EIP);
    expect(zone('w2').nbStats?.dumps).toBe(0);
    w2.nbctl('lr-nat-del', 'GR_w2', 'snat', '10.128.0.99');
  });

  it('NB restarted: the zone restarts, monitors afresh, and a row removed while the NB was down is seen missing and re-added', async () => {
    const old = zone('w2');
    await w2.stop();
    await until('the zone to report the lost connection', () => ok.zones.get('w2')?.ctrl !== old);
    // while the NB is down: drop the SNAT of web-1 straight from the database file
    const q = JSON.parse(
      execFileSync(
        'ovsdb-tool',
        [
          'query',
          w2.db,
          JSON.stringify([NB_DB_NAME, { op: 'select', table: 'NAT', where: [['logical_ip', '==', podIp(1)]], columns: ['_uuid'] }]),
        ],
        { encoding: 'utf8' },
      ),
    ) as { rows: { _uuid: ['uuid', string] }[] }[];
    const uuid = q[0].rows[0]._uuid[1];
    execFileSync('ovsdb-tool', [
      'transact',
      w2.db,
      JSON.stringify([
        NB_DB_NAME,
        {
          op: 'mutate',
          table: 'Logical_Router',
          where: [['name', '==', 'GR_w2']],
          mutations: [['nat', 'delete', ['set', [['uuid', uuid]]]]],
        },
      ]),
    ]);
    await w2.start();
    await until('a new w2 controller', () => !!ok.zones.get('w2')?.ctrl && ok.zones.get('w2')?.ctrl !== old);
    await until('the SNAT of web-1 back', () => snatIps().includes(podIp(1)));
    await ok.idle();
    expect(snatIps()).toEqual([podIp(0), podIp(1), podIp(2)]);
    expect(zone('w2').nbStats).toMatchObject({ resets: 1, dumps: 0 });
    expect(
      ok.zones.get('w2')?.logs.some((l) => l.startsWith('E') && l.includes('Lost the connection to the OVN northbound database')),
    ).toBe(true);
  });
});
