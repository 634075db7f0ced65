/**
 * Emulated ovnkube-cluster-manager: EgressIP assignment (status.items through the status
 * subresource), reachability probe of egress nodes every 5 s (divided by ctx.speed), failover on
 * NotReady / unreachable nodes, node annotations (node-id, subnets, transit / join IPs, gateway
 * config, chassis id). Event-driven on EgressIPs and Nodes, plus the probe.
 */
import { GATEWAY_V4, GATEWAY_V6, nodeAddressing } from '../topology.ts';
import type { KubeObject, SimContext, WatchEvent } from '../types.ts';
import { assignEgressIPs, isEgressAssignable, sameStatus } from './assignment.ts';
import type { FaultSwitch } from './faults.ts';
import { ANN, GVR, egressIpInfo, nodeInfo } from './k8s.ts';
import { klogMsg, type MsgId } from './klog.ts';

export const REACHABILITY_INTERVAL_MS = 5_000;

export interface ClusterManagerOptions {
  ctx: Pick<SimContext, 'store' | 'ipStack' | 'nodes' | 'speed' | 'services'>;
  faults: FaultSwitch;
  /** klog lines (the ovnkube-cluster-manager container log) */
  log: (line: string) => void;
  /** default 5000 ms (divided by ctx.speed) */
  probeIntervalMs?: number;
  /** write the k8s.ovn.org node annotations (default true) */
  annotateNodes?: boolean;
  pid?: number;
}

/** The k8s.ovn.org annotations ovnkube (cluster-manager + ovnkube-node) puts on a node. */
export function nodeAnnotations(name: string, id: number, stack: SimContext['ipStack']): Record<string, string> {
  const a = nodeAddressing({ name, id }, stack);
  const fam = <T>(v4: T | undefined, v6: T | undefined): Record<string, T> => ({
    ...(v4 !== undefined ? { ipv4: v4 } : {}),
    ...(v6 !== undefined ? { ipv6: v6 } : {}),
  });
  const nodeIps = [a.nodeIp.v4, a.nodeIp.v6].filter((x): x is string => !!x);
  const gw = [a.nodeIp.v4 ? GATEWAY_V4 : undefined, a.nodeIp.v6 ? GATEWAY_V6 : undefined].filter((x): x is string => !!x);
  return {
    [ANN.nodeId]: String(id),
    [ANN.transitIp]: JSON.stringify(fam(a.transitIp.v4, a.transitIp.v6)),
    [ANN.nodeSubnets]: JSON.stringify({ default: [a.podSubnet.v4, a.podSubnet.v6].filter(Boolean) }),
    [ANN.primaryIfaddr]: JSON.stringify(fam(a.nodeIp.v4, a.nodeIp.v6)),
    [ANN.hostCidrs]: JSON.stringify(nodeIps),
    [ANN.gwRouterLrpIfaddr]: JSON.stringify(fam(a.joinIp.v4, a.joinIp.v6)),
    [ANN.l3GatewayConfig]: JSON.stringify({
      default: {
        mode: 'shared',
        'bridge-id': 'br-ex',
        'interface-id': `br-ex_${name}`,
        'mac-address': a.mac,
        'ip-addresses': nodeIps,
        'ip-address': nodeIps[0],
        'next-hops': gw,
        'next-hop': gw[0],
        'node-port-enable': 'true',
        'vlan-id': '0',
      },
    }),
    [ANN.zoneName]: name,
    [ANN.chassisId]: name,
  };
}

export class ClusterManager {
  private readonly unwatch: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly reachable = new Map<string, boolean>();
  private readonly ready = new Map<string, boolean>();
  private readonly skipNew = new Set<string>();
  private readonly lastMessage = new Map<string, string>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  reconciles = 0;

  constructor(private readonly opts: ClusterManagerOptions) {}

  private klog(id: MsgId, ...args: unknown[]): void {
    this.opts.log(klogMsg(id, args, { pid: this.opts.pid }));
  }

