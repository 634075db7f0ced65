/**
 * Defaulting on create, the part of the apiserver's defaulters that clients notice:
 * pods start Pending, namespaces Active, services get a ClusterIP, workloads get replicas.
 */
import type { KubeObject } from '../types.ts';

type Obj = Record<string, unknown>;

let nextServiceIp = 10;

/** Mutates `o` (a fresh copy owned by the store) before validation. */
export function applyCreateDefaults(o: KubeObject): void {
  switch (o.kind) {
    case 'Pod': {
      const spec = (o.spec ??= {}) as Obj;
      spec.restartPolicy ??= 'Always';
      spec.dnsPolicy ??= 'ClusterFirst';
      spec.terminationGracePeriodSeconds ??= 30;
      spec.schedulerName ??= 'default-scheduler';
      spec.serviceAccountName ??= 'default';
      o.status = { phase: 'Pending', qosClass: 'BestEffort', ...(o.status ?? {}) };
      break;
    }
    case 'Namespace':
      o.spec = { finalizers: ['kubernetes'], ...(o.spec ?? {}) };
      o.status = { phase: 'Active' };
      o.metadata.labels = { 'kubernetes.io/metadata.name': o.metadata.name, ...(o.metadata.labels ?? {}) };
      break;
    case 'Service': {
      const spec = (o.spec ??= {}) as Obj;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.clusterIP === undefined && spec.type !== 'ExternalName') {
        const n = nextServiceIp++;
        spec.clusterIP = `172.30.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      if (Array.isArray(spec.ports)) for (const p of spec.ports as Obj[]) if (p && typeof p === 'object') p.protocol ??= 'TCP';
      o.status ??= { loadBalancer: {} };
      break;
    }
    case 'Deployment':
    case 'ReplicaSet': {
      const spec = (o.spec ??= {}) as Obj;
      spec.replicas ??= 1;
      if (o.kind === 'Deployment') {
        const st = spec.strategy as Obj | undefined;
        if (!st || !st.type)
          spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' }, ...(st ?? {}) };
        spec.revisionHistoryLimit ??= 10;
        spec.progressDeadlineSeconds ??= 600;
      }
      break;
    }
    case 'DaemonSet': {
      const spec = (o.spec ??= {}) as Obj;
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      spec.revisionHistoryLimit ??= 10;
      break;
    }
    case 'Secret':
      o.type ??= 'Opaque';
      // stringData is write-only: folded into data as base64, like the real server.
      if (o.stringData && typeof o.stringData === 'object') {
        const data = ((o.data as Obj | undefined) ?? {}) as Record<string, string>;
        for (const [k, v] of Object.entries(o.stringData as Record<string, unknown>))
          if (typeof v === 'string') data[k] = Buffer.from(v).toString('base64');
        o.data = data;
        delete o.stringData;
      }
      break;
  }
}
