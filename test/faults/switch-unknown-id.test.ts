/** A ConfigMap key outside the catalogue switches nothing, and the sim says so once (a typo in `kubectl patch`). */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../sim/api/store.ts';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { FAULTS_CONFIGMAP, FAULTS_NAMESPACE, FaultSwitch } from '../../sim/ovnkube/faults.ts';
import type { SimContext } from '../../sim/types.ts';

describe('fault switch: unknown ids', () => {
  it('ignores a key that is not a fault id and logs it once', () => {
    const store = new MemoryStore();
    const logs: string[] = [];
    const ctx = {
      store,
      workdir: '/tmp',
      nodes: [],
      ipStack: 'ipv4',
      speed: 1,
      log: (l: string) => logs.push(l),
      services: {},
    } as unknown as SimContext;
    const fs = FaultSwitch.bind(ctx);
    const other = FaultSwitch.bind(ctx); // a second part (sim/ptp) follows the same ConfigMap
    const changes: string[][] = [];
    fs.onChange((c) => changes.push([...c]));
    const patch = (data: Record<string, string>) =>
      store.mutate(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
        cm.data = data;
      });
    patch({ 'eip-duplicate-snatt': 'on' });
    patch({ 'eip-duplicate-snatt': 'on', 'stale-sb': 'on' });
    expect(fs.activeIds()).toEqual(['stale-sb']);
    expect(fs.on('eip-duplicate-snat')).toBe(false);
    expect(changes).toEqual([['stale-sb']]);
    expect(logs.filter((l) => l.includes("'eip-duplicate-snatt' is not a fault id"))).toHaveLength(1);
    fs.stop();
    other.stop();
  });
});
