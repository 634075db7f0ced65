/**
 * Emulated ovnkube-controller of one zone (IC: one node). Event-driven like the real one:
 *
 * - start: ensure the topology, then the startup sync (syncEgressIPs: syncStaleEgressReroutePolicy,
 *   syncStaleGWMarkRules, syncPodAssignmentCache, syncStaleAddressSetIPs, syncStaleSNATRules, plus the
 *   legacy external_ids migration) = reconcile the whole DB to the desired state;
 * - afterwards only API events (pods, namespaces, nodes, egressips) change rows, and only the rows the
 *   event touches (per pod / per EgressIP / per node scope). Out-of-band NB edits persist until an
 *   event touches them or the controller restarts.
 *
 * Fault hooks (faults.ts) bend the behaviour the way the upstream bugs did.
 */
import type { ObjectStore, SimContext, WatchEvent, WatchEventType } from '../types.ts';
import { PodFeed, podView, type PodView } from './pod-feed.ts';
import { diffRows, type ActualRow, type ActualState, type DiffScope } from './diff.ts';
import {
  desiredState,
  eipSelectsPod,
  familyOf,
  mgmtPort,
  podPortName,
  addressingOf,
  type DesiredOptions,
  type ZoneState,
} from './desired-state.ts';
import type { FaultId, FaultSwitch } from './faults.ts';
import { LEGACY_NAME_KEY, NAME_KEY, OWNER_TYPE_KEY, REROUTE_PRIORITY, egressIpServedPodsAS, eipOfRow, podOfRow } from './ids.ts';
import {
  GVR,
  egressIpInfo,
  isNotInOnly,
  namespaceInfo,
  nodeInfo,
  podInfo,
  type EgressIPInfo,
  ipToMac,
  type EgressIPStatusItem,
  type NodeInfo,
  type PodInfo,
} from './k8s.ts';
import { klogLine, klogMsg, type MsgId } from './klog.ts';
import { rowKey, type NbRow, type StrMap } from './nb-model.ts';
import type { NbConn, NbConnStats } from './nb-conn.ts';
import { stripPrefix } from '../topology.ts';

export class CrashLoopError extends Error {
  override name = 'CrashLoopError';
}

export interface ZoneControllerOptions {
  ctx: Pick<SimContext, 'store' | 'ipStack' | 'nodes' | 'speed'>;
  node: string;
  faults: FaultSwitch;
  connect: () => Promise<NbConn>;
  /** klog lines (the ovnkube-controller container log) */
  log: (line: string) => void;
  pid?: number;
  /** Called once when the NB connection is lost (the supervisor restarts the controller). */
  onBroken?: () => void;
}

interface EipChange {
  old?: EgressIPInfo;
  cur?: EgressIPInfo;
}

interface Pending {
  full: boolean;
  pods: Set<string>;
  namespaces: Set<string>;
  eips: Map<string, EipChange>;
  nodes: Set<string>;
}

const emptyPending = (): Pending => ({ full: false, pods: new Set(), namespaces: new Set(), eips: new Map(), nodes: new Set() });
const pendingEmpty = (p: Pending): boolean =>
  !p.full && p.pods.size === 0 && p.namespaces.size === 0 && p.eips.size === 0 && p.nodes.size === 0;

export interface ZoneStats {
  reconciles: number;
  syncs: number;
  ops: number;
  lastReconcileMs: number;
  errors: number;
  lastError?: string;
}

/** Every zone controller's reconciles in this process (benchmarks): count, time, pod keys handled. */
export const zoneTotals = { reconciles: 0, ms: 0, maxMs: 0, podKeys: 0, readWaitMs: 0, transactMs: 0, computeMs: 0 };

const isEipOwned = (ext: StrMap): boolean => ext[OWNER_TYPE_KEY] === 'EgressIP';
const isLegacy = (ext: StrMap): boolean => ext[LEGACY_NAME_KEY] !== undefined && ext[OWNER_TYPE_KEY] === undefined;

/** Per-pod EgressIP rows: SNATs on a GR, priority-100 reroutes (current or legacy external_ids). */
export function isPodEipRow(r: NbRow): r is Extract<NbRow, { table: 'NAT' | 'Logical_Router_Policy' }> {
  if (r.table === 'NAT') return r.type === 'snat' && (isEipOwned(r.external_ids) || isLegacy(r.external_ids));
  if (r.table === 'Logical_Router_Policy')
    return r.priority === REROUTE_PRIORITY && (isEipOwned(r.external_ids) || isLegacy(r.external_ids));
  return false;
}

