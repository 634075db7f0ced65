/**
 * Chaos benchmarks (pure parts; no cluster):
 *  - target selection: filter 10k / 100k pods by a Chaos Mesh selector (namespaces, labels, expressions,
 *    fieldSelectors, nodes) then pick by mode                          goal < 50 ms at 100k pods
 *  - render + validate a template (params, substitution, YAML parse, webhook validation)
 *  - conditions from 1k records
 *
 *   npx tsx bench/chaos.bench.ts
 */
import { Bench } from 'tinybench';
import { filterPods } from '../sim/chaos/select.ts';
import { deriveConditions, selectByMode, type ChaosRecord } from '../chaos/model.ts';
import { renderTemplate } from '../harness/chaos/templates.ts';
import type { KubeObject } from '../sim/types.ts';

function pods(n: number): KubeObject[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, namespace: `ns-${i % 50}`, labels: { app: i % 3 === 0 ? 'web' : 'db', tier: i % 2 ? 'front' : 'back' } },
    spec: { nodeName: `worker-${i % 120}`, containers: [{ name: 'c' }] },
    status: { phase: 'Running' },
  }));
}

const rows: Record<string, string | number>[] = [];
for (const n of [10_000, 100_000]) {
  const all = pods(n);
  const sel = {
    namespaces: Array.from({ length: 25 }, (_, i) => `ns-${i}`),
    labelSelectors: { app: 'web' },
    expressionSelectors: [{ key: 'tier', operator: 'In' as const, values: ['front'] }],
    nodes: Array.from({ length: 60 }, (_, i) => `worker-${i}`),
  };
  const bench = new Bench({ time: 1000, warmupIterations: 2 });
  let picked = 0;
  bench.add(`select ${n} pods`, () => {
    picked = selectByMode(filterPods(all, [], sel, 'default'), 'fixed-percent', '10').length;
  });
  await bench.run();
  const r = bench.tasks[0].result as { latency: { mean: number; p99: number } } | undefined;
  rows.push({
    task: `select from ${n} pods`,
    'mean ms': Number((r?.latency.mean ?? 0).toFixed(2)),
    'p99 ms': Number((r?.latency.p99 ?? 0).toFixed(2)),
    picked,
  });
}
const b2 = new Bench({ time: 1000 });
const recs: ChaosRecord[] = Array.from({ length: 1000 }, (_, i) => ({
  id: `ns/p-${i}`,
  selectorKey: '.',
  phase: 'Injected',
  injectedCount: 1,
  recoveredCount: 0,
}));
b2.add('render + validate network-partition', () => {
  renderTemplate('network-partition', { node: 'worker-1', externalTargets: ['192.168.126.11', '192.168.126.12'] });
});
b2.add('conditions of 1k records', () => {
  deriveConditions(recs, false);
});
await b2.run();
for (const t of b2.tasks) {
  const r = t.result as { latency: { mean: number; p99: number } } | undefined;
  rows.push({
    task: t.name,
    'mean ms': Number((r?.latency.mean ?? 0).toFixed(3)),
    'p99 ms': Number((r?.latency.p99 ?? 0).toFixed(3)),
    picked: '',
  });
}
console.table(rows);
const big = rows.find((r) => r.task === 'select from 100000 pods');
if (big) console.log(`select from 100k pods: ${big['mean ms']} ms (goal < 50 ms) -> ${Number(big['mean ms']) < 50 ? 'OK' : 'OVER'}`);