  async start(): Promise<void> {
    const { store } = this.opts.ctx;
    this.klog('cmStart');
    for (const o of store.list(GVR.nodes)) {
      const n = nodeInfo(o);
      this.ready.set(n.name, n.ready);
      this.reachable.set(n.name, this.probe(n.name));
      this.annotate(o);
    }
    this.unwatch.push(store.watch(GVR.nodes, (ev) => this.onNode(ev)));
    this.unwatch.push(store.watch(GVR.egressips, () => this.kick()));
    this.unwatch.push(
      this.opts.faults.onChange((changed) => {
        if (changed.has('eip-stays-unassigned') && !this.opts.faults.on('eip-stays-unassigned')) this.skipNew.clear();
        if (changed.has('eip-stays-unassigned') || changed.has('eip-duplicate-assignment')) this.kick();
      }),
    );
    const every = (this.opts.probeIntervalMs ?? REACHABILITY_INTERVAL_MS) / (this.opts.ctx.speed || 1);
    const tick = (): void => {
      if (this.stopped) return;
      this.probeAll();
      this.timer = setTimeout(tick, every);
    };
    this.timer = setTimeout(tick, every);
    this.kick();
    await this.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.unwatch) u();
    await this.running?.catch(() => undefined);
  }

  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private probe(node: string): boolean {
    const na = this.opts.ctx.services.nodeActions;
    return na ? na.isReachable(node) : true;
  }

  /** One reachability round (also exposed for tests). */
  probeAll(): void {
    const { store } = this.opts.ctx;
    let changed = false;
    for (const o of store.list(GVR.nodes)) {
      const n = nodeInfo(o);
      if (!isEgressAssignable(n)) continue;
      const r = this.probe(n.name);
      const prev = this.reachable.get(n.name) ?? true;
      if (r === prev) continue;
      this.reachable.set(n.name, r);
      changed = true;
      if (!r) {
        this.klog('failedReachability', n.name);
        this.klog('unreachable', n.name);
      } else {
        this.klog('nodeReady', n.name);
        if (this.opts.faults.on('eip-stays-unassigned')) this.skipNew.add(n.name);
      }
    }
    if (changed) this.kick();
  }

  private onNode(ev: WatchEvent): void {
    const n = nodeInfo(ev.object);
    if (ev.type === 'DELETED') {
      this.ready.delete(n.name);
      this.reachable.delete(n.name);
      this.kick();
      return;
    }
    this.annotate(ev.object);
    const prev = this.ready.get(n.name);
    this.ready.set(n.name, n.ready);
    if (prev !== n.ready) {
      if (isEgressAssignable(n)) {
        if (!n.ready) this.klog('notReady', n.name);
        else {
          this.klog('nodeReady', n.name);
          if (prev === false && this.opts.faults.on('eip-stays-unassigned')) this.skipNew.add(n.name);
        }
      }
      this.kick();
      return;
    }
    // labels / annotations that matter for assignment
    this.kick();
  }

  private annotate(o: KubeObject): void {
    if (this.opts.annotateNodes === false) return;
    const name = o.metadata.name;
    const ann = o.metadata.annotations ?? {};
    const id = Number(ann[ANN.nodeId]) || this.opts.ctx.nodes.find((n) => n.name === name)?.id || this.allocateId();
    const want = nodeAnnotations(name, id, this.opts.ctx.ipStack);
    const missing = Object.keys(want).filter((k) => ann[k] === undefined);
    if (missing.length === 0) return;
    try {
      this.opts.ctx.store.mutate(GVR.nodes, undefined, name, (x) => {
        x.metadata.annotations = { ...(x.metadata.annotations ?? {}) };
        for (const k of missing) if (x.metadata.annotations[k] === undefined) x.metadata.annotations[k] = want[k];
      });
    } catch {
      /* node gone */
    }
  }

  private allocateId(): number {
    const used = new Set(this.opts.ctx.store.list(GVR.nodes).map((n) => Number(n.metadata.annotations?.[ANN.nodeId]) || 0));
    for (const n of this.opts.ctx.nodes) used.add(n.id);
    let i = 1;
    while (used.has(i)) i++;
    return i;
  }

  /** Queue an assignment round (coalesced). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await Promise.resolve();
        try {
          this.reconcile();
        } catch (err) {
          this.opts.log(klogMsg('statusPatched', ['<error>', (err as Error).message]));
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  private reconcile(): void {
    const { store, ipStack } = this.opts.ctx;
    this.reconciles++;
    const eipObjs = store.list(GVR.egressips);
    const nodes = store.list(GVR.nodes).map((o) => nodeInfo(o, this.opts.ctx.nodes.find((n) => n.name === o.metadata.name)?.id));
    const res = assignEgressIPs({
      eips: eipObjs.map(egressIpInfo),
      nodes,
      ipStack,
      reachable: (n) => this.reachable.get(n) ?? true,
      ignoreOtherEips: this.opts.faults.on('eip-duplicate-assignment'),
      skipNewCandidates: this.opts.faults.on('eip-stays-unassigned') ? this.skipNew : undefined,
    });
    for (const m of res.messages) {
      if (m.id === 'assigned') {
        this.klog(m.id, ...m.args);
        continue;
      }
      const text = klogMsg(m.id, m.args);
      const key = `${m.eip}|${m.id}|${JSON.stringify(m.args)}`;
      if (this.lastMessage.get(m.eip) === key) continue;
      this.lastMessage.set(m.eip, key);
      this.opts.log(text);
      const o = eipObjs.find((e) => e.metadata.name === m.eip);
      if (o && m.reason) this.event(o, m.reason, text.slice(text.indexOf('] ') + 2));
    }
    for (const o of eipObjs) {
      const e = egressIpInfo(o);
      const items = res.status.get(e.name) ?? [];
      if (!res.messages.some((m) => m.eip === e.name && m.id !== 'assigned')) this.lastMessage.delete(e.name);
      if (sameStatus(items, e.status)) continue;
      this.klog(
        'statusPatched',
        e.name,
        items.map((i) => ({ node: i.node, egressIP: i.egressIP })),
      );
      try {
        store.mutate(
          GVR.egressips,
          undefined,
          e.name,
          (x) => {
            x.status = { ...(x.status ?? {}), items };
          },
          { subresource: 'status' },
        );
      } catch {
        /* deleted meanwhile */
      }
    }
  }

  private event(eip: KubeObject, reason: string, message: string): void {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      this.opts.ctx.store.create(GVR.events, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${eip.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 4096).toString(16)}`,
          namespace: 'default',
        },
        involvedObject: { apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP', name: eip.metadata.name, uid: eip.metadata.uid },
        reason,
        message,
        type: 'Warning',
        source: { component: 'ovnkube-cluster-manager' },
        reportingComponent: 'ovnkube-cluster-manager',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch {
      /* events are best effort */
    }
  }
}
