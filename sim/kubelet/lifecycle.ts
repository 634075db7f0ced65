/**
 * Pod lifecycle on the emulated kubelets: for each pod bound to a sim node whose kubelet runs, pod IPs
 * (NodeIpam, or the k8s.ovn.org/pod-networks annotation when ovnkube wrote one first; hostNetwork pods get
 * the node IP), ContainerCreating then Running with the events Scheduled/AddedInterface/Pulled/Created/
 * Started; container commands run by the built-in shell (exec.ts) or a registered handler (handlers.ts)
 * and finish with an exit code (restartPolicy Always/OnFailure -> restart with back-off, Never ->
 * Succeeded/Failed); graceful deletion (Killing, stop after min(grace, killMs), delete with grace 0);
 * node down / boot / kubelet start. All waits are divided by ctx.speed.
 */
import { errText, GVR, isNotFound, keyOf, randomHex, rfc3339, type Timers } from '../controllers/common.ts';
import type { EventRecorder } from '../controllers/events.ts';
import type { Informer } from '../controllers/informer.ts';
import { podSpec, podStatus, type Container, type ContainerState } from '../controllers/kinds.ts';
import type { KubeObject, ObjectStore, SimContext } from '../types.ts';
import { isInterpretable, runDirect } from './exec.ts';
import type { ContainerHandlerContext, ContainerHandlers } from './handlers.ts';
import { podIps, type NodeIpam } from './ipam.ts';
import type { LogStore } from './logs.ts';
import { Cancel, Cancelled, refOf, type CInst, type KubeletTimings, type NodeStateView, type PodRec } from './records.ts';
import { LineOut, runEnvOf } from './runenv.ts';
import { writeStartupLines } from './startup-logs.ts';
import { terminatedState, type StatusPoster } from './status.ts';

export interface LifecycleDeps {
  ctx: SimContext;
  view: NodeStateView;
  pods: Informer;
  events: EventRecorder;
  timings: KubeletTimings;
  timers: Timers;
  logs: LogStore;
  ipam: ReadonlyMap<string, NodeIpam>;
  nodeIps: ReadonlyMap<string, string[]>;
  myNodes: ReadonlySet<string>;
  status: StatusPoster;
  handlers: ContainerHandlers;
  /** re-queues a pod key for reconcile */
  enqueue(key: string): void;
}

export class PodLifecycle {
  private readonly t: KubeletTimings;

  constructor(
    private readonly d: LifecycleDeps,
    /** the records, shared with the status poster and the API access (one map, owned here) */
    readonly recs: Map<string, PodRec>,
  ) {
    this.t = d.timings;
  }

  private get ctx(): SimContext {
    return this.d.ctx;
  }
  private get store(): ObjectStore {
    return this.d.ctx.store;
  }
  private get view(): NodeStateView {
    return this.d.view;
  }
  private get timers(): Timers {
    return this.d.timers;
  }
  private get logs(): LogStore {
    return this.d.logs;
  }
  private get events(): EventRecorder {
    return this.d.events;
  }
  private get pods(): Informer {
    return this.d.pods;
  }
  private get myNodes(): ReadonlySet<string> {
    return this.d.myNodes;
  }
  private ms(realMs: number): number {
    return realMs / this.ctx.speed;
  }
  private markDirty(rec: PodRec): void {
    this.d.status.markDirty(rec);
  }
  private terminatedState(c: CInst): NonNullable<ContainerState['terminated']> {
    return terminatedState(c);
  }

  stopAll(): void {
    for (const r of this.recs.values()) this.cancelPod(r);
  }

  // ---------------------------------------------------------------- reconcile

