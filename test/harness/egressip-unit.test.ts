import { describe, it, expect } from 'vitest';
import { synthCluster, renderNodeDump, type SynthCluster } from '../../harness/checks/egressip/synthetic.ts';
import { parseNodeDump } from '../../harness/checks/egressip/collect.ts';
import { egressipCheck, EGRESSIP_FINDINGS, evaluateEgressIP, type EgressIPObserved } from '../../harness/checks/egressip/index.ts';
import { FINDING_KINDS } from '../../harness/checks/egressip/model.ts';

function observed(c: SynthCluster): EgressIPObserved {
  const nb = new Map([...c.nb].map(([name, n]) => [name, parseNodeDump(name, renderNodeDump(n))]));
  return { api: c.api, nb, timings: { apiMs: 0, nbMs: 0 } };
}

describe('egressipCheck (the Check unit)', () => {
  it('declares its name, every finding kind with a meaning, and zod params with defaults', () => {
    expect(egressipCheck.name).toBe('egressip');
    expect(Object.keys(EGRESSIP_FINDINGS).sort()).toEqual([...FINDING_KINDS].sort());
    for (const m of Object.values(EGRESSIP_FINDINGS)) expect(m.length).toBeGreaterThan(10);
    expect(egressipCheck.params.parse({})).toEqual({ concurrency: 8 });
    expect(() => egressipCheck.params.parse({ concurrency: 0 })).toThrow();
    expect(() => egressipCheck.params.parse({ bogus: 1 })).toThrow();
  });

  it('a clean cluster: no findings, CONSISTENT headline, per-node rule counts', () => {
    const c = synthCluster({ nodes: 4, eips: 2, podsPerEip: 6 });
    const o = observed(c);
    const f = egressipCheck.evaluate(o, egressipCheck.params.parse({}));
    expect(f).toEqual([]);
    const s = egressipCheck.summarise(o, f);
    expect(s.headline).toMatch(/^EgressIP consistency: CONSISTENT/);
    expect(s.counts.pods).toBe(12);
    expect(s.counts.snat_total).toBe(s.counts.expected_snat);
    const perNode = [...o.nb.keys()].reduce((a, n) => a + s.counts[`snat_${n}`], 0);
    expect(perNode).toBe(s.counts.snat_total);
    expect(s.counts.max_snat_per_node).toBeGreaterThan(0);
    expect(s.counts.lrp_total).toBe(12);
  });

  it('a deleted SNAT: a generic finding naming node, pod subject and labels, same as the old evaluate', () => {
    const c = synthCluster({ nodes: 4, eips: 2, podsPerEip: 6 });
    const node = c.api.eips[0].status[0].node;
    const n = c.nb.get(node)!;
    const victim = n.nat.findIndex((r) => r.external_ids['k8s.ovn.org/owner-type'] === 'EgressIP');
    n.nat.splice(victim, 1);
    const o = observed(c);
    const f = egressipCheck.evaluate(o, egressipCheck.params.parse({}));
    const old = evaluateEgressIP(o.api, o.nb).findings;
    expect(f.map((x) => x.kind)).toEqual(old.map((x) => x.kind));
    expect(f).toHaveLength(1);
    expect(f[0].kind).toBe('missing-snat');
    expect(f[0].node).toBe(node);
    expect(f[0].subject).toMatch(/^pod\/[^/]+\/[^/]+$/);
    expect(f[0].labels).toMatchObject({ egressip: c.api.eips[0].name });
    expect(f[0].labels?.pod).toBeTruthy();
    expect(f[0].message).toContain(node);
    expect(egressipCheck.summarise(o, f).headline).toMatch(/INCONSISTENT \(1 findings on 1 node/);
  });
});

describe('rows ovnkube does not own (issue 9 item 8), judged by what they do', () => {
  const fresh = (): SynthCluster => synthCluster({ nodes: 4, eips: 2, podsPerEip: 6 });
  const eipNatsOf = (c: SynthCluster, node: string) =>
    c.nb.get(node)!.nat.filter((r) => r.external_ids['k8s.ovn.org/owner-type'] === 'EgressIP');
  const addNat = (c: SynthCluster, node: string, ext: string, logical: string, ids: Record<string, string> = {}): void => {
    const n = c.nb.get(node)!;
    const uuid = `0000beef-0000-4000-8000-${String(n.nat.length).padStart(12, '0')}`;
    n.nat.push({ _uuid: uuid, type: 'snat', external_ip: ext, logical_ip: logical, logical_port: '', external_ids: ids });
    n.routers[1].nat.push(uuid);
  };
  const evaluate = (c: SynthCluster) => egressipCheck.evaluate(observed(c), egressipCheck.params.parse({}));

  it('a SNAT to an EgressIP for an IP no pod has, on the egress node: unowned-snat naming the node', () => {
    const c = fresh();
    const node = c.api.eips[0].status[0].node;
    addNat(c, node, c.api.eips[0].status[0].egressIP, '10.250.9.9');
    const f = evaluate(c);
    expect(f.map((x) => x.kind)).toEqual(['unowned-snat']);
    expect(f[0].node).toBe(node);
    expect(f[0].message).toMatch(/no pod has this IP/);
    expect(f[0].labels?.egressip).toBe(c.api.eips[0].name);
  });

  it('a SNAT for a served pod on a non-egress node: unowned-snat naming that node and the pod', () => {
    const c = fresh();
    const egressNodes = new Set(c.api.eips.flatMap((e) => e.status.map((s) => s.node)));
    const other = c.api.nodes.find((n) => !egressNodes.has(n.name))!.name;
    const nat = eipNatsOf(c, c.api.eips[0].status[0].node)[0];
    addNat(c, other, nat.external_ip, nat.logical_ip);
    const f = evaluate(c);
    expect(f.map((x) => x.kind)).toEqual(['unowned-snat']);
    expect(f[0].node).toBe(other);
    expect(f[0].subject).toMatch(/^pod\//);
    expect(f[0].message).toMatch(/not where its EgressIP/);
  });

  it('a deleted SNAT re-added by hand without external_ids: unowned-snat, not missing-snat', () => {
    const c = fresh();
    const node = c.api.eips[0].status[0].node;
    const n = c.nb.get(node)!;
    const nat = eipNatsOf(c, node)[0];
    n.nat.splice(n.nat.indexOf(nat), 1);
    expect(evaluate(c).map((x) => x.kind)).toEqual(['missing-snat']);
    addNat(c, node, nat.external_ip, nat.logical_ip);
    const f = evaluate(c);
    expect(f.map((x) => x.kind)).toEqual(['unowned-snat']);
    expect(f[0].node).toBe(node);
    expect(f[0].message).toMatch(/as expected, but has no ovnkube external_ids/);
  });

  it('SNATs to non-EgressIP addresses and owned rows are not unowned findings', () => {
    const c = fresh();
    addNat(c, c.api.nodes[0].name, '172.18.0.99', '10.250.9.9');
    expect(evaluate(c)).toEqual([]);
  });

  it('an unowned priority-102 allow or a priority-100 reroute for a served pod: unowned-lrp; a re-added reroute is not missing-lrp', () => {
    const c = fresh();
    const [podNode, n] = [...c.nb].find(([, x]) => x.lrp.some((r) => r.priority === 100))!;
    const lrp = n.lrp.find((r) => r.priority === 100)!;
    n.lrp.push({
      _uuid: '0000beef-0000-4000-8000-000000000102',
      priority: 102,
      match: lrp.match,
      action: 'allow',
      nexthops: [],
      external_ids: {},
      options: {},
    });
    n.routers[0].policies.push('0000beef-0000-4000-8000-000000000102');
    let f = evaluate(c);
    expect(f.map((x) => x.kind)).toEqual(['unowned-lrp']);
    expect(f[0].node).toBe(podNode);
    expect(f[0].message).toMatch(/from being rerouted/);
    // replace the owned reroute with an identical one without external_ids
    n.lrp.splice(n.lrp.indexOf(lrp), 1);
    n.lrp.push({ ...lrp, external_ids: {} });
    f = evaluate(c);
    expect(f.map((x) => x.kind).sort()).toEqual(['unowned-lrp', 'unowned-lrp']);
    expect(f.some((x) => /as expected/.test(x.message))).toBe(true);
  });
});
