// The eval runner's health gate before the first trial (evals/runner/heal.ts waitUntilHealthy): a just-started
// cluster whose ovnkube-node pods become Ready a moment after /readyz answers is waited for, not failed; one that
// never does fails after the bound, naming the pods.
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../harness/cluster/connect.ts';
import { waitUntilHealthy } from '../../evals/runner/heal.ts';

const node = (name: string) => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
const pod = (name: string, ready: boolean) => ({
  metadata: { name, labels: { app: 'ovnkube-node' } },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

/** A cluster of two nodes whose ovnkube-node pods turn Ready on the `readyAt`-th pod list (never when 0). */
function fakeCluster(readyAt: number): { cluster: Cluster; lists: () => number } {
  let lists = 0;
  const core = {
    listNode: async () => ({ items: [node('a'), node('b')] }),
    listNamespacedPod: async () => {
      lists++;
      const ready = readyAt > 0 && lists >= readyAt;
      return { items: [pod('ovnkube-node-a', ready), pod('ovnkube-node-b', ready)] };
    },
  };
  return { cluster: { core } as unknown as Cluster, lists: () => lists };
}

describe('waitUntilHealthy', () => {
  it('waits for ovnkube-node pods that become Ready after the start, telling why it waits', async () => {
    const { cluster, lists } = fakeCluster(3);
    const told: string[] = [];
    const bad = await waitUntilHealthy(cluster, { timeoutMs: 10_000, onWait: (w) => told.push(w) });
    expect(bad).toBeUndefined();
    expect(lists()).toBe(3);
    // told once per new reason, not once per poll
    expect(told).toEqual(['openshift-ovn-kubernetes pods not Ready: ovnkube-node-a, ovnkube-node-b']);
  });

  it('returns the last reason, naming the pods, when the bound passes', async () => {
    const { cluster, lists } = fakeCluster(0);
    const t0 = Date.now();
    const bad = await waitUntilHealthy(cluster, { timeoutMs: 600 });
    expect(bad).toBe('openshift-ovn-kubernetes pods not Ready: ovnkube-node-a, ovnkube-node-b');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    expect(lists()).toBeGreaterThan(1);
  });

  it('a healthy cluster passes on the first look', async () => {
    const { cluster, lists } = fakeCluster(1);
    expect(await waitUntilHealthy(cluster, { timeoutMs: 0 })).toBeUndefined();
    expect(lists()).toBe(1);
  });

  it('an API error is a reason to wait, and the last one is reported', async () => {
    const cluster = {
      core: {
        listNode: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
        },
      },
    } as unknown as Cluster;
    expect(await waitUntilHealthy(cluster, { timeoutMs: 300 })).toMatch(/list nodes: .*ECONNREFUSED/);
  });

  it('stops at once on abort', async () => {
    const { cluster } = fakeCluster(0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(waitUntilHealthy(cluster, { timeoutMs: 60_000, signal: ac.signal })).rejects.toThrow();
  });
});