  reconcile(key: string): void {
    const pod = this.pods.get(key);
    let rec = this.recs.get(key);
    if (!pod) {
      // A stopped kubelet does not see the deletion (a force delete removes only the API object): the containers
      // keep running until the kubelet starts again and cleans them up (resync), as on a real node. A debug pod
      // running `systemctl stop kubelet; sleep N; systemctl start kubelet` thus brings the kubelet back even when
      // its pod object was deleted meanwhile.
      if (rec && !this.view.kubeletActive(rec.node) && rec.stage !== 'frozen') return;
      if (rec) this.forget(rec);
      return;
    }
    if (rec && rec.uid !== pod.metadata.uid) {
      this.forget(rec);
      rec = undefined;
    }
    const node = podSpec(pod).nodeName;
    if (!node || !this.myNodes.has(node)) return;
    if (rec) rec.pod = pod;
    if (!this.view.kubeletActive(node)) return;
    if (pod.metadata.deletionTimestamp) {
      if (!rec) {
        this.finalDelete(pod);
        return;
      }
      if (rec.stage !== 'terminating' && rec.stage !== 'done') this.beginTermination(rec);
      return;
    }
    if (!rec) {
      if (podStatus(pod).phase === 'Succeeded' || podStatus(pod).phase === 'Failed') return;
      rec = this.newRec(pod, node);
      this.recs.set(key, rec);
      this.startPod(rec);
    }
  }

  private newRec(pod: KubeObject, node: string): PodRec {
    const spec = podSpec(pod);
    const mk = (c: Container, init: boolean): CInst => ({
      name: c.name,
      init,
      spec: c,
      restartCount: 0,
      state: 'waiting',
      waitingReason: init ? 'PodInitializing' : 'ContainerCreating',
      lastState: {},
      ready: false,
      started: false,
      files: new Map(),
    });
    return {
      key: keyOf(pod),
      ns: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name,
      uid: pod.metadata.uid ?? '',
      node,
      pod,
      containers: spec.containers.map((c) => mk(c, false)),
      inits: (spec.initContainers ?? []).map((c) => mk(c, true)),
      ips: [],
      phase: 'Pending',
      stage: 'creating',
      timers: new Set(),
      initialized: (spec.initContainers ?? []).length === 0,
      sandboxReady: false,
    };
  }

  private after(rec: PodRec, ms: number, fn: () => void): void {
    const t = this.timers.after(ms, () => {
      rec.timers.delete(t as NodeJS.Timeout);
      if (this.recs.get(rec.key) !== rec) return;
      try {
        fn();
      } catch (e) {
        this.ctx.log(`kubelet: pod ${rec.key}: ${errText(e)}`);
      }
    });
    if (t) rec.timers.add(t);
  }

  cancelPod(rec: PodRec): void {
    for (const t of rec.timers) this.timers.cancel(t);
    rec.timers.clear();
    for (const c of [...rec.containers, ...rec.inits]) c.abort?.abort();
  }

  private forget(rec: PodRec): void {
    this.cancelPod(rec);
    rec.stage = 'done';
    this.recs.delete(rec.key);
    this.d.ipam.get(rec.node)?.release(rec.ipOffset);
    this.logs.dropPod(rec.ns, rec.name);
    this.d.status.forget(rec.key);
  }

  private src(rec: PodRec): { component: string; host: string } {
    return { component: 'kubelet', host: rec.node };
  }

  private event(rec: PodRec, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    const fieldPath = container
      ? `spec.${rec.inits.some((c) => c.name === container) ? 'initContainers' : 'containers'}{${container}}`
      : undefined;
    this.events.event(rec.pod, type, reason, message, this.src(rec), fieldPath);
  }

  // ---------------------------------------------------------------- pod start

  private assignIps(rec: PodRec): void {
    if (rec.ips.length) return;
    const got = podIps(rec.pod, this.d.ipam.get(rec.node), this.d.nodeIps.get(rec.node) ?? []);
    if (!got) return;
    rec.ips = got.ips;
    rec.ipOffset = got.offset;
  }

  private startPod(rec: PodRec): void {
    rec.stage = 'creating';
    rec.startTime ??= rfc3339();
    rec.phase = 'Pending';
    this.markDirty(rec);
    this.after(rec, this.ms(this.t.containerCreatingMs), () => this.sandboxUp(rec));
  }

