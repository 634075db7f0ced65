/**
 * The emulated kubelets of all sim nodes: one PodRuntime for the API server.
 *
 * For each pod bound to a sim node whose kubelet runs: pod IPs (NodeIpam, or the
 * k8s.ovn.org/pod-networks annotation when ovnkube wrote one first; hostNetwork pods get the node
 * IP), ContainerCreating (1.5 s) then Running with containerStatuses, conditions, startTime and
 * the events Scheduled/AddedInterface/Pulled/Created/Started; graceful deletion (Killing, stop
 * after min(grace, 1 s), then delete with grace 0); container commands run by the built-in shell
 * (exec.ts) and finish with an exit code (restartPolicy Always/OnFailure -> restart with back-off,
 * Never -> Succeeded/Failed); logs per container instance with `previous`.
 * All waits are divided by ctx.speed.
 *
 * Node lifecycle (sim/controllers/node-lifecycle.ts) drives it through nodeDown / nodeBooted /
 * kubeletStarted / apiReconnected; it reads the node's state through NodeStateView.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { ApiStatusError } from '../api/errors.ts';
import { errText, GVR, isNotFound, keyOf, randomHex, rfc3339, Timers } from '../controllers/common.ts';
import { EventRecorder } from '../controllers/events.ts';
import { Informer, nodeNameIndex, WorkQueue } from '../controllers/informer.ts';
import {
  podSpec,
  podStatus,
  podStatusW,
  type Container,
  type ContainerState,
  type ContainerStatus,
  type PodCondition,
  type PodStatus,
} from '../controllers/kinds.ts';
import { hasV4, nodeAddressing, stripPrefix } from '../topology.ts';
import type {
  ContainerChaos,
  ContainerRef,
  ExecResult,
  ExecStreams,
  KubeObject,
  LogEntry,
  LogOptions,
  ObjectStore,
  PodRuntime,
  SimContext,
  Stoppable,
} from '../types.ts';
import {
  execFailureMessage,
  isInterpretable,
  OVN_IMAGE_CONTAINERS,
  OVN_NAMESPACE,
  runDirect,
  type ImageKind,
  type Out,
  type RunEnv,
} from './exec.ts';
import { NodeIpam } from './ipam.ts';
import { LogStore } from './logs.ts';

export interface NodeStateView {
  /** The node is powered and its kubelet process runs. */
  kubeletActive(node: string): boolean;
  /** The kubelet's status updates reach the API server (not partitioned). */
  apiReachable(node: string): boolean;
  bootId(node: string): string;
}

/** Realistic defaults (ms at speed 1). */
export interface KubeletTimings {
  /** sandbox + CNI ADD + image already present: ContainerCreating -> Running */
  containerCreatingMs: number;
  /** upper bound of a graceful stop (min with the grace period) */
  killMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_KUBELET_TIMINGS: KubeletTimings = {
  containerCreatingMs: 1500,
  killMs: 1000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
};

/** A light AbortController (no DOMException per abort; one per container instance). */
class Cancel {
  aborted = false;
  private readonly fns = new Set<() => void>();
  on(fn: () => void): () => void {
    if (this.aborted) {
      fn();
      return () => undefined;
    }
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const f of this.fns) f();
    this.fns.clear();
  }
}

class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

interface CInst {
  name: string;
  init: boolean;
  spec: Container;
  id?: string;
  restartCount: number;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  waitingMessage?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  termReason?: string;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  abort?: Cancel;
  files: Map<string, string>;
  /** Chaos Mesh pod-failure: runs this image (pause) instead, never ready */
  imageOverride?: string;
}

interface PodRec {
  key: string;
  ns: string;
  name: string;
  uid: string;
  node: string;
  pod: KubeObject;
  containers: CInst[];
  inits: CInst[];
  ipOffset?: number;
  ips: string[];
  phase: PodStatus['phase'];
  startTime?: string;
  stage: 'creating' | 'running' | 'terminating' | 'frozen' | 'done';
  timers: Set<NodeJS.Timeout>;
  /** initialized, sandbox ready */
  initialized: boolean;
  sandboxReady: boolean;
}

export interface KubeletOptions {
  events?: EventRecorder;
  timings?: Partial<KubeletTimings>;
}

const KUBELET_PORT = 10250;