/** The pod IP a per-pod EgressIP row is about. */
export function rowPodIp(r: NbRow): string | undefined {
  if (r.table === 'NAT') return r.logical_ip;
  if (r.table === 'Logical_Router_Policy') {
    const m = /^ip[46]\.src == (\S+)$/.exec(r.match);
    return m?.[1];
  }
  return undefined;
}

function isTopologyRow(r: NbRow): boolean {
  if (r.table === 'Address_Set' || r.table === 'QoS') return false;
  if (r.table === 'Logical_Router_Policy') return false;
  if (r.table === 'NAT') return !isPodEipRow(r);
  if (r.table === 'Logical_Switch_Port') return r.external_ids.pod !== 'true';
  return true;
}

export class ZoneController {
  readonly node: string;
  readonly stats: ZoneStats = { reconciles: 0, syncs: 0, ops: 0, lastReconcileMs: 0, errors: 0 };
  private nb: NbConn | undefined;
  private readonly store: ObjectStore;
  private unwatch: (() => void)[] = [];
  private pending = emptyPending();
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;
  private broken = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly podFp = new Map<string, string>();
  private readonly podCache = new Map<string, PodInfo>();
  private readonly nodeFp = new Map<string, string>();
  private readonly nsFp = new Map<string, string>();
  private readonly eipCache = new Map<string, EgressIPInfo>();
  private readonly podsAtStart = new Set<string>();
  private readonly ghosts = new Map<string, PodInfo>();
  private readonly deletedIps = new Map<string, string[]>();
  private readonly ipOverride = new Map<string, string[]>();
  private readonly leakedEips = new Set<string>();
  private overzealous: { eip: string; unchanged: EgressIPStatusItem[] }[] = [];

  constructor(private readonly opts: ZoneControllerOptions) {
    this.node = opts.node;
    this.store = opts.ctx.store;
  }

  private klog(id: MsgId, ...args: unknown[]): void {
    this.opts.log(klogMsg(id, args, { pid: this.opts.pid }));
  }

  private faultOn(id: FaultId): boolean {
    return this.opts.faults.on(id, this.node);
  }

  /** Topology + startup sync; then follows API events. Throws CrashLoopError under the crashloop fault. */
  async start(): Promise<void> {
    if (this.faultOn('ovnkube-controller-crashloop')) {
      const now = new Date();
      this.opts.log(klogLine('I', 'ovnkube.go', 380, `Starting ovnkube-controller in zone ${this.node}`, { now, pid: this.opts.pid }));
      this.opts.log('panic: runtime error: invalid memory address or nil pointer dereference');
      this.opts.log('[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1c9e4f3]');
      this.opts.log('');
      this.opts.log('goroutine 1 [running]:');
      this.opts.log(
        'github.com/ovn-org/ovn-kubernetes/go-controller/pkg/ovn.(*DefaultNetworkController).syncEgressIPs(0xc000a1e000, {0xc0012c4000, 0x5, 0x8})',
      );
      this.opts.log('\t/go/src/github.com/openshift/ovn-kubernetes/go-controller/pkg/ovn/egressip.go:1431 +0x1f3');
      throw new CrashLoopError(`ovnkube-controller on ${this.node}: panic during syncEgressIPs (fault ovnkube-controller-crashloop)`);
    }
    this.klog('controllerStart', this.node);
    this.nb = await this.opts.connect();
    const s = this.store;
    const W = (gvr: typeof GVR.pods, fn: (ev: WatchEvent) => void): void => {
      this.unwatch.push(s.watch(gvr, fn));
    };
    // one watch for every zone of the store: the view is made once per event, unchanged ones dropped
    this.unwatch.push(PodFeed.of(s).subscribe((type, v) => this.onPod(type, v)));
    W(GVR.namespaces, (ev) => this.onNamespace(ev));
    W(GVR.nodes, (ev) => this.onNode(ev));
    W(GVR.egressips, (ev) => this.onEgressIp(ev));
    this.unwatch.push(this.opts.faults.onChange((changed) => this.onFaults(changed)));
    for (const o of s.list(GVR.pods)) {
      const p = podInfo(o);
      const k = `${p.namespace}/${p.name}`;
      this.podCache.set(k, p);
      this.podFp.set(k, podView(p).fp);
      this.podsAtStart.add(k);
    }
    for (const o of s.list(GVR.egressips)) this.eipCache.set(o.metadata.name, egressIpInfo(o));
    for (const o of s.list(GVR.nodes)) this.nodeFp.set(o.metadata.name, nodeFingerprint(nodeInfo(o)));
    for (const o of s.list(GVR.namespaces)) this.nsFp.set(o.metadata.name, JSON.stringify(o.metadata.labels ?? {}));
    this.started = true;
    const t0 = performance.now();
    this.klog('syncStart', 'default');
    await this.reconcile({ ...emptyPending(), full: true });
    this.stats.syncs++;
    this.klog('syncDone', 'default', `${((performance.now() - t0) / 1000).toFixed(6)}s`);
    this.klog('topologyDone', this.node);
    const every = Math.max(50, 1000 / (this.opts.ctx.speed || 1));
    const check = (): void => {
      if (this.stopped) return;
      if (this.nb?.closed) this.markBroken('connection closed');
      else this.healthTimer = setTimeout(check, every);
    };
    this.healthTimer = setTimeout(check, every);
    this.kick();
  }