  private sandboxUp(rec: PodRec): void {
    this.assignIps(rec);
    rec.sandboxReady = true;
    if (!podSpec(rec.pod).hostNetwork) {
      const prefix = this.ctx.ipStack === 'ipv6' ? 64 : 23;
      const shown = rec.ips.map((ip) => `${ip}/${ip.includes(':') ? 64 : prefix}`).join(' ');
      this.events.event(rec.pod, 'Normal', 'AddedInterface', `Add eth0 [${shown}] from ovn-kubernetes`, { component: 'multus' });
    }
    rec.stage = 'running';
    this.runInits(rec, 0);
  }

  private runInits(rec: PodRec, i: number): void {
    if (i >= rec.inits.length) {
      rec.initialized = true;
      for (const c of rec.containers) this.startContainer(rec, c);
      this.updatePhase(rec);
      this.markDirty(rec);
      return;
    }
    const c = rec.inits[i];
    this.startContainer(rec, c, (code) => {
      if (code === 0) this.runInits(rec, i + 1);
      else if (podSpec(rec.pod).restartPolicy === 'Never') {
        rec.phase = 'Failed';
        for (const m of rec.containers) m.waitingReason = 'PodInitializing';
        this.markDirty(rec);
      } else this.after(rec, this.backoff(c), () => this.runInits(rec, i));
    });
  }

  private backoff(c: CInst): number {
    return this.ms(Math.min(this.t.backoffMaxMs, this.t.backoffBaseMs * 2 ** Math.max(0, c.restartCount - 1)));
  }

  private startContainer(rec: PodRec, c: CInst, onInitDone?: (code: number) => void): void {
    const image = c.imageOverride ?? c.spec.image ?? '';
    c.id = randomHex(32);
    c.state = 'running';
    c.startedAt = rfc3339();
    c.finishedAt = undefined;
    c.exitCode = undefined;
    c.started = true;
    c.abort = new Cancel();
    c.handler = c.imageOverride ? undefined : this.d.handlers.find(rec.pod, c.spec);
    c.handlerCtx = c.handler ? this.handlerContext(rec, c) : undefined;
    const probe = c.spec.readinessProbe;
    c.ready = !probe && !c.init && !c.imageOverride;
    if (probe && !c.init && !c.imageOverride) {
      const delay = Math.max(1, probe.initialDelaySeconds ?? 0) * 1000;
      const id = c.id;
      this.after(rec, this.ms(delay), () => {
        if (c.id === id && c.state === 'running') {
          c.ready = true;
          this.markDirty(rec);
        }
      });
    }
    this.event(rec, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, c.name);
    this.event(rec, 'Normal', 'Created', `Created container ${c.name}`, c.name);
    this.event(rec, 'Normal', 'Started', `Started container ${c.name}`, c.name);
    if (!c.imageOverride && c.handler) this.startHandled(rec, c);
    else if (!c.imageOverride) writeStartupLines(rec.pod, c, (l) => this.logs.append(refOf(rec, c), l));
    this.markDirty(rec);
    if (!c.imageOverride) void this.runMain(rec, c, onInitDone);
  }

  private async runMain(rec: PodRec, c: CInst, onInitDone?: (code: number) => void): Promise<void> {
    const argv = c.spec.command ? [...c.spec.command, ...(c.spec.args ?? [])] : undefined;
    const id = c.id;
    let code: number;
    if (c.handler) return; // the handler's process runs until the container stops
    const env = runEnvOf(this.d, rec, c);
    if (!argv || env.kind !== 'generic' || !isInterpretable(env, argv)) {
      if (c.init) code = 0;
      else return; // a server: runs until stopped
    } else {
      const ref = refOf(rec, c);
      const out = new LineOut((l) => this.logs.append(ref, l));
      try {
        code = await runDirect(env, argv, { out, err: out });
      } catch (e) {
        if (e instanceof Cancelled) return;
        this.logs.append(ref, errText(e));
        code = 1;
      }
      out.flush();
    }
    if (this.recs.get(rec.key) !== rec || c.id !== id || c.state !== 'running') return;
    this.containerExited(rec, c, code);
    onInitDone?.(code);
  }