function imageIdOf(image: string): string {
  if (image.includes('@sha256:')) return image;
  const repo = image.replace(/:[^/:]+$/, '');
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export function imageKind(pod: KubeObject, container: string): ImageKind {
  const spec = podSpec(pod);
  const c = [...spec.containers, ...(spec.initContainers ?? [])].find((x) => x.name === container);
  if (container.startsWith('kube-rbac-proxy') || c?.image?.includes('kube-rbac-proxy')) return 'rbac';
  if (pod.metadata.namespace === OVN_NAMESPACE && OVN_IMAGE_CONTAINERS.has(container)) return 'ovn';
  return 'generic';
}

/** The mount path of a hostPath "/" volume when the pod may use it to reach the host (privileged or hostPID). */
export function hostRootMount(pod: KubeObject, c: Container): string | undefined {
  const spec = podSpec(pod);
  const vol = (spec.volumes ?? []).find((v) => v.hostPath?.path === '/');
  if (!vol) return undefined;
  if (!spec.hostPID && !c.securityContext?.privileged) return undefined;
  return c.volumeMounts?.find((m) => m.name === vol.name)?.mountPath?.replace(/\/$/, '');
}

class LineOut implements Out {
  private buf = '';
  constructor(private readonly emit: (line: string) => void) {}
  write(s: string): void {
    this.buf += s;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      this.emit(this.buf.slice(0, i));
      this.buf = this.buf.slice(i + 1);
    }
  }
  flush(): void {
    if (this.buf) this.emit(this.buf);
    this.buf = '';
  }
}

function streamOut(w: Writable): Out {
  return { write: (s) => void w.write(s) };
}

export const CHAOS_PAUSE_IMAGE = 'gcr.io/google-containers/pause:latest';

export class Kubelet implements PodRuntime, ContainerChaos, Stoppable {
  readonly logs = new LogStore();
  readonly pods: Informer;
  private readonly recs = new Map<string, PodRec>();
  private readonly queue: WorkQueue;
  private readonly ipam = new Map<string, NodeIpam>();
  private readonly nodeIps = new Map<string, string[]>();
  private readonly myNodes: Set<string>;
  private readonly timers = new Timers();
  private readonly events: EventRecorder;
  private readonly t: KubeletTimings;
  private readonly dirty = new Set<string>();
  private readonly deferred = new Set<string>();
  private flushScheduled = false;
  private restoreGraceful?: () => void;

  constructor(
    private readonly ctx: SimContext,
    private readonly view: NodeStateView,
    opts: KubeletOptions = {},
  ) {
    this.events = opts.events ?? new EventRecorder(ctx.store);
    this.t = { ...DEFAULT_KUBELET_TIMINGS, ...opts.timings };
    this.myNodes = new Set(ctx.nodes.map((n) => n.name));
    for (const n of ctx.nodes) {
      this.ipam.set(n.name, new NodeIpam(n, ctx.ipStack));
      const a = nodeAddressing(n, ctx.ipStack);
      this.nodeIps.set(n.name, [a.nodeIp.v4, a.nodeIp.v6].filter((x): x is string => !!x).map(stripPrefix));
    }
    this.pods = new Informer(ctx.store, GVR.pods);
    this.pods.addIndex('node', nodeNameIndex);
    this.queue = new WorkQueue(
      (k) => this.reconcile(k),
      (k, e) => ctx.log(`kubelet: pod ${k}: ${errText(e)}`),
    );
    this.pods.on((type, p) => {
      const node = podSpec(p).nodeName;
      if (type === 'DELETED' || (node && this.myNodes.has(node)) || this.recs.has(keyOf(p))) this.queue.add(keyOf(p));
    });
  }

  private get store(): ObjectStore {
    return this.ctx.store;
  }

  private ms(realMs: number): number {
    return realMs / this.ctx.speed;
  }

  start(): void {
    const s = this.store as ObjectStore & { gracefulPods?: () => boolean };
    if (typeof s.gracefulPods === 'function') {
      const prev = s.gracefulPods;
      s.gracefulPods = () => true;
      this.restoreGraceful = () => {
        s.gracefulPods = prev;
      };
    }
    this.pods.start();
  }

  async stop(): Promise<void> {
    this.restoreGraceful?.();
    this.timers.stop();
    this.queue.stop();
    this.pods.stop();
    for (const r of this.recs.values()) this.cancelPod(r);
  }

  // ---------------------------------------------------------------- reconcile

