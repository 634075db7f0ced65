/**
 * Event-driven OVN lifecycle: the sim is driven by API objects.
 *
 * - ovnkube-node pods (namespace openshift-ovn-kubernetes, label app=ovnkube-node, spec.nodeName):
 *   a node whose ovnkube-node pod was Running and no longer is (deleted, terminating, not Running)
 *   -> stopOvnPod(node); a pod Running again -> startOvnPod(node). Until a pod has been seen Running
 *   for a node, absence does not stop anything (the processes start with the cluster).
 * - Node objects: annotation `sim.netharness.io/rebooting` appears -> stopHost(node); removed ->
 *   startHost(node), then the pod processes too if its ovnkube-node pod is Running (or none is known).
 *
 * Reconciliation is per node and level-based: each event recomputes the wanted state and the
 * node's serialised operations converge to it.
 */
import type { KubeObject, OvnLifecycle, SimContext } from '../types.ts';
import { GVR } from '../gvr.ts';
import { OVN_NAMESPACE } from '../constants.ts';

export { OVN_NAMESPACE };
export const OVNKUBE_NODE_SELECTOR = 'app=ovnkube-node';
export const REBOOTING_ANNOTATION = 'sim.netharness.io/rebooting';

const PODS = GVR.pods;
const NODES = GVR.nodes;

export function podRunning(p: KubeObject): boolean {
  return !p.metadata.deletionTimestamp && (p.status as { phase?: string } | undefined)?.phase === 'Running';
}

export function podNode(p: KubeObject): string | undefined {
  const n = (p.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof n === 'string' ? n : undefined;
}

export function nodeRebooting(n: KubeObject): boolean {
  return n.metadata.annotations?.[REBOOTING_ANNOTATION] !== undefined;
}

interface Wanted {
  host: boolean;
  pod: boolean;
}

/** Pure: what should run on a node, given its Node object and its ovnkube-node pods. */
export function wantedState(node: KubeObject | undefined, pods: KubeObject[], podEverRunning: boolean): Wanted {
  const host = !(node && nodeRebooting(node));
  const anyRunning = pods.some(podRunning);
  const pod = host && (anyRunning || !podEverRunning);
  return { host, pod };
}

export interface LifecycleTarget extends OvnLifecycle {
  nodes: Map<string, { hostRunning: boolean; ovnPodRunning: boolean }>;
}

export function watchOvnLifecycle(ctx: SimContext, target: LifecycleTarget): () => void {
  const everRunning = new Set<string>();
  const busy = new Map<string, Promise<void>>();
  const again = new Set<string>();

  const reconcile = (name: string): void => {
    if (!target.nodes.has(name)) return;
    again.add(name);
    if (busy.has(name)) return;
    const p = (async () => {
      await Promise.resolve();
      while (again.has(name)) {
        again.delete(name);
        await reconcileOnce(name);
      }
    })().finally(() => {
      busy.delete(name);
      if (again.has(name)) reconcile(name);
    });
    busy.set(name, p);
  };

  const reconcileOnce = async (name: string): Promise<void> => {
    const node = ctx.store.get(NODES, undefined, name);
    const pods = ctx.store
      .list(PODS, { namespace: OVN_NAMESPACE, labelSelector: OVNKUBE_NODE_SELECTOR })
      .filter((x) => podNode(x) === name);
    if (pods.some(podRunning)) everRunning.add(name);
    const want = wantedState(node, pods, everRunning.has(name));
    const cur = target.nodes.get(name);
    if (!cur) return;
    try {
      if (!want.host && cur.hostRunning) {
        ctx.log(`sim: ${name} rebooting: stopping OVS and OVN processes`);
        await target.stopHost(name);
      } else if (!want.pod && cur.ovnPodRunning) {
        ctx.log(`sim: ovnkube-node on ${name} not running: stopping nbdb, sbdb, northd, ovn-controller`);
        await target.stopOvnPod(name);
      }
      if (want.host && !cur.hostRunning) {
        ctx.log(`sim: ${name} back: starting OVS`);
        await target.startHost(name);
      }
      if (want.pod && !cur.ovnPodRunning) {
        ctx.log(`sim: ovnkube-node on ${name} running: starting nbdb, sbdb, northd, ovn-controller`);
        await target.startOvnPod(name);
      }
    } catch (err) {
      ctx.log(`sim: OVN lifecycle on ${name} failed: ${(err as Error).message}`);
    }
  };

  const unwatchPods = ctx.store.watch(
    PODS,
    (ev) => {
      const n = podNode(ev.object);
      if (n) {
        if (ev.type !== 'DELETED' && podRunning(ev.object)) everRunning.add(n);
        reconcile(n);
      }
    },
    { namespace: OVN_NAMESPACE, labelSelector: OVNKUBE_NODE_SELECTOR },
  );
  const unwatchNodes = ctx.store.watch(NODES, (ev) => reconcile(ev.object.metadata.name));
  // the state at start
  for (const name of target.nodes.keys()) reconcile(name);
  return () => {
    unwatchPods();
    unwatchNodes();
  };
}