  /** How the NB connection has been read (monitor updates applied, full reads); undefined before start. */
  get nbStats(): NbConnStats | undefined {
    return this.nb?.stats;
  }

  private markBroken(why: string): void {
    if (this.broken || this.stopped) return;
    this.broken = true;
    this.opts.log(
      klogLine('E', 'ovnkube.go', 455, `Lost the connection to the OVN northbound database (${why}); restarting`, { pid: this.opts.pid }),
    );
    this.opts.onBroken?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.healthTimer) clearTimeout(this.healthTimer);
    for (const u of this.unwatch) u();
    this.unwatch = [];
    if (this.timer) clearTimeout(this.timer);
    await this.loop?.catch(() => undefined);
    if (this.started) this.klog('controllerStop', this.node);
    await this.nb?.close().catch(() => undefined);
  }

  /** Resolves when every queued event has been reconciled. */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.loop && !this.timer && pendingEmpty(this.pending)) return;
      if (Date.now() > deadline) throw new Error(`zone ${this.node}: not idle after ${timeoutMs} ms`);
      await (this.loop ?? new Promise((r) => setTimeout(r, 5)));
    }
  }

  /** Queue a full reconcile (like a restart sync, without restarting). */
  requestFullSync(): void {
    this.pending.full = true;
    this.kick();
  }

  // ---------- events ----------

  private onPod(type: WatchEventType, v: PodView): void {
    const p = v.info;
    const k = v.key;
    if (type === 'DELETED') {
      const prev = this.podCache.get(k) ?? p;
      this.podCache.delete(k);
      this.podFp.delete(k);
      if (prev.ips.length) this.deletedIps.set(k, prev.ips);
      if (this.deletedIps.size > 10_000) this.deletedIps.delete(this.deletedIps.keys().next().value as string);
      this.ipOverride.delete(k);
      if (inertPod(prev)) return;
      if (this.faultOn('eip-pod-delete-ignored-after-cleanup') && this.podsAtStart.has(k)) {
        // the pod was dropped from the podAssignment cache by the stale-assignment cleanup: its delete is ignored
        this.ghosts.set(k, { ...prev, phase: prev.phase === 'Running' ? 'Running' : prev.phase });
        return;
      }
      this.pending.pods.add(k);
      this.kick();
      return;
    }
    if (type === 'ADDED' && this.faultOn('eip-stale-pod-ip-on-recreate')) {
      const old = this.deletedIps.get(k);
      if (old && p.ips.join(',') !== old.join(',')) this.ipOverride.set(k, old);
    }
    const fp = v.fp;
    if (this.podFp.get(k) === fp) return;
    const prev = this.podCache.get(k);
    this.podFp.set(k, fp);
    this.podCache.set(k, p);
    // host-network pods and pods without IPs have no rows (unless they had before)
    if (inertPod(p) && inertPod(prev)) return;
    this.pending.pods.add(k);
    this.kick();
  }

  private onNamespace(ev: WatchEvent): void {
    const n = namespaceInfo(ev.object);
    const fp = ev.type === 'DELETED' ? '' : JSON.stringify(n.labels);
    if (this.nsFp.get(n.name) === fp) return;
    if (ev.type === 'DELETED') this.nsFp.delete(n.name);
    else this.nsFp.set(n.name, fp);
    this.pending.namespaces.add(n.name);
    this.kick();
  }

  private onNode(ev: WatchEvent): void {
    const n = nodeInfo(ev.object);
    const fp = ev.type === 'DELETED' ? '' : nodeFingerprint(n);
    if ((this.nodeFp.get(n.name) ?? '') === fp) return;
    if (ev.type === 'DELETED') this.nodeFp.delete(n.name);
    else this.nodeFp.set(n.name, fp);
    this.pending.nodes.add(n.name);
    this.kick();
  }

  private onEgressIp(ev: WatchEvent): void {
    const e = egressIpInfo(ev.object);
    const old = this.eipCache.get(e.name);
    const cur = ev.type === 'DELETED' ? undefined : e;
    if (cur) this.eipCache.set(e.name, cur);
    else this.eipCache.delete(e.name);
    if (
      ev.type === 'DELETED' &&
      this.faultOn('eip-notin-selector-leak') &&
      (isNotInOnly(e.namespaceSelector) || isNotInOnly(e.podSelector))
    ) {
      this.leakedEips.add(e.name);
    }
    if (ev.type === 'MODIFIED' && old && cur && this.faultOn('eip-overzealous-snat-delete')) {
      const changed =
        old.status.length !== cur.status.length ||
        old.status.some((a) => !cur.status.some((b) => a.node === b.node && a.egressIP === b.egressIP));
      if (changed) {
        const unchanged = cur.status.filter(
          (b) => b.node === this.node && old.status.some((a) => a.node === b.node && a.egressIP === b.egressIP),
        );
        if (unchanged.length) this.overzealous.push({ eip: e.name, unchanged });
      }
    }
    const prev = this.pending.eips.get(e.name);
    this.pending.eips.set(e.name, { old: prev ? prev.old : old, cur });
    this.kick();
  }

  private onFaults(changed: ReadonlySet<FaultId>): void {
    if (changed.has('eip-pod-delete-ignored-after-cleanup') && !this.opts.faults.on('eip-pod-delete-ignored-after-cleanup', this.node))
      this.ghosts.clear();
    if (changed.has('eip-stale-pod-ip-on-recreate') && !this.opts.faults.on('eip-stale-pod-ip-on-recreate', this.node))
      this.ipOverride.clear();
    if (changed.has('eip-notin-selector-leak') && !this.opts.faults.on('eip-notin-selector-leak', this.node)) this.leakedEips.clear();
  }

  // ---------- the loop ----------

  private kick(): void {
    if (!this.started || this.stopped || this.loop || this.timer) return;
    // coalesce bursts of events into one transaction
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loop = this.drain().finally(() => {
        this.loop = undefined;
        if (!pendingEmpty(this.pending)) this.kick();
      });
    }, 2);
  }

  private async drain(): Promise<void> {
    while (!this.stopped && !pendingEmpty(this.pending)) {
      const batch = this.pending;
      this.pending = emptyPending();
      try {
        await this.reconcile(batch);
      } catch (err) {
        this.stats.errors++;
        this.stats.lastError = (err as Error).message;
        this.opts.log(
          klogLine('E', 'obj_retry.go', 721, `Failed to reconcile zone ${this.node}: ${(err as Error).message}, will retry`, {
            pid: this.opts.pid,
          }),
        );
        if (this.stopped) return;
        if (this.nb?.closed) {
          this.markBroken((err as Error).message);
          return;
        }
        mergePending(this.pending, batch);
        await new Promise((r) => setTimeout(r, Math.max(50, 1000 / (this.opts.ctx.speed || 1))));
      }
    }
  }

  /** Cluster state as this zone sees it (with the fault hooks' stale caches). */
  zoneState(): ZoneState {
    const s = this.store;
    const nodes: NodeInfo[] = s.list(GVR.nodes).map((o) => nodeInfo(o, this.opts.ctx.nodes.find((n) => n.name === o.metadata.name)?.id));
    // the feed's shared list (every zone reads the same one between two pod events); copied before adding ghosts
    let pods = PodFeed.of(s).pods();
    if (this.ghosts.size && this.faultOn('eip-pod-delete-ignored-after-cleanup')) {
      const present = new Set(pods.map((p) => `${p.namespace}/${p.name}`));
      pods = [...pods];
      for (const [k, g] of this.ghosts) if (!present.has(k)) pods.push(g);
    }
    const opts: DesiredOptions = {
      legacyExternalIds: this.faultOn('ovnkube-legacy-external-ids'),
      programCompletedPods: this.faultOn('eip-completed-pods-programmed'),
      podIpOverride: this.faultOn('eip-stale-pod-ip-on-recreate') && this.ipOverride.size ? new Map(this.ipOverride) : undefined,
      qosMarkSupported: this.nb?.qosMarkSupported ?? true,
    };
    return {
      zone: this.node,
      ipStack: this.opts.ctx.ipStack,
      nodes,
      pods,
      namespaces: s.list(GVR.namespaces).map(namespaceInfo),
      eips: s.list(GVR.egressips).map(egressIpInfo),
      opts,
    };
  }

  /** Fault ovnkube-slow-nb-sync: the wait before a reconcile (`seconds` of cluster time); stop() cuts it short. */
  private async slowSyncDelay(): Promise<void> {
    const s = Number(this.opts.faults.params('ovnkube-slow-nb-sync')?.seconds ?? 60);
    const ms = ((Number.isFinite(s) && s > 0 ? s : 60) * 1000) / (this.opts.ctx.speed || 1);
    const until = performance.now() + ms;
    while (!this.stopped && performance.now() < until) await new Promise((r) => setTimeout(r, Math.min(50, until - performance.now())));
  }

  private async reconcile(batch: Pending): Promise<void> {
    const nb = this.nb;
    if (!nb) return;
    if (this.faultOn('ovnkube-slow-nb-sync')) {
      await this.slowSyncDelay();
      if (this.stopped) return;
    }
    const t0 = performance.now();
    // the NB read's round trip (the cache's read barrier, or the full read) overlaps the desired-state
    // computation; the reply is handled after it, so the rows are as of the end of the computation, as before
    const reading = nb.state();
    let zs: ZoneState;
    let desired: NbRow[];
    try {
      zs = this.zoneState();
      desired = desiredState(zs);
    } catch (err) {
      reading.catch(() => undefined);
      throw err;
    }
    const tc = performance.now();
    const actual = await reading;
    const tr = performance.now();
    zoneTotals.computeMs += tc - t0;
    zoneTotals.readWaitMs += tr - tc;
    const full = batch.full;

    // desired-state fault hooks
    if (full && this.faultOn('eip-valid-nexthops-removed-at-startup')) {
      const local = zs.nodes.find((n) => n.name === this.node);
      const localJoin = local ? Object.values(addressingOf(local, zs.ipStack).joinIp).map((c) => stripPrefix(c as string)) : [];
      desired = desired.flatMap((r) => {
        if (r.table !== 'Logical_Router_Policy' || r.priority !== REROUTE_PRIORITY) return [r];
        const nh = r.nexthops.filter((x) => localJoin.includes(x));
        return nh.length ? [{ ...r, nexthops: nh }] : [];
      });
    }
    if (this.overzealous.length) {
      const oz = this.overzealous;
      this.overzealous = [];
      desired = desired.filter(
        (r) =>
          !(
            r.table === 'NAT' &&
            isPodEipRow(r) &&
            oz.some((o) => eipOfRow(r.external_ids) === o.eip && o.unchanged.some((u) => u.egressIP === r.external_ip))
          ),
      );
    }

    const scope = full ? this.fullScope() : this.eventScope(batch, zs, actual);
    this.addFaultScope(scope, zs, actual, full);
    const res = diffRows(desired, actual, scope);

    // fault #7: duplicate SNATs, failing deletes
    const dupInserts: NbRow[] = [];
    if (this.faultOn('eip-duplicate-snat')) for (const r of res.inserted) if (r.table === 'NAT' && isPodEipRow(r)) dupInserts.push(r);

    if (res.ops.length) {
      const tt = performance.now();
      zoneTotals.computeMs += tt - tr;
      await nb.transact(res.ops);
      zoneTotals.transactMs += performance.now() - tt;
      this.stats.ops += res.ops.length;
    }
    if (dupInserts.length) {
      const ops = diffRows(dupInserts, { rows: actual.rows.filter((a) => a.row.table === 'Logical_Router') }, { deleteUnknown: false }).ops;
      await nb.transact(ops);
    }
    this.logChanges(res.inserted, res.updated, res.deleted, actual, zs, full);
    this.annotatePods(zs, full ? undefined : batch.pods);
    this.stats.reconciles++;
    this.stats.lastReconcileMs = performance.now() - t0;
    zoneTotals.reconciles++;
    zoneTotals.ms += this.stats.lastReconcileMs;
    zoneTotals.maxMs = Math.max(zoneTotals.maxMs, this.stats.lastReconcileMs);
    zoneTotals.podKeys += batch.pods.size;
  }

  private fullScope(): DiffScope {
    return {};
  }

  private eventScope(b: Pending, zs: ZoneState, actual: ActualState): DiffScope {
    const podKeys = new Set(b.pods);
    const nsLabels = new Map(zs.namespaces.map((n) => [n.name, n.labels]));
    if (b.namespaces.size) for (const p of zs.pods) if (b.namespaces.has(p.namespace)) podKeys.add(`${p.namespace}/${p.name}`);
    const eipNames = new Set(b.eips.keys());
    for (const [, ch] of b.eips) {
      for (const e of [ch.old, ch.cur]) {
        if (!e) continue;
        for (const p of zs.pods) if (eipSelectsPod(e, p, nsLabels)) podKeys.add(`${p.namespace}/${p.name}`);
      }
    }
    const eipRows: ActualRow[] = [];
    for (const a of actual.rows) {
      if (!isPodEipRow(a.row)) continue;
      eipRows.push(a);
      const pk = podOfRow(a.row.external_ids);
      if (pk && (b.namespaces.has(pk.split('/')[0]) || eipNames.has(eipOfRow(a.row.external_ids)))) podKeys.add(pk);
    }
    const scopeIps = new Set<string>();
    for (const k of podKeys) {
      // podCache follows the store's pod events synchronously, so it holds zs.pods by key (plus the fault's ghosts)
      for (const ip of (this.podCache.get(k) ?? this.ghosts.get(k))?.ips ?? []) scopeIps.add(ip);
      for (const ip of this.deletedIps.get(k) ?? []) scopeIps.add(ip);
      for (const ip of zs.opts?.podIpOverride?.get(k) ?? []) scopeIps.add(ip);
    }
    for (const a of eipRows) {
      const pk = podOfRow(a.row.external_ids);
      if ((pk && podKeys.has(pk)) || eipNames.has(eipOfRow(a.row.external_ids))) {
        const ip = rowPodIp(a.row);
        if (ip) scopeIps.add(ip);
      }
    }
    const portNames = new Set([...podKeys].map((k) => podPortName(k.split('/')[0], k.split('/').slice(1).join('/'))));
    const localNodeChanged = b.nodes.has(this.node);
    const servedAS = new Set((['v4', 'v6'] as const).map((f) => egressIpServedPodsAS(f).name));
    const addressFilter = new Map([...servedAS].map((n) => [n, scopeIps]));
    return {
      addressFilter,
      rows: (r) => {
        if (isPodEipRow(r)) {
          const pk = podOfRow(r.external_ids);
          if (pk) return podKeys.has(pk) || eipNames.has(eipOfRow(r.external_ids));
          // legacy row: by EgressIP name or pod IP
          const ip = rowPodIp(r);
          return eipNames.has(eipOfRow(r.external_ids)) || (ip !== undefined && scopeIps.has(ip));
        }
        if (r.table === 'Address_Set') return servedAS.has(r.name) ? scopeIps.size > 0 : b.nodes.size > 0;
        if (r.table === 'Logical_Switch_Port' && r.external_ids.pod === 'true') return portNames.has(r.name);
        if (localNodeChanged && isTopologyRow(r)) return true;
        if (b.nodes.size) {
          if (r.table === 'Logical_Switch_Port' && r.name.startsWith('tstor-')) return b.nodes.has(r.name.slice(6));
          if (r.table === 'Logical_Router_Static_Route' && r.external_ids['ic-node']) return b.nodes.has(r.external_ids['ic-node']);
        }
        return false;
      },
    };
  }

  /** keep / keepNexthops hooks of the bug faults. */
  private addFaultScope(scope: DiffScope, zs: ZoneState, actual: ActualState, full: boolean): void {
    // built only for the faults that need them: most reconciles run with no fault on
    const eips = new Map(zs.eips.map((e) => [e.name, e]));
    const keeps: ((r: NbRow) => boolean)[] = [];
    const nhKeeps: ((r: NbRow, nh: string) => boolean)[] = [];

    if (this.faultOn('eip-stale-snat-lrp-after-failover')) {
      keeps.push((r) => {
        if (r.table !== 'NAT' || !isPodEipRow(r)) return false;
        const e = eips.get(eipOfRow(r.external_ids));
        return !!e && !e.status.some((s) => s.egressIP === r.external_ip && s.node === this.node);
      });
      nhKeeps.push((r) => eips.has(eipOfRow(r.external_ids)));
    }
    if (this.faultOn('eip-stale-nexthop-deleted-node')) {
      const known = new Set<string>();
      for (const n of zs.nodes) {
        const a = addressingOf(n, zs.ipStack);
        for (const c of [...Object.values(a.transitIp), ...Object.values(a.joinIp)]) known.add(stripPrefix(c as string));
      }
      nhKeeps.push((_r, nh) => !known.has(nh));
    }
    if (this.leakedEips.size && this.faultOn('eip-notin-selector-leak')) {
      keeps.push((r) => isPodEipRow(r) && this.leakedEips.has(eipOfRow(r.external_ids)));
    }
    if (full && this.faultOn('eip-missing-pod-delete-on-restart')) {
      const podKeys = new Set(zs.pods.map((p) => `${p.namespace}/${p.name}`));
      const podIps = new Set(zs.pods.flatMap((p) => p.ips));
      keeps.push((r) => {
        if (!isPodEipRow(r)) return false;
        const pk = podOfRow(r.external_ids);
        if (pk) return !podKeys.has(pk);
        const ip = rowPodIp(r);
        return ip !== undefined && !podIps.has(ip);
      });
    }
    if (full && this.faultOn('eip-legacy-nats-not-migrated')) keeps.push((r) => isPodEipRow(r) && isLegacy(r.external_ids));
    if (this.faultOn('eip-duplicate-snat')) {
      const count = new Map<string, number>();
      for (const a of actual.rows)
        if (a.row.table === 'NAT' && isPodEipRow(a.row)) count.set(rowKey(a.row), (count.get(rowKey(a.row)) ?? 0) + 1);
      const dups = new Set([...count].filter(([, n]) => n > 1).map(([k]) => k));
      if (dups.size) {
        const logged = new Set<string>();
        keeps.push((r) => {
          if (r.table !== 'NAT' || !dups.has(rowKey(r))) return false;
          if (!logged.has(rowKey(r))) {
            logged.add(rowKey(r));
            this.klog('multipleResults', r.router);
          }
          return true;
        });
      }
    }
    if (keeps.length) scope.keep = (r) => keeps.some((k) => k(r));
    if (nhKeeps.length) scope.keepNexthops = (r, nh) => nhKeeps.some((k) => k(r, nh));
  }

  /**
   * k8s.ovn.org/pod-networks on the zone's pods, as the zone's ovnkube-controller writes it (the
   * IPs come from the kubelet's IPAM here, which uses the same addressing plan).
   */
  private annotatePods(zs: ZoneState, only?: Set<string>): void {
    const local = zs.nodes.find((n) => n.name === this.node);
    if (!local) return;
    const a = addressingOf(local, zs.ipStack);
    for (const p of zs.pods) {
      if (p.node !== this.node || p.hostNetwork || p.ips.length === 0 || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
      const k = `${p.namespace}/${p.name}`;
      if (only && !only.has(k)) continue;
      if (this.ghosts.has(k)) continue;
      const want = podNetworksAnnotation(p.ips, a);
      const o = this.store.get(GVR.pods, p.namespace, p.name);
      if (!o || o.metadata.annotations?.[POD_NETWORKS_ANNOTATION] === want) continue;
      try {
        this.store.mutateMetadata(GVR.pods, p.namespace, p.name, (md) => {
          md.annotations = { ...(md.annotations ?? {}), [POD_NETWORKS_ANNOTATION]: want };
        });
      } catch {
        /* pod gone */
      }
    }
  }

  // ---------- logging like egressip.go ----------

  private logChanges(inserted: NbRow[], updated: NbRow[], deleted: ActualRow[], actual: ActualState, zs: ZoneState, full: boolean): void {
    const eips = new Map(zs.eips.map((e) => [e.name, e]));
    if (full) {
      const legacy = actual.rows.filter((a) => isPodEipRow(a.row) && isLegacy(a.row.external_ids));
      const migrated = updated.filter(
        (r) => isPodEipRow(r) && !isLegacy(r.external_ids) && legacy.some((a) => rowKey(a.row) === rowKey(r)),
      );
      if (migrated.length) this.klog('legacyMigrated', migrated.length);
    }
    for (const r of inserted) {
      if (!isPodEipRow(r)) continue;
      const eipName = eipOfRow(r.external_ids);
      const pk = podOfRow(r.external_ids);
      const e = eips.get(eipName);
      if (!e || !pk) continue;
      const ip = rowPodIp(r) ?? '';
      const items =
        r.table === 'NAT'
          ? e.status.filter((s) => s.egressIP === r.external_ip)
          : e.status.filter((s) => familyOf(s.egressIP) === familyOf(ip));
      const [ns, name] = pk.split('/');
      for (const it of items) this.klog('addPodStatus', { node: it.node, egressIP: it.egressIP }, eipName, ns, name, [ip]);
    }
    for (const a of deleted) {
      const r = a.row;
      if (!isPodEipRow(r)) {
        if (full && r.table === 'Address_Set') continue;
        continue;
      }
      const eipName = eipOfRow(r.external_ids);
      const e = eips.get(eipName);
      const label = r.external_ids[NAME_KEY] ?? a.uuid;
      if (full && r.table === 'NAT' && isLegacy(r.external_ids)) this.klog('legacyUnknown', r.logical_ip);
      if (r.table === 'NAT') {
        if (full) {
          if (!e || !e.status.some((s) => s.egressIP === r.external_ip)) this.klog('staleSnatNoNode', label);
          else if (!e.status.some((s) => s.egressIP === r.external_ip && r.logical_port === mgmtPort(s.node)))
            this.klog('staleSnatPort', label);
          else this.klog('staleSnatLogicalIp', label, r.logical_ip);
        }
      } else if (full) {
        if (!e) this.klog('staleLrpNoNodes', label, eipName);
        else this.klog('staleLrp', label, rowPodIp(r) ?? r.match);
      }
      if (!full) {
        const pk = podOfRow(r.external_ids);
        if (pk && e) {
          const [ns, name] = pk.split('/');
          for (const it of e.status) this.klog('deletePodStatus', { node: it.node, egressIP: it.egressIP }, eipName, ns, name);
        }
      }
    }
    if (full) {
      for (const r of updated) {
        if (r.table === 'Logical_Router_Policy' && r.priority === REROUTE_PRIORITY) {
          const a = actual.rows.find((x) => rowKey(x.row) === rowKey(r));
          const stale = a && a.row.table === 'Logical_Router_Policy' ? a.row.nexthops.filter((n) => !r.nexthops.includes(n)) : [];
          if (stale.length) this.klog('staleLrpNexthops', r.external_ids[NAME_KEY] ?? r.match, stale);
        }
        if (r.table === 'Address_Set') {
          const a = actual.rows.find((x) => rowKey(x.row) === rowKey(r));
          const stale = a && a.row.table === 'Address_Set' ? a.row.addresses.filter((n) => !r.addresses.includes(n)) : [];
          if (stale.length) this.klog('staleAddrSet', stale, r.name);
        }
      }
    }
  }
}

