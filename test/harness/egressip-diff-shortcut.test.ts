/**
 * The diff's per-node shortcut (typed index, one lookup per row) against the full diff on random clusters:
 * seeded synthetic clusters with random faults in the NB rows and the API state must give the same findings,
 * in the same order, and the same row counts, with the shortcut on and off. Clean clusters must take the
 * shortcut (they never build the per-node maps the full diff reads).
 */
import { describe, it, expect } from 'vitest';
import { synthCluster, renderNodeDump, synthPodIp, type SynthCluster, type SynthNode } from '../../harness/checks/egressip/synthetic.ts';
import { parseNodeDump } from '../../harness/checks/egressip/nb-reader.ts';
import { computeExpected } from '../../harness/checks/egressip/expected.ts';
import { diffEgressIP, type DiffCounts } from '../../harness/checks/egressip/diff.ts';
import { ipKey, v4Key } from '../../harness/checks/egressip/net.ts';
import type { Expected, NodeDump } from '../../harness/checks/egressip/model.ts';
import { mulberry32 } from '../../harness/random.ts';

const actualOf = (c: SynthCluster): Map<string, NodeDump> =>
  new Map([...c.nb].map(([name, n]) => [name, parseNodeDump(name, renderNodeDump(n))]));

/** Counts reads of `nodes` (the per-node maps only the full diff reads). */
function watchNodes(e: Expected): { reads: number } {
  const w = { reads: 0 };
  const get = Object.getOwnPropertyDescriptor(e, 'nodes')?.get;
  if (!get) throw new Error('Expected.nodes is no getter');
  Object.defineProperty(e, 'nodes', {
    get() {
      w.reads++;
      return get.call(e);
    },
  });
  return w;
}

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
let uuidN = 0;
const uuid = (): string => `ffffffff-0000-4000-8000-${(++uuidN).toString(16).padStart(12, '0')}`;

