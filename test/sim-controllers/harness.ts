/**
 * Test harness: a MemoryStore (sim/api/store.ts) bootstrapped like startCluster does, with the
 * 'nodes' and 'workloads' parts of sim/controllers on it, but no HTTP server and no OVN processes.
 */
import { MemoryStore } from '../../sim/api/store.ts';
import { bootstrap } from '../../sim/api/bootstrap.ts';
import { defaultNodes } from '../../sim/topology.ts';
import type { IpStack, KubeObject, SimContext, SimNodeSpec } from '../../sim/types.ts';
import {
  startNodes,
  startWorkloads,
  type NodesPartOptions,
  type RunningNodes,
  type RunningWorkloads,
  type WorkloadsPartOptions,
} from '../../sim/controllers/index.ts';

export interface TestSim {
  ctx: SimContext;
  store: MemoryStore;
  nodes: RunningNodes;
  workloads: RunningWorkloads;
  logs: string[];
  stop(): Promise<void>;
}

export async function startTestSim(
  opts: {
    nodes?: SimNodeSpec[];
    speed?: number;
    ipStack?: IpStack;
    nodeOpts?: NodesPartOptions;
    workloadOpts?: WorkloadsPartOptions;
    services?: SimContext['services'];
  } = {},
): Promise<TestSim> {
  const nodes = opts.nodes ?? defaultNodes(3, 3);
  const store = new MemoryStore();
  const logs: string[] = [];
  const ctx: SimContext = {
    store,
    workdir: '/tmp/netharness-test',
    nodes,
    ipStack: opts.ipStack ?? 'ipv4',
    speed: opts.speed ?? 50,
    log: (l) => logs.push(l),
    services: { ...(opts.services ?? {}) },
  };
  store.gracefulPods = () => ctx.services.podRuntime !== undefined;
  bootstrap(store, nodes, ctx.ipStack);
  const n = await startNodes(ctx, opts.nodeOpts);
  const w = await startWorkloads(ctx, { openshiftNetwork: false, ...opts.workloadOpts });
  return {
    ctx,
    store,
    nodes: n,
    workloads: w,
    logs,
    async stop() {
      await w.stop();
      await n.stop();
    },
  };
}

export async function waitFor<T>(fn: () => T | undefined | false, what: string, timeoutMs = 20_000, intervalMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const POD = { group: '', version: 'v1', resource: 'pods' };
export const NODE = { group: '', version: 'v1', resource: 'nodes' };
export const EVENT = { group: '', version: 'v1', resource: 'events' };
export const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments' };
export const RS = { group: 'apps', version: 'v1', resource: 'replicasets' };
export const DS = { group: 'apps', version: 'v1', resource: 'daemonsets' };

export function pod(name: string, spec: Record<string, unknown> = {}, ns = 'default', labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }], ...spec },
  };
}

export function deployment(name: string, replicas: number, ns = 'default', extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }], terminationGracePeriodSeconds: 30 },
      },
      ...extra,
    },
  };
}

export function condition(o: KubeObject | undefined, type: string): { status: string; reason?: string; message?: string } | undefined {
  return ((o?.status?.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[]).find(
    (c) => c.type === type,
  );
}

export function events(store: MemoryStore, name?: string): { reason: string; message: string; involvedObject: { name: string } }[] {
  return store.list(EVENT).filter((e) => !name || (e.involvedObject as { name: string }).name === name) as unknown as {
    reason: string;
    message: string;
    involvedObject: { name: string };
  }[];
}