  /** A handled container: its handler's process is the main process; stopped with the instance. */
  private startHandled(rec: PodRec, c: CInst): void {
    const h = c.handler;
    if (!h?.start || !c.handlerCtx) return;
    try {
      const proc = h.start(c.handlerCtx);
      if (!proc) return;
      c.process = proc;
      c.abort?.on(() => {
        if (c.process === proc) c.process = undefined;
        proc.stop();
      });
    } catch (e) {
      this.ctx.log(`kubelet: handler ${h.name} of ${rec.key}/${c.name}: ${errText(e)}`);
    }
  }

  private handlerContext(rec: PodRec, c: CInst): ContainerHandlerContext {
    const id = c.id;
    const ref = refOf(rec, c);
    return {
      node: rec.node,
      namespace: rec.ns,
      pod: rec.name,
      container: c.name,
      podObject: rec.pod,
      spec: c.spec,
      restartCount: c.restartCount,
      files: c.files,
      log: (line) => {
        if (c.id === id) this.logs.append(ref, line);
      },
      exit: (code) => {
        if (this.recs.get(rec.key) === rec && c.id === id && c.state === 'running') this.containerExited(rec, c, code);
      },
    };
  }

  containerExited(rec: PodRec, c: CInst, code: number, reason?: string): void {
    c.state = 'terminated';
    c.exitCode = code;
    c.termReason = reason ?? (code === 0 ? 'Completed' : 'Error');
    c.finishedAt = rfc3339();
    c.ready = false;
    c.abort?.abort();
    if (c.init) {
      this.markDirty(rec);
      return;
    }
    const policy = podSpec(rec.pod).restartPolicy ?? 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
    if (restart && rec.stage === 'running') {
      const delay = c.restartCount === 0 ? 0 : this.backoff(c);
      if (delay > 0) {
        c.state = 'waiting';
        c.lastState = { terminated: this.terminatedState(c) };
        c.waitingReason = 'CrashLoopBackOff';
        c.waitingMessage = `back-off ${Math.round((delay * this.ctx.speed) / 1000)}s restarting failed container=${c.name} pod=${rec.name}_${rec.ns}(${rec.uid})`;
        this.event(
          rec,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${rec.name}_${rec.ns}(${rec.uid})`,
          c.name,
        );
      }
      this.after(rec, delay, () => this.restartContainer(rec, c, { terminated: this.terminatedState(c) }));
    }
    this.updatePhase(rec);
    this.markDirty(rec);
  }

  restartContainer(rec: PodRec, c: CInst, last: ContainerState): void {
    if (rec.stage !== 'running') return;
    c.lastState = last;
    c.restartCount++;
    this.logs.rotate(refOf(rec, c));
    this.startContainer(rec, c);
    this.updatePhase(rec);
  }

  updatePhase(rec: PodRec): void {
    if (rec.phase === 'Failed' && rec.stage !== 'running') return;
    if (!rec.initialized) {
      rec.phase = 'Pending';
      return;
    }
    const policy = podSpec(rec.pod).restartPolicy ?? 'Always';
    const all = rec.containers;
    const terminated = all.filter((c) => c.state === 'terminated');
    if (policy !== 'Always' && terminated.length === all.length && all.length > 0) {
      const failed = terminated.some((c) => c.exitCode !== 0);
      if (policy === 'Never' || !failed) {
        rec.phase = failed ? 'Failed' : 'Succeeded';
        return;
      }
    }
    rec.phase = all.some((c) => c.state === 'running' || c.restartCount > 0 || c.state === 'terminated') ? 'Running' : 'Pending';
  }

  // ---------------------------------------------------------------- termination

  private beginTermination(rec: PodRec): void {
    rec.stage = 'terminating';
    for (const t of rec.timers) this.timers.cancel(t);
    rec.timers.clear();
    for (const c of rec.containers) if (c.state === 'running') this.event(rec, 'Normal', 'Killing', `Stopping container ${c.name}`, c.name);
    const grace = rec.pod.metadata.deletionGracePeriodSeconds ?? podSpec(rec.pod).terminationGracePeriodSeconds ?? 30;
    const delay = this.ms(Math.min(grace * 1000, this.t.killMs));
    const finish = (): void => {
      for (const c of [...rec.containers, ...rec.inits]) {
        c.abort?.abort();
        if (c.state === 'running') {
          c.state = 'terminated';
          c.exitCode = 0;
          c.termReason = 'Completed';
          c.finishedAt = rfc3339();
          c.ready = false;
        }
      }
      this.finalDelete(rec.pod);
    };
    if (delay <= 0) finish();
    else this.after(rec, delay, finish);
  }

  private finalDelete(pod: KubeObject): void {
    try {
      this.store.delete(GVR.pods, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // ---------------------------------------------------------------- node lifecycle hooks

  recsOn(node: string): PodRec[] {
    return [...this.recs.values()].filter((r) => r.node === node);
  }

  /** The node stops (reboot: graceful; crash: at once): every container dies, nothing is posted. */
  nodeDown(node: string): void {
    for (const rec of this.recsOn(node)) {
      this.cancelPod(rec);
      if (rec.stage === 'done') continue;
      rec.stage = 'frozen';
      for (const c of [...rec.containers, ...rec.inits]) {
        if (c.state === 'running') {
          c.state = 'terminated';
          c.exitCode = 255;
          c.termReason = 'Unknown';
          c.finishedAt = rfc3339();
          c.ready = false;
        }
      }
    }
  }

  /** After a boot with a running kubelet: pods come back with restartCount+1, 'previous' logs kept. */
  nodeBooted(node: string): void {
    for (const rec of this.recsOn(node)) {
      const pod = this.pods.get(rec.key);
      if (!pod || pod.metadata.uid !== rec.uid) {
        this.forget(rec);
        continue;
      }
      rec.pod = pod;
      if (pod.metadata.deletionTimestamp) {
        this.finalDelete(pod);
        continue;
      }
      const policy = podSpec(pod).restartPolicy ?? 'Always';
      this.event(rec, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      rec.sandboxReady = false;
      rec.stage = 'creating';
      for (const c of rec.containers) {
        if (c.state === 'terminated' && c.termReason === 'Unknown') {
          const last: ContainerState = { terminated: this.terminatedState(c) };
          if (policy === 'Never') continue;
          c.lastState = last;
          c.state = 'waiting';
          c.waitingReason = 'ContainerCreating';
          c.waitingMessage = undefined;
        }
      }
      if (policy === 'Never') {
        rec.stage = 'running';
        rec.phase = rec.containers.some((c) => c.state === 'terminated' && c.exitCode !== 0) ? 'Failed' : rec.phase;
        this.updatePhase(rec);
        this.markDirty(rec);
        continue;
      }
      this.markDirty(rec);
      this.after(rec, this.ms(this.t.containerCreatingMs), () => {
        rec.sandboxReady = true;
        rec.stage = 'running';
        for (const c of rec.containers) {
          if (c.state === 'waiting' && c.lastState.terminated) {
            c.restartCount++;
            this.logs.rotate(refOf(rec, c));
            this.startContainer(rec, c);
          }
        }
        this.updatePhase(rec);
        this.markDirty(rec);
      });
    }
    this.resync(node);
  }

  /** The kubelet process (re)starts on a running node: start new pods, finish deletions, post what changed. */
  kubeletStarted(node: string): void {
    this.resync(node);
  }

  /** API reachable again (partition healed, kubelet started): post deferred statuses. */
  apiReconnected(node: string): void {
    this.d.status.reconnected(node, this.recsOn(node));
  }

  private resync(node: string): void {
    for (const p of this.pods.byIndex('node', node)) this.d.enqueue(keyOf(p));
    // containers of pods deleted while the kubelet was stopped: reconcile finds no pod and stops them
    for (const r of this.recsOn(node)) if (!this.pods.get(r.key)) this.d.enqueue(r.key);
    this.apiReconnected(node);
  }
}