/** One random fault, in the NB rows of a node or in the API state. */
function mutate(c: SynthCluster, rnd: Rnd): string {
  const names = [...c.nb.keys()];
  const n: SynthNode = c.nb.get(pick(rnd, names)) as SynthNode;
  const [lr, gr] = n.routers;
  const eipNat = n.nat.filter((r) => r.external_ids['k8s.ovn.org/owner-type'] === 'EgressIP' || r.external_ids.name);
  const reroutes = n.lrp.filter((r) => r.priority === 100);
  const noReroutes = n.lrp.filter((r) => r.priority === 102);
  const pods = c.api.pods;
  const k = Math.floor(rnd() * 24);
  switch (k) {
    case 0:
      if (eipNat.length) n.nat.splice(n.nat.indexOf(pick(rnd, eipNat)), 1);
      return 'delete a SNAT';
    case 1: {
      if (!eipNat.length) return 'none';
      const d = { ...pick(rnd, eipNat), _uuid: uuid() };
      n.nat.push(d);
      gr.nat.push(d._uuid);
      return 'duplicate a SNAT';
    }
    case 2:
      if (eipNat.length) pick(rnd, eipNat).external_ip = pick(rnd, ['172.20.0.99', c.api.eips[0].egressIPs[0], 'fd00:126::99']);
      return 'change a SNAT external_ip';
    case 3:
      if (eipNat.length) pick(rnd, eipNat).logical_port = pick(rnd, ['', 'k8s-node-1', 'k8s-elsewhere']);
      return 'change a SNAT logical_port';
    case 4: {
      if (!eipNat.length) return 'none';
      const r = pick(rnd, eipNat);
      gr.nat.splice(gr.nat.indexOf(r._uuid), 1);
      if (rnd() < 0.5) lr.nat.push(r._uuid);
      return 'move a SNAT off its GR';
    }
    case 5:
      if (eipNat.length) pick(rnd, eipNat).external_ids = rnd() < 0.5 ? {} : { other: 'x' };
      return 'strip a SNAT of its owner';
    case 6:
      if (reroutes.length) n.lrp.splice(n.lrp.indexOf(pick(rnd, reroutes)), 1);
      return 'delete a reroute';
    case 7: {
      if (!reroutes.length) return 'none';
      const d = { ...pick(rnd, reroutes), _uuid: uuid() };
      n.lrp.push(d);
      lr.policies.push(d._uuid);
      return 'duplicate a reroute';
    }
    case 8: {
      if (!reroutes.length) return 'none';
      const r = pick(rnd, reroutes);
      const m = Math.floor(rnd() * 4);
      r.nexthops = m === 0 ? [] : m === 1 ? [...r.nexthops, '100.88.0.99'] : m === 2 ? [r.nexthops[0], r.nexthops[0]] : ['100.64.0.77'];
      return 'change reroute nexthops';
    }
    case 9:
      if (reroutes.length)
        pick(rnd, reroutes).match = pick(rnd, ['ip4.src == 010.128.0.1', 'garbage', 'ip4.src == 10.200.0.1', '(ip4.src == 10.129.0.0)']);
      return 'change a reroute match';
    case 10:
      if (reroutes.length) pick(rnd, reroutes).priority = pick(rnd, [101, 102]);
      return 'change a reroute priority';
    case 11: {
      const set = pick(rnd, n.as);
      if (set?.addresses.length) set.addresses.splice(Math.floor(rnd() * set.addresses.length), 1);
      return 'drop a served-pods address';
    }
    case 12: {
      const set = pick(rnd, n.as);
      if (!set) return 'none';
      set.addresses.push(pick(rnd, [...set.addresses, '10.250.0.1', 'fd01:0:0:99::1', pods[0]?.ips[0] ?? '10.1.1.1']));
      return 'add a served-pods address';
    }
    case 13:
      if (noReroutes.length) n.lrp.splice(n.lrp.indexOf(pick(rnd, noReroutes)), 1);
      return 'delete a no-reroute policy';
    case 14: {
      const p = pick(rnd, pods);
      if (!p) return 'none';
      const ip = p.ips[0];
      const r = {
        _uuid: uuid(),
        priority: pick(rnd, [100, 102]),
        match: `${ip.includes(':') ? 'ip6' : 'ip4'}.src == ${ip}`,
        action: pick(rnd, ['reroute', 'allow']),
        nexthops: ['100.88.0.9'],
        external_ids: {},
        options: {},
      };
      n.lrp.push(r);
      lr.policies.push(r._uuid);
      return 'add an unowned policy for a pod';
    }
    case 15: {
      const p = pick(rnd, pods);
      if (p) p.phase = pick(rnd, ['Pending', 'Succeeded']);
      return 'a pod not Running';
    }
    case 16: {
      const p = pick(rnd, pods);
      if (p) p.terminating = true;
      return 'a pod terminating';
    }
    case 17: {
      const p = pick(rnd, pods);
      if (p) pods.push({ ...p, name: `${p.name}-twin`, node: rnd() < 0.5 ? p.node : pick(rnd, names) });
      return 'two pods with one IP';
    }
    case 18: {
      const e = pick(rnd, c.api.eips);
      if (!e?.status.length) return 'none';
      const s = pick(rnd, e.status);
      const m = Math.floor(rnd() * 3);
      if (m === 0) e.status.push({ node: s.node, egressIP: s.egressIP.includes(':') ? 'fd00:126::aa' : '172.20.9.9' });
      else if (m === 1) e.status.splice(e.status.indexOf(s), 1);
      else s.node = pick(rnd, ['node-missing', ...names]);
      return 'change an EgressIP status';
    }
    case 19: {
      const p = pick(rnd, pods);
      if (p) p.node = 'node-gone';
      return 'a pod on an unknown node';
    }
    case 20:
      if (c.api.nodes.length > 1) c.api.nodes.splice(Math.floor(rnd() * c.api.nodes.length), 1);
      return 'a node gone from the API, not from the NBs';
    case 21:
      if (eipNat.length) {
        const r = pick(rnd, eipNat);
        r.logical_ip = rnd() < 0.5 ? `${r.logical_ip}/32` : r.logical_ip.toUpperCase();
      }
      return 'a SNAT logical_ip written another way';
    case 22: {
      const r = {
        _uuid: uuid(),
        type: 'snat',
        external_ip: pick(rnd, c.api.eips).egressIPs[0],
        logical_ip: pick(rnd, [pods[0]?.ips[0] ?? '10.1.1.1', '10.99.0.1']),
        logical_port: '',
        external_ids: {},
      };
      n.nat.push(r);
      gr.nat.push(r._uuid);
      return 'an unowned SNAT to an EgressIP';
    }
    default: {
      const p = pick(rnd, pods);
      if (p) p.ips = [...p.ips, p.ips[0]];
      return 'a pod listing one IP twice';
    }
  }
}

