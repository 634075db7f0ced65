/**
 * PodChaos in the embedded cluster: pod-kill deletes the pod (its controller recreates it);
 * container-kill restarts the container (restartCount + 1); pod-failure makes the containers fail
 * (not ready, restarted on the pause image) until recovery. With a container runtime
 * (ctx.services.containerChaos) the kubelet does it; without one the pod status is edited as it would.
 */
import { GVR, isNotFound, randomSuffix, rfc3339 } from '../../controllers/common.ts';
import type { SimContext } from '../../types.ts';
import type { KindEffectFactory } from './types.ts';

const PAUSE_IMAGE = 'gcr.io/google-containers/pause:latest';
const FAILURE_ANNOTATION = 'chaos-mesh.org/pod-failure';

export const podChaosEffect: KindEffectFactory = (ctx) => ({
  apply(_obj, spec, r) {
    const [pns, pname, container] = r.id.split('/');
    const action = (spec.action as string | undefined) ?? 'pod-kill';
    if (action === 'pod-kill') {
      try {
        ctx.store.delete(GVR.pods, pns, pname, { gracePeriodSeconds: (spec.gracePeriod as number | undefined) ?? 0 });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    if (!ctx.store.get(GVR.pods, pns, pname)) throw new Error(`pod ${pns}/${pname} not found`);
    if (action === 'container-kill') killContainer(ctx, pns, pname, container);
    else if (action === 'pod-failure') failPod(ctx, pns, pname, true);
  },
  recover(_obj, spec, r) {
    // pod-kill and container-kill are one-shot: nothing to undo
    if (spec.action !== 'pod-failure') return;
    const [pns, pname] = r.id.split('/');
    failPod(ctx, pns, pname, false);
  },
});

/** container-kill: the runtime kills the container; the kubelet restarts it (restartCount + 1). */
function killContainer(ctx: SimContext, ns: string, pod: string, container: string): void {
  const cc = ctx.services.containerChaos;
  if (cc) {
    if (!cc.killContainer({ namespace: ns, pod, container })) throw new Error(`container ${container} of pod ${ns}/${pod} is not running`);
    return;
  }
  const now = rfc3339();
  const updated = ctx.store.mutate(
    GVR.pods,
    ns,
    pod,
    (p) => {
      const st = (p.status ?? {}) as { containerStatuses?: Array<Record<string, unknown>> };
      const cs = st.containerStatuses?.find((c) => c.name === container);
      if (!cs) throw new Error(`container ${container} not found in pod ${ns}/${pod}`);
      const running = (cs.state as { running?: { startedAt?: string } } | undefined)?.running;
      cs.lastState = {
        terminated: { exitCode: 137, reason: 'Error', startedAt: running?.startedAt ?? now, finishedAt: now, containerID: cs.containerID },
      };
      cs.restartCount = ((cs.restartCount as number | undefined) ?? 0) + 1;
      cs.state = { running: { startedAt: now } };
      cs.containerID = `cri-o://${randomSuffix(16)}${randomSuffix(16)}`;
    },
    { subresource: 'status' },
  );
  if (!updated) throw new Error(`pod ${ns}/${pod} not found`);
}

/** pod-failure: containers swapped to the pause image: restarted, not ready, until recovery. */
function failPod(ctx: SimContext, ns: string, pod: string, fail: boolean): void {
  const cc = ctx.services.containerChaos;
  if (cc) {
    if (!cc.setPodFailure(ns, pod, fail) && fail) throw new Error(`pod ${ns}/${pod} not found`);
    return;
  }
  const now = rfc3339();
  if (!ctx.store.get(GVR.pods, ns, pod)) {
    if (fail) throw new Error(`pod ${ns}/${pod} not found`);
    return;
  }
  ctx.store.mutate(GVR.pods, ns, pod, (p) => {
    const ann = { ...(p.metadata.annotations ?? {}) };
    if (fail) ann[FAILURE_ANNOTATION] = PAUSE_IMAGE;
    else delete ann[FAILURE_ANNOTATION];
    p.metadata.annotations = ann;
  });
  ctx.store.mutate(
    GVR.pods,
    ns,
    pod,
    (p) => {
      const st = (p.status ?? {}) as { containerStatuses?: Array<Record<string, unknown>>; conditions?: Array<Record<string, unknown>> };
      for (const cs of st.containerStatuses ?? []) {
        cs.restartCount = ((cs.restartCount as number | undefined) ?? 0) + 1;
        cs.lastState = { terminated: { exitCode: fail ? 137 : 2, reason: 'Error', finishedAt: now } };
        cs.state = { running: { startedAt: now } };
        cs.ready = !fail;
      }
      for (const c of st.conditions ?? []) {
        if (c.type !== 'Ready' && c.type !== 'ContainersReady') continue;
        c.status = fail ? 'False' : 'True';
        c.lastTransitionTime = now;
        if (fail) {
          c.reason = 'ContainersNotReady';
          c.message = `containers with unready status: [${(st.containerStatuses ?? []).map((x) => x.name).join(' ')}]`;
        } else {
          delete c.reason;
          delete c.message;
        }
      }
    },
    { subresource: 'status' },
  );
}
