/**
 * sim/controllers + sim/kubelet benchmarks, in-process on the MemoryStore (no HTTP, no OVN):
 *  - pure: selectNode over 23 nodes, fitErrorMessage, label selector parse+match   (tinybench)
 *  - 2000 pods via 10 Deployments on 3+10 nodes: create -> all scheduled, -> all Running+Ready
 *  - 20 workers (maxPods 500) x 10k pods via 10 Deployments: time and memory (heap, RSS)
 * Timings of the sim are divided by speed (CTRL_BENCH_SPEED, default 1000: ContainerCreating
 * 1.5 s -> 1.5 ms), so the numbers are the cost of the controllers, kubelets and store.
 *
 *   npx tsx bench/controllers.bench.ts     (CTRL_BENCH_EVENTS=0 to switch core/v1 Events off)
 */
import { Bench } from 'tinybench';
import { MemoryStore } from '../sim/api/store.ts';
import { bootstrap } from '../sim/api/bootstrap.ts';
import { startNodes, startWorkloads } from '../sim/controllers/index.ts';
import { fitErrorMessage, selectNode } from '../sim/controllers/scheduler.ts';
import { matchLabelSelectorString } from '../sim/controllers/selectors.ts';
import { defaultNodes } from '../sim/topology.ts';
import type { KubeObject, SimContext, SimNodeSpec } from '../sim/types.ts';

const SPEED = Number(process.env.CTRL_BENCH_SPEED ?? 1000);
const EVENTS = process.env.CTRL_BENCH_EVENTS !== '0';
const POD = { group: '', version: 'v1', resource: 'pods' };
const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments' };

function deployment(name: string, ns: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] } },
    },
  };
}

const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function scenario(label: string, nodes: SimNodeSpec[], deployments: number, replicas: number, maxPods?: number): Promise<void> {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const store = new MemoryStore(undefined, 200_000);
  const ctx: SimContext = {
    store,
    workdir: '/tmp/nh-ctrl-bench',
    nodes,
    ipStack: 'ipv4',
    speed: SPEED,
    log: () => undefined,
    services: {},
  };
  store.gracefulPods = () => ctx.services.podRuntime !== undefined;
  bootstrap(store, nodes, 'ipv4');
  const n = await startNodes(ctx, { maxPods, events: EVENTS });
  const w = await startWorkloads(ctx, { openshiftNetwork: false, events: EVENTS });
  const total = deployments * replicas;
  store.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  let scheduled = 0;
  let running = 0;
  let tScheduled = 0;
  let tRunning = 0;
  const seenBound = new Set<string>();
  const seenRunning = new Set<string>();
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    store.watch(
      POD,
      (ev) => {
        const p = ev.object;
        const k = p.metadata.name;
        if (ev.type === 'DELETED') return;
        if ((p.spec as { nodeName?: string }).nodeName && !seenBound.has(k)) {
          seenBound.add(k);
          if (++scheduled === total) tScheduled = performance.now() - t0;
        }
        const ready = ((p.status?.conditions ?? []) as { type: string; status: string }[]).some(
          (c) => c.type === 'Ready' && c.status === 'True',
        );
        if (p.status?.phase === 'Running' && ready && !seenRunning.has(k)) {
          seenRunning.add(k);
          if (++running === total) {
            tRunning = performance.now() - t0;
            resolve();
          }
        }
      },
      { namespace: 'bench' },
    );
  });
  for (let i = 0; i < deployments; i++) store.create(DEPLOY, deployment(`app-${i}`, 'bench', replicas));
  const timeout = new Promise<void>((_, reject) =>
    setTimeout(() => reject(new Error(`${label}: timed out at ${scheduled} scheduled / ${running} running`)), 600_000).unref(),
  );
  await Promise.race([done, timeout]);
  global.gc?.();
  const mem = process.memoryUsage();
  const perNode = new Map<string, number>();
  for (const p of store.list(POD, { namespace: 'bench' })) {
    const nn = (p.spec as { nodeName: string }).nodeName;
    perNode.set(nn, (perNode.get(nn) ?? 0) + 1);
  }
  const counts = [...perNode.values()];
  const events = store.list({ group: '', version: 'v1', resource: 'events' }).length;
  console.log(
    `${label}: ${total} pods on ${perNode.size} nodes (min ${Math.min(...counts)}, max ${Math.max(...counts)} per node) — all scheduled ${sec(tScheduled)}, all Running+Ready ${sec(tRunning)}` +
      ` (${Math.round(total / (tRunning / 1000))} pods/s); heap +${mb(mem.heapUsed - heap0)}, RSS ${mb(mem.rss)}; ${events} Events stored${EVENTS ? '' : ' (events off)'}`,
  );
  await w.stop();
  await n.stop();
}

async function main(): Promise<void> {
  // pure parts
  const nodes23 = defaultNodes(3, 20).map((s) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: s.name,
      labels: {
        'kubernetes.io/hostname': s.name,
        ...(s.role === 'control-plane' ? { 'node-role.kubernetes.io/master': '' } : { 'node-role.kubernetes.io/worker': '' }),
      },
    },
    spec: s.role === 'control-plane' ? { taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] } : {},
    status: { allocatable: { pods: '500' } },
  }));
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c' }], nodeSelector: { 'node-role.kubernetes.io/worker': '' } },
  };
  const bench = new Bench({ time: 500 });
  let i = 0;
  bench
    .add('selectNode, 23 nodes', () => {
      selectNode(p, nodes23, (n) => (n.length + i++) % 500);
    })
    .add('fitErrorMessage, 23 failures', () => {
      fitErrorMessage(
        23,
        nodes23.map((_n, k) => ({
          reason:
            k < 3
              ? 'node(s) had untolerated taint {node-role.kubernetes.io/master: }'
              : "node(s) didn't match Pod's node affinity/selector",
          unresolvable: true,
        })),
      );
    })
    .add('label selector parse+match', () => {
      matchLabelSelectorString({ app: 'web', tier: 'b' }, 'app=web,tier in (a,b),!legacy');
    });
  await bench.run();
  console.table(bench.table());

  await scenario('2000 pods / 10 Deployments / 3+10 nodes', defaultNodes(3, 10), 10, 200);
  await scenario('10k pods / 10 Deployments / 3+20 nodes (maxPods 500)', defaultNodes(3, 20), 10, 1000, 500);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
