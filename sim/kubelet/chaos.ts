/**
 * Chaos Mesh container faults done inside the kubelet (sim/chaos calls them through
 * ctx.services.containerChaos), so the pod status it posts stays right.
 */
import { rfc3339 } from '../controllers/common.ts';
import type { ContainerState } from '../controllers/kinds.ts';
import type { ContainerChaos, ContainerRef } from '../types.ts';
import type { PodLifecycle } from './lifecycle.ts';
import { CHAOS_PAUSE_IMAGE, type NodeStateView } from './records.ts';
import type { StatusPoster } from './status.ts';
import { terminatedState } from './status.ts';

export class KubeletChaos implements ContainerChaos {
  constructor(
    private readonly life: PodLifecycle,
    private readonly status: StatusPoster,
    private readonly view: NodeStateView,
  ) {}

  /** container-kill: the container dies now (exit 137, Error) and is restarted per restartPolicy. */
  killContainer(ref: ContainerRef): boolean {
    const rec = this.life.recs.get(`${ref.namespace}/${ref.pod}`);
    const c = rec?.containers.find((x) => x.name === ref.container);
    if (!rec || !c || c.state !== 'running' || rec.stage !== 'running' || !this.view.kubeletActive(rec.node)) return false;
    this.life.containerExited(rec, c, 137, 'Error');
    return true;
  }

  /** pod-failure: every container restarts on the pause image (not ready) until called with false. */
  setPodFailure(namespace: string, pod: string, failed: boolean): boolean {
    const rec = this.life.recs.get(`${namespace}/${pod}`);
    if (!rec || rec.stage === 'terminating' || rec.stage === 'done') return false;
    for (const c of rec.containers) {
      const want = failed ? CHAOS_PAUSE_IMAGE : undefined;
      if (c.imageOverride === want) continue;
      c.imageOverride = want;
      if (rec.stage !== 'running') continue;
      const last: ContainerState =
        c.state === 'running'
          ? { terminated: { ...terminatedState(c), exitCode: 0, reason: 'Completed', finishedAt: rfc3339() } }
          : c.lastState;
      c.abort?.abort();
      c.state = 'terminated';
      this.life.restartContainer(rec, c, last);
    }
    this.status.markDirty(rec);
    return true;
  }
}
