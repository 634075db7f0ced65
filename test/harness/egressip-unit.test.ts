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
    const c = synthCluster({ nodes: 4, egressNodes: 2, eips: 2, podsPerEip: 6 });
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
    const c = synthCluster({ nodes: 4, egressNodes: 2, eips: 2, podsPerEip: 6 });
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
