/**
 * NetworkChaos in the embedded cluster: a partition of a host-network pod cuts its node off
 * (NodeActions.setPartitioned: the API and the EgressIP reachability probe see it unreachable); several
 * partitions of one node are refcounted. The netem actions (delay, loss, ...) are recorded only.
 */
import { GVR } from '../../controllers/common.ts';
import type { KindEffectFactory, Spec } from './types.ts';

const isPartition = (spec: Spec, selectorKey: string) => spec.action === 'partition' && selectorKey === '.';

export const networkChaosEffect: KindEffectFactory = (ctx) => {
  /** node -> how many applied records cut it off */
  const partitions = new Map<string, number>();
  /** chaos uid -> record id -> the node it cut off (undefined: recorded only) */
  const cut = new Map<string, Map<string, string | undefined>>();

  return {
    apply(obj, spec, r) {
      const remember = (node: string | undefined) => {
        const uid = obj.metadata.uid ?? '';
        if (!cut.has(uid)) cut.set(uid, new Map());
        cut.get(uid)?.set(r.id, node);
      };
      if (!isPartition(spec, r.selectorKey)) return remember(undefined);
      const [pns, pname] = r.id.split('/');
      const pod = ctx.store.get(GVR.pods, pns, pname);
      if (!pod) throw new Error(`pod ${pns}/${pname} not found`);
      const ps = (pod.spec ?? {}) as { nodeName?: string; hostNetwork?: boolean };
      // a partition of a pod network pod: recorded only
      if (!ps.hostNetwork || !ps.nodeName) return remember(undefined);
      const na = ctx.services.nodeActions;
      if (!na) throw new Error('node actions are not available in this cluster');
      const n = (partitions.get(ps.nodeName) ?? 0) + 1;
      partitions.set(ps.nodeName, n);
      if (n === 1) na.setPartitioned(ps.nodeName, true);
      ctx.log(`chaos-mesh: ${obj.metadata.namespace}/${obj.metadata.name}: node ${ps.nodeName} partitioned`);
      remember(ps.nodeName);
    },
    recover(obj, spec, r) {
      const uid = obj.metadata.uid ?? '';
      const kept = cut.get(uid);
      let node = kept?.get(r.id);
      if (!kept?.has(r.id) && isPartition(spec, r.selectorKey)) {
        // restarted controller: rebuild from the pod
        const [pns, pname] = r.id.split('/');
        const n = ((ctx.store.get(GVR.pods, pns, pname)?.spec ?? {}) as { nodeName?: string }).nodeName;
        if (n && partitions.has(n)) node = n;
      }
      cut.get(uid)?.delete(r.id);
      if (!node) return;
      const n = (partitions.get(node) ?? 1) - 1;
      if (n > 0) {
        partitions.set(node, n);
        return;
      }
      partitions.delete(node);
      ctx.services.nodeActions?.setPartitioned(node, false);
      ctx.log(`chaos-mesh: node ${node} partition healed`);
    },
    forget(uid) {
      cut.delete(uid);
    },
    stop() {
      for (const node of partitions.keys()) ctx.services.nodeActions?.setPartitioned(node, false);
      partitions.clear();
    },
  };
};
