/**
 * What the emulated ovnkube does, measured from the outside the way ovn-kubernetes' own metrics
 * measure it (go-controller/pkg/metrics/ovnkube_controller.go, cluster_manager.go):
 *
 * - ovnkube_controller_egress_ips_assign_latency_seconds / _unassign_latency_seconds: from the moment
 *   an EgressIP status item (egressIP -> node) appears / disappears in the API to the zone
 *   controller's klog line that it programmed / removed the pod's NB rows ("Adding pod egress IP
 *   status" / "Deleting pod egress IP status", logged after the NB transaction). Per zone.
 * - ovnkube_controller_sync_duration_seconds{resource_name="EgressIP"}: the duration the zone
 *   controller logs in "Finished syncEgressIPs for network default: took <d>s".
 * - ovnkube_clustermanager_egress_ips_rebalance_total / _node_unreachable_total: status items that
 *   moved to another node / cluster-manager's "is detected as unreachable" lines.
 *
 * The observer reads what any client could read (store watches, container logs); it does not
 * reach into sim/ovnkube.
 */
import { GVR } from '../gvr.ts';
import type { KubeObject, LogEntry, SimContext } from '../types.ts';
import { OVN_NAMESPACE } from '../constants.ts';

export { OVN_NAMESPACE };
const ZONE_CONTAINER = 'ovnkube-controller';
const CM_CONTAINER = 'ovnkube-cluster-manager';

/** The histogram buckets upstream uses: prometheus.ExponentialBuckets(.001, 2, 15). */
export const EIP_LATENCY_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

export interface ZoneObservations {
  assign: number[];
  unassign: number[];
  /** last syncEgressIPs duration, seconds */
  syncSeconds?: number;
  /** time the zone controller's first line was seen (ready) */
  firstSeenMs?: number;
}

interface StatusItem {
  node: string;
  egressIP: string;
}

const ADD_RE = /Adding pod egress IP status: \{(\S+) (\S+)\} for EgressIP: (\S+) and pod:/;
const DEL_RE = /Deleting pod egress IP status: \{(\S+) (\S+)\} for EgressIP: (\S+) and pod:/;
const SYNC_RE = /Finished syncEgressIPs for network \S+: took ([\d.]+)s/;
const UNREACHABLE_RE = /Node: \S+ is detected as unreachable/;

/**
 * A zone that programs its first pod of an assignment later than this did not take that long to handle the
 * assignment: the pod came later (a scale-up). Not an assignment latency, so not observed.
 */
const MAX_LATENCY_MS = 120_000;

/** Keeps raw observations bounded: a histogram only needs counts, but we keep at most this many raw values. */
const MAX_OBS = 100_000;

export class OvnkubeObserver {
  readonly zones = new Map<string, ZoneObservations>();
  rebalances = 0;
  unreachable = 0;
  /** EgressIP status items, key eip|ip -> node */
  private items = new Map<string, string>();
  /** eip|ip -> when the assignment appeared (ms), and which zones have programmed it */
  private pendingAssign = new Map<string, { t0: number; done: Set<string> }>();
  private pendingUnassign = new Map<string, { t0: number; done: Set<string> }>();
  private followed = new Map<string, () => void>();
  private unwatch: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {}

  start(): void {
    const { store } = this.ctx;
    for (const e of store.list(GVR.egressips))
      for (const it of statusItems(e)) this.items.set(`${e.metadata.name}|${it.egressIP}`, it.node);
    this.unwatch.push(store.watch(GVR.egressips, (ev) => this.onEgressIp(ev.object, ev.type === 'DELETED')));
    this.unwatch.push(store.watch(GVR.pods, (ev) => this.onPod(ev.object, ev.type === 'DELETED'), { namespace: OVN_NAMESPACE }));
    for (const p of store.list(GVR.pods, { namespace: OVN_NAMESPACE })) this.onPod(p, false);
  }

  stop(): void {
    for (const u of this.unwatch) u();
    for (const u of this.followed.values()) u();
    this.unwatch = [];
    this.followed.clear();
  }

  zone(node: string): ZoneObservations {
    let z = this.zones.get(node);
    if (!z) this.zones.set(node, (z = { assign: [], unassign: [] }));
    return z;
  }

  private onEgressIp(e: KubeObject, deleted: boolean): void {
    const name = e.metadata.name;
    const now = Date.now();
    const next = new Map<string, string>();
    if (!deleted) for (const it of statusItems(e)) next.set(`${name}|${it.egressIP}`, it.node);
    for (const [k, node] of this.items) {
      if (!k.startsWith(`${name}|`)) continue;
      const n = next.get(k);
      if (n === node) continue;
      this.pendingUnassign.set(k, { t0: now, done: new Set() });
      if (n !== undefined) this.rebalances++;
      this.items.delete(k);
    }
    for (const [k, node] of next) {
      if (this.items.get(k) === node) continue;
      this.items.set(k, node);
      this.pendingAssign.set(k, { t0: now, done: new Set() });
    }
  }

  private onPod(p: KubeObject, deleted: boolean): void {
    const name = p.metadata.name;
    const key = `${OVN_NAMESPACE}/${name}`;
    if (deleted) {
      this.followed.get(key)?.();
      this.followed.delete(key);
      return;
    }
    if (this.followed.has(key)) return;
    const rt = this.ctx.services.podRuntime;
    if (!rt) return;
    const app = p.metadata.labels?.app;
    const node = (p.spec as { nodeName?: string } | undefined)?.nodeName;
    if (app === 'ovnkube-node' && node) {
      this.followed.set(
        key,
        rt.followLogs({ namespace: OVN_NAMESPACE, pod: name, container: ZONE_CONTAINER }, (e) => this.onZoneLine(node, e)),
      );
    } else if (app === 'ovnkube-control-plane') {
      this.followed.set(
        key,
        rt.followLogs({ namespace: OVN_NAMESPACE, pod: name, container: CM_CONTAINER }, (e) => this.onCmLine(e)),
      );
    }
  }

  /** One klog line of a zone controller (exported for unit tests). */
  onZoneLine(node: string, e: LogEntry): void {
    const z = this.zone(node);
    const t = Date.parse(e.time) || Date.now();
    z.firstSeenMs ??= t;
    let m = ADD_RE.exec(e.line);
    if (m) return this.settle(this.pendingAssign, `${m[3]}|${m[2]}`, node, t, z.assign);
    m = DEL_RE.exec(e.line);
    if (m) return this.settle(this.pendingUnassign, `${m[3]}|${m[2]}`, node, t, z.unassign);
    m = SYNC_RE.exec(e.line);
    if (m) z.syncSeconds = Number(m[1]);
  }

  onCmLine(e: LogEntry): void {
    if (UNREACHABLE_RE.test(e.line)) this.unreachable++;
  }

  private settle(pending: Map<string, { t0: number; done: Set<string> }>, key: string, zone: string, t: number, into: number[]): void {
    const p = pending.get(key);
    if (!p || p.done.has(zone)) return;
    p.done.add(zone);
    if (t - p.t0 > MAX_LATENCY_MS) return;
    if (into.length < MAX_OBS) into.push(Math.max(0, (t - p.t0) / 1000));
  }
}

function statusItems(e: KubeObject): StatusItem[] {
  const items = (e.status as { items?: StatusItem[] } | undefined)?.items;
  return Array.isArray(items) ? items.filter((i) => i && typeof i.egressIP === 'string' && typeof i.node === 'string') : [];
}