/** Host-network pods and pods without IPs have no rows. */
function inertPod(x: PodInfo | undefined): boolean {
  return !x || x.hostNetwork || x.ips.length === 0;
}

export const POD_NETWORKS_ANNOTATION = 'k8s.ovn.org/pod-networks';

/** {"default":{"ip_addresses":[...],"mac_address":...,"gateway_ips":[...],"ip_address":...,"gateway_ip":...,"role":"primary"}} */
export function podNetworksAnnotation(ips: string[], a: ReturnType<typeof addressingOf>): string {
  const cidrs = ips.map(
    (ip) => `${ip}/${(familyOf(ip) === 'v4' ? a.podSubnet.v4 : a.podSubnet.v6)?.split('/')[1] ?? (familyOf(ip) === 'v4' ? '32' : '128')}`,
  );
  const gws = ips.map((ip) => (familyOf(ip) === 'v4' ? a.routerIp.v4 : a.routerIp.v6)).filter((x): x is string => !!x);
  return JSON.stringify({
    default: {
      ip_addresses: cidrs,
      mac_address: ipToMac(ips[0]),
      gateway_ips: gws,
      routes: [{ dest: '100.64.0.0/16', nextHop: gws[0] }],
      ip_address: cidrs[0],
      gateway_ip: gws[0],
      role: 'primary',
    },
  });
}

function nodeFingerprint(n: NodeInfo): string {
  return JSON.stringify([n.id, n.hostIps, n.primaryIfaddr]);
}

function mergePending(into: Pending, from: Pending): void {
  into.full ||= from.full;
  for (const x of from.pods) into.pods.add(x);
  for (const x of from.namespaces) into.namespaces.add(x);
  for (const x of from.nodes) into.nodes.add(x);
  for (const [k, v] of from.eips) if (!into.eips.has(k)) into.eips.set(k, v);
}