  private reconcile(key: string): void {
    const pod = this.pods.get(key);
    let rec = this.recs.get(key);
    if (!pod) {
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

  private cancelPod(rec: PodRec): void {
    for (const t of rec.timers) this.timers.cancel(t);
    rec.timers.clear();
    for (const c of [...rec.containers, ...rec.inits]) c.abort?.abort();
  }

  private forget(rec: PodRec): void {
    this.cancelPod(rec);
    rec.stage = 'done';
    this.recs.delete(rec.key);
    this.ipam.get(rec.node)?.release(rec.ipOffset);
    this.logs.dropPod(rec.ns, rec.name);
    this.dirty.delete(rec.key);
    this.deferred.delete(rec.key);
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
    if (podSpec(rec.pod).hostNetwork) {
      rec.ips = this.nodeIps.get(rec.node) ?? [];
      return;
    }
    const ipam = this.ipam.get(rec.node);
    if (!ipam) return;
    const ann = rec.pod.metadata.annotations?.['k8s.ovn.org/pod-networks'];
    if (ann) {
      try {
        const nets = JSON.parse(ann) as Record<string, { ip_addresses?: string[] }>;
        const addrs = nets.default?.ip_addresses ?? [];
        if (addrs.length) {
          rec.ips = addrs.map(stripPrefix);
          for (const ip of rec.ips) rec.ipOffset ??= ipam.reserve(ip);
          return;
        }
      } catch {
        // fall through to our own allocation
      }
    }
    const a = ipam.allocate();
    rec.ipOffset = a.offset;
    rec.ips = a.ips;
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

  private refOf(rec: PodRec, c: CInst): ContainerRef {
    return { namespace: rec.ns, pod: rec.name, container: c.name };
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
    if (!c.imageOverride) this.writeStartupLines(rec, c);
    this.markDirty(rec);
    if (!c.imageOverride) void this.runMain(rec, c, onInitDone);
  }

  private writeStartupLines(rec: PodRec, c: CInst): void {
    const image = c.spec.image ?? '';
    if (c.spec.command || /pause/.test(image) || imageKind(rec.pod, c.name) !== 'generic') return;
    const ref = this.refOf(rec, c);
    if (/agnhost/.test(image)) {
      const mode = c.spec.args?.[0] ?? 'netexec';
      this.logs.append(ref, `I${klogTime()}       1 log.go:245] Started HTTP server on port 8080`);
      if (mode === 'netexec') this.logs.append(ref, `I${klogTime()}       1 log.go:245] Started UDP server on port  8081`);
      return;
    }
    if (/nginx/.test(image)) {
      this.logs.append(ref, '/docker-entrypoint.sh: Configuration complete; ready for start up');
      this.logs.append(
        ref,
        `${new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, '/')} [notice] 1#1: start worker processes`,
      );
      return;
    }
    this.logs.append(ref, `${rfc3339()} starting ${c.name} (${image})`);
    this.logs.append(ref, `${rfc3339()} ${c.name} ready`);
  }

  private runEnv(rec: PodRec, c: CInst, tty = false): RunEnv {
    const spec = podSpec(rec.pod);
    const hostname = spec.hostNetwork ? rec.node : (spec.hostname ?? rec.name);
    const vars: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: hostname,
      KUBERNETES_SERVICE_HOST: hasV4(this.ctx.ipStack) ? '172.30.0.1' : 'fd02::1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: hasV4(this.ctx.ipStack) ? 'tcp://172.30.0.1:443' : 'tcp://[fd02::1]:443',
      HOME: '/root',
    };
    if (tty) vars.TERM = 'xterm';
    const fields: Record<string, string | undefined> = {
      'spec.nodeName': rec.node,
      'metadata.name': rec.name,
      'metadata.namespace': rec.ns,
      'status.podIP': rec.ips[0],
      'status.hostIP': this.nodeIps.get(rec.node)?.[0],
      'spec.serviceAccountName': spec.serviceAccountName,
    };
    for (const e of c.spec.env ?? []) {
      if (e.value !== undefined) vars[e.name] = e.value;
      else {
        const fp = (e.valueFrom as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath;
        const v = fp ? fields[fp] : undefined;
        if (v !== undefined) vars[e.name] = v;
      }
    }
    const abort = c.abort;
    const timers = this.timers;
    return {
      kind: imageKind(rec.pod, c.name),
      node: rec.node,
      namespace: rec.ns,
      hostname,
      podIp: rec.ips[0],
      vars,
      hostMount: hostRootMount(rec.pod, c.spec),
      services: this.ctx.services,
      nodeActions: this.ctx.services.nodeActions,
      host: { bootId: (n) => this.view.bootId(n) },
      speed: this.ctx.speed,
      files: c.files,
      sleep: (ms) =>
        new Promise<void>((resolve, reject) => {
          if (abort?.aborted) return reject(new Cancelled());
          let off: () => void = () => undefined;
          let t: NodeJS.Timeout | undefined;
          if (ms !== Infinity)
            t = timers.after(ms, () => {
              off();
              resolve();
            });
          if (abort)
            off = abort.on(() => {
              timers.cancel(t);
              reject(new Cancelled());
            });
        }),
    };
  }

  private async runMain(rec: PodRec, c: CInst, onInitDone?: (code: number) => void): Promise<void> {
    const argv = c.spec.command ? [...c.spec.command, ...(c.spec.args ?? [])] : undefined;
    const id = c.id;
    let code: number;
    const env = this.runEnv(rec, c);
    if (!argv || env.kind !== 'generic' || !isInterpretable(env, argv)) {
      if (c.init) code = 0;
      else return; // a server: runs until stopped
    } else {
      const ref = this.refOf(rec, c);
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

  private containerExited(rec: PodRec, c: CInst, code: number, reason?: string): void {
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

  private terminatedState(c: CInst): NonNullable<ContainerState['terminated']> {
    return {
      exitCode: c.exitCode ?? 0,
      reason: c.termReason ?? 'Completed',
      startedAt: c.startedAt,
      finishedAt: c.finishedAt ?? rfc3339(),
      containerID: c.id ? `cri-o://${c.id}` : undefined,
    };
  }

  private restartContainer(rec: PodRec, c: CInst, last: ContainerState): void {
    if (rec.stage !== 'running') return;
    c.lastState = last;
    c.restartCount++;
    this.logs.rotate(this.refOf(rec, c));
    this.startContainer(rec, c);
    this.updatePhase(rec);
  }

  private updatePhase(rec: PodRec): void {
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

  // ---------------------------------------------------------------- status

  private markDirty(rec: PodRec): void {
    if (!this.view.kubeletActive(rec.node) || !this.view.apiReachable(rec.node)) {
      this.deferred.add(rec.key);
      return;
    }
    this.dirty.add(rec.key);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const k of keys) {
      const rec = this.recs.get(k);
      if (!rec || rec.stage === 'done') continue;
      if (!this.view.kubeletActive(rec.node) || !this.view.apiReachable(rec.node)) {
        this.deferred.add(k);
        continue;
      }
      try {
        this.writeStatus(rec);
      } catch (e) {
        if (!isNotFound(e)) this.ctx.log(`kubelet: status of ${k}: ${errText(e)}`);
      }
    }
  }

  private containerStatus(c: CInst): ContainerStatus {
    const image = c.imageOverride ?? c.spec.image ?? '';
    let state: ContainerState;
    if (c.state === 'running') state = { running: { startedAt: c.startedAt ?? rfc3339() } };
    else if (c.state === 'terminated') state = { terminated: this.terminatedState(c) };
    else
      state = {
        waiting:
          c.waitingMessage && c.waitingReason === 'CrashLoopBackOff'
            ? { reason: c.waitingReason, message: c.waitingMessage }
            : { reason: c.waitingReason },
      };
    const st: ContainerStatus = {
      name: c.name,
      state,
      lastState: c.lastState,
      ready: c.ready,
      restartCount: c.restartCount,
      image,
      imageID: c.id ? imageIdOf(image) : '',
      started: c.state === 'running' && c.started,
    };
    if (c.id) st.containerID = `cri-o://${c.id}`;
    return st;
  }

  private writeStatus(rec: PodRec): void {
    const now = rfc3339();
    const nodeIps = this.nodeIps.get(rec.node) ?? [];
    const containers = rec.containers.map((c) => this.containerStatus(c));
    const inits = rec.inits.map((c) => this.containerStatus(c));
    const notReady = rec.containers.filter((c) => !c.ready).map((c) => c.name);
    const terminal = rec.phase === 'Succeeded' || rec.phase === 'Failed';
    this.store.mutate(
      GVR.pods,
      rec.ns,
      rec.name,
      (p) => {
        if (p.metadata.uid !== rec.uid) return;
        const st = podStatusW(p);
        st.phase = rec.phase;
        const conds = (st.conditions ?? []).filter(
          (c) => c.type === 'PodScheduled' || !['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'].includes(c.type),
        );
        const old = new Map((st.conditions ?? []).map((c) => [c.type, c]));
        const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
          const status = ok ? 'True' : 'False';
          const prev = old.get(type);
          const c: PodCondition = {
            type,
            status,
            lastProbeTime: null,
            lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now,
          };
          if (!ok && reason) c.reason = reason;
          if (!ok && message) c.message = message;
          return c;
        };
        const ready = !terminal && notReady.length === 0 && rec.initialized;
        const reason = terminal ? 'PodCompleted' : 'ContainersNotReady';
        const msg = terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
        const sched = conds.find((c) => c.type === 'PodScheduled') ?? {
          type: 'PodScheduled',
          status: 'True' as const,
          lastProbeTime: null,
          lastTransitionTime: now,
        };
        st.conditions = [
          cond('PodReadyToStartContainers', rec.sandboxReady && rec.stage !== 'frozen'),
          rec.initialized
            ? cond('Initialized', true)
            : cond(
                'Initialized',
                false,
                'ContainersNotInitialized',
                `containers with incomplete status: [${rec.inits
                  .filter((c) => c.exitCode !== 0)
                  .map((c) => c.name)
                  .join(' ')}]`,
              ),
          cond('Ready', ready, reason, msg),
          cond('ContainersReady', ready, reason, msg),
          sched,
          ...conds.filter((c) => c.type !== 'PodScheduled'),
        ];
        st.hostIP = nodeIps[0];
        st.hostIPs = nodeIps.map((ip) => ({ ip }));
        if (rec.ips.length) {
          st.podIP = rec.ips[0];
          st.podIPs = rec.ips.map((ip) => ({ ip }));
        }
        st.startTime = rec.startTime;
        st.containerStatuses = containers;
        if (inits.length) st.initContainerStatuses = inits;
        else delete st.initContainerStatuses;
      },
      { subresource: 'status' },
    );
  }

  // ---------------------------------------------------------------- node lifecycle hooks

  private recsOn(node: string): PodRec[] {
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
            this.logs.rotate(this.refOf(rec, c));
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
    for (const k of [...this.deferred]) {
      const rec = this.recs.get(k);
      if (!rec) {
        this.deferred.delete(k);
        continue;
      }
      if (rec.node !== node) continue;
      this.deferred.delete(k);
      this.markDirty(rec);
    }
    // statuses the node controller overwrote (Ready=False) are posted again
    for (const rec of this.recsOn(node)) this.markDirty(rec);
  }

  private resync(node: string): void {
    for (const p of this.pods.byIndex('node', node)) this.queue.add(keyOf(p));
    this.apiReconnected(node);
  }

  // ---------------------------------------------------------------- PodRuntime

  private backendError(node: string): ApiStatusError | undefined {
    const ip = this.nodeIps.get(node)?.[0] ?? node;
    const addr = ip.includes(':') ? `[${ip}]:${KUBELET_PORT}` : `${ip}:${KUBELET_PORT}`;
    if (!this.view.apiReachable(node))
      return new ApiStatusError(500, 'InternalError', `error dialing backend: dial tcp ${addr}: i/o timeout`);
    if (!this.view.kubeletActive(node))
      return new ApiStatusError(500, 'InternalError', `error dialing backend: dial tcp ${addr}: connect: connection refused`);
    return undefined;
  }

  private lookup(ref: ContainerRef): { pod: KubeObject; rec?: PodRec; c?: CInst } {
    const key = `${ref.namespace}/${ref.pod}`;
    const pod = this.pods.get(key) ?? this.store.get(GVR.pods, ref.namespace, ref.pod);
    if (!pod) throw new ApiStatusError(404, 'NotFound', `pods "${ref.pod}" not found`, { name: ref.pod, kind: 'pods' });
    const spec = podSpec(pod);
    const all = [...spec.containers, ...(spec.initContainers ?? [])];
    if (!all.some((c) => c.name === ref.container)) {
      throw new ApiStatusError(400, 'BadRequest', `container ${ref.container} is not valid for pod ${ref.pod}`);
    }
    const found = this.recs.get(key);
    const rec = found && found.uid === pod.metadata.uid ? found : undefined;
    const c = rec ? [...rec.containers, ...rec.inits].find((x) => x.name === ref.container) : undefined;
    return { pod, rec, c };
  }

  async exec(ref: ContainerRef, command: string[], streams: ExecStreams, opts: { tty: boolean }): Promise<ExecResult> {
    const { pod, rec, c } = this.lookup(ref);
    const node = podSpec(pod).nodeName;
    if (!node) throw new ApiStatusError(400, 'BadRequest', `pod ${ref.pod} does not have a host assigned`);
    const be = this.backendError(node);
    if (be) throw be;
    if (!rec || !c || c.state !== 'running') {
      if (podStatus(pod).phase === 'Succeeded' || podStatus(pod).phase === 'Failed') {
        throw new ApiStatusError(
          400,
          'BadRequest',
          `cannot exec into a container in a completed pod; current phase is ${podStatus(pod).phase}`,
        );
      }
      throw new ApiStatusError(400, 'BadRequest', `unable to upgrade connection: container not found ("${ref.container}")`);
    }
    const env = this.runEnv(rec, c, opts.tty);
    let code: number;
    try {
      code = await runDirect(env, command, {
        stdin: streams.stdin,
        out: streamOut(streams.stdout),
        err: streamOut(streams.stderr),
        tty: opts.tty,
      });
    } catch (e) {
      if (e instanceof Cancelled) code = 137;
      else throw e;
    }
    return code === 0 ? { exitCode: 0 } : { exitCode: code, message: execFailureMessage(command, code) };
  }

  readLogs(ref: ContainerRef, opts: LogOptions): LogEntry[] {
    const { pod, c } = this.lookup(ref);
    const node = podSpec(pod).nodeName;
    if (!node)
      throw new ApiStatusError(
        400,
        'BadRequest',
        `container "${ref.container}" in pod "${ref.pod}" is waiting to start: ContainerCreating`,
      );
    const be = this.backendError(node);
    if (be) throw be;
    if (!opts.previous && (!c || (c.state === 'waiting' && c.restartCount === 0 && !this.logs.has(ref)))) {
      throw new ApiStatusError(
        400,
        'BadRequest',
        `container "${ref.container}" in pod "${ref.pod}" is waiting to start: ${c?.waitingReason ?? 'ContainerCreating'}`,
      );
    }
    return this.logs.read(ref, opts);
  }

  followLogs(ref: ContainerRef, onEntry: (entry: LogEntry) => void): () => void {
    return this.logs.follow(ref, onEntry);
  }

  /** For emulated components: append to a container's current log (dropped when the pod does not exist). */
  appendLog(ref: ContainerRef, line: string): void {
    const key = `${ref.namespace}/${ref.pod}`;
    if (!this.pods.get(key) && !this.recs.has(key)) return;
    this.logs.append(ref, line);
  }

  // ---------------------------------------------------------------- ContainerChaos (sim/chaos)

  /** container-kill: the container dies now (exit 137, Error) and is restarted per restartPolicy. */
  killContainer(ref: ContainerRef): boolean {
    const rec = this.recs.get(`${ref.namespace}/${ref.pod}`);
    const c = rec?.containers.find((x) => x.name === ref.container);
    if (!rec || !c || c.state !== 'running' || rec.stage !== 'running' || !this.view.kubeletActive(rec.node)) return false;
    this.containerExited(rec, c, 137, 'Error');
    return true;
  }

  /** pod-failure: every container restarts on the pause image (not ready) until called with false. */
  setPodFailure(namespace: string, pod: string, failed: boolean): boolean {
    const rec = this.recs.get(`${namespace}/${pod}`);
    if (!rec || rec.stage === 'terminating' || rec.stage === 'done') return false;
    for (const c of rec.containers) {
      const want = failed ? CHAOS_PAUSE_IMAGE : undefined;
      if (c.imageOverride === want) continue;
      c.imageOverride = want;
      if (rec.stage !== 'running') continue;
      const last: ContainerState =
        c.state === 'running'
          ? { terminated: { ...this.terminatedState(c), exitCode: 0, reason: 'Completed', finishedAt: rfc3339() } }
          : c.lastState;
      c.abort?.abort();
      c.state = 'terminated';
      this.restartContainer(rec, c, last);
    }
    this.markDirty(rec);
    return true;
  }

  /** Pods this kubelet runs on `node` (tests, benches). */
  runningOn(node: string): number {
    return this.recsOn(node).filter((r) => r.stage === 'running').length;
  }
}

function klogTime(d = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000`;
}