function bothWays(c: SynthCluster): { fast: unknown; full: unknown; fastCounts: DiffCounts; fullCounts: DiffCounts } {
  const actual = actualOf(c);
  const fastCounts: DiffCounts = { snat: {}, lrp: {} };
  const fullCounts: DiffCounts = { snat: {}, lrp: {} };
  const fast = diffEgressIP(computeExpected(c.api), actual, fastCounts);
  const full = diffEgressIP(computeExpected(c.api), actual, fullCounts, { shortcut: false });
  return { fast, full, fastCounts, fullCounts };
}

describe('EgressIP diff: the per-node shortcut agrees with the full diff', () => {
  it('on 300 random clusters with 0-3 random faults each', () => {
    const rnd = mulberry32(0x14b);
    let withFindings = 0;
    for (let i = 0; i < 300; i++) {
      const c = synthCluster({
        nodes: 2 + Math.floor(rnd() * 6),
        eips: 1 + Math.floor(rnd() * 3),
        podsPerEip: 1 + Math.floor(rnd() * 8),
        ipsPerEip: 1 + Math.floor(rnd() * 2),
        stack: pick(rnd, ['ipv4', 'ipv6', 'dual'] as const),
        legacy: rnd() < 0.25,
      });
      const faults = Array.from({ length: Math.floor(rnd() * 4) }, () => mutate(c, rnd));
      const r = bothWays(c);
      if ((r.full as unknown[]).length) withFindings++;
      expect(r.fast, `case ${i}: ${faults.join(', ') || 'no fault'}`).toEqual(r.full);
      expect(r.fastCounts, `case ${i} counts: ${faults.join(', ')}`).toEqual(r.fullCounts);
    }
    // the faults must bite: most cases report something, so the comparison covers the full diff's findings
    expect(withFindings).toBeGreaterThan(150);
  });

  it('clean clusters take the shortcut: no per-node maps, no findings, counts as the full diff', () => {
    for (const stack of ['ipv4', 'ipv6', 'dual'] as const) {
      for (const legacy of [false, true]) {
        const c = synthCluster({ nodes: 7, eips: 3, podsPerEip: 9, ipsPerEip: 2, stack, legacy });
        const actual = actualOf(c);
        const e = computeExpected(c.api);
        const w = watchNodes(e);
        const counts: DiffCounts = { snat: {}, lrp: {} };
        expect(diffEgressIP(e, actual, counts)).toEqual([]);
        expect(w.reads, `${stack}${legacy ? ' legacy' : ''}`).toBe(0);
        const full: DiffCounts = { snat: {}, lrp: {} };
        diffEgressIP(computeExpected(c.api), actual, full, { shortcut: false });
        expect(counts).toEqual(full);
        expect(e.counts.snat).toBe(3 * 9 * 2 * (stack === 'dual' ? 2 : 1));
      }
    }
  });

  it('an inconsistent node takes the full diff, the others keep the shortcut', () => {
    const c = synthCluster({ nodes: 5, eips: 2, podsPerEip: 6 });
    const bad = c.api.eips[0].status[0].node;
    const n = c.nb.get(bad) as SynthNode;
    n.nat.splice(
      n.nat.findIndex((r) => r.external_ids['k8s.ovn.org/owner-type'] === 'EgressIP'),
      1,
    );
    const e = computeExpected(c.api);
    const w = watchNodes(e);
    const f = diffEgressIP(e, actualOf(c));
    expect(f.map((x) => [x.kind, x.node])).toEqual([['missing-snat', bad]]);
    expect(w.reads).toBe(1);
  });
});

describe('ipKey', () => {
  it('is an int32 for canonical IPv4 and the canonical text otherwise; equal keys iff equal canonical IPs', () => {
    expect(v4Key('10.128.0.5')).toBe((10 << 24) | (128 << 16) | 5);
    expect(v4Key('255.255.255.255')).toBe(-1);
    expect(v4Key('0.0.0.0')).toBe(0);
    for (const bad of ['010.1.1.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4/32', ' 1.2.3.4', '', '1..2.3', 'a.b.c.d'])
      expect(v4Key(bad), bad).toBeUndefined();
    expect(v4Key('ip4.src == 10.1.2.3', 11)).toBe(v4Key('10.1.2.3'));
    expect(ipKey('10.1.2.3/32')).toBe(ipKey('10.1.2.3'));
    expect(ipKey(' 10.1.2.3 ')).toBe(ipKey('10.1.2.3'));
    expect(ipKey('FD01::0:1')).toBe('fd01::1');
    expect(ipKey('010.1.2.3')).toBe('010.1.2.3');
    expect(ipKey(synthPodIp(300, 7, 'v4'))).toBeTypeOf('number');
  });
});
