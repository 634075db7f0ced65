/**
 * The pod status the kubelet posts: containerStatuses, conditions, IPs, phase, built from the records
 * (pure helpers) and written through the status subresource, batched per tick. While the node's kubelet
 * is down or the node is cut off from the API, statuses are deferred and posted on reconnect.
 */
import { createHash } from 'node:crypto';
import { errText, GVR, isNotFound, rfc3339 } from '../controllers/common.ts';
import { podStatusW, type ContainerState, type ContainerStatus, type PodCondition } from '../controllers/kinds.ts';
import type { ObjectStore } from '../types.ts';
import type { CInst, NodeStateView, PodRec } from './records.ts';

function imageIdOf(image: string): string {
  if (image.includes('@sha256:')) return image;
  const repo = image.replace(/:[^/:]+$/, '');
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export function terminatedState(c: CInst): NonNullable<ContainerState['terminated']> {
  return {
    exitCode: c.exitCode ?? 0,
    reason: c.termReason ?? 'Completed',
    startedAt: c.startedAt,
    finishedAt: c.finishedAt ?? rfc3339(),
    containerID: c.id ? `cri-o://${c.id}` : undefined,
  };
}

export function containerStatus(c: CInst): ContainerStatus {
  const image = c.imageOverride ?? c.spec.image ?? '';
  let state: ContainerState;
  if (c.state === 'running') state = { running: { startedAt: c.startedAt ?? rfc3339() } };
  else if (c.state === 'terminated') state = { terminated: terminatedState(c) };
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

export class StatusPoster {
  private readonly dirty = new Set<string>();
  private readonly deferred = new Set<string>();
  private flushScheduled = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly view: NodeStateView,
    private readonly recs: ReadonlyMap<string, PodRec>,
    private readonly nodeIps: ReadonlyMap<string, string[]>,
    private readonly log: (line: string) => void,
  ) {}

  markDirty(rec: PodRec): void {
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

  forget(key: string): void {
    this.dirty.delete(key);
    this.deferred.delete(key);
  }

  /** API reachable again (partition healed, kubelet started): post deferred statuses of the node. */
  reconnected(node: string, recsOnNode: PodRec[]): void {
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
    for (const rec of recsOnNode) this.markDirty(rec);
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
        this.write(rec);
      } catch (e) {
        if (!isNotFound(e)) this.log(`kubelet: status of ${k}: ${errText(e)}`);
      }
    }
  }

  private write(rec: PodRec): void {
    const now = rfc3339();
    const nodeIps = this.nodeIps.get(rec.node) ?? [];
    const containers = rec.containers.map(containerStatus);
    const inits = rec.inits.map(containerStatus);
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
}
