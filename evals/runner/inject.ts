/**
 * Fault steps of a case (evals/cases/schema.ts FaultStep) and their undo. Each step returns how to undo
 * it; the trial runs the undos in reverse order at heal time (also after an error or Ctrl-C), then the
 * case's own heal steps, then verifies health (heal.ts).
 *
 * library    the fault library switch (ConfigMap netharness/netharness-faults; the embedded cluster's catalogue)
 * chaos      a Chaos Mesh object: applied, held while the agent works, deleted at heal
 * node-action reboot / stop-kubelet / start-kubelet / crash through a debug pod (harness/chaos/node-actions.ts)
 * exec       an out-of-band edit: argv in a pod's container, or on a node through a debug pod (`oc debug node`)
 * k8s        patch / delete / apply of an object; the object as it was is restored at heal
 * wait       a pause
 */
import * as k8s from '@kubernetes/client-node';
import { httpStatusOf, type Cluster } from '../../harness/cluster/connect.ts';
import { describeApiError, execIn } from '../../harness/cluster/exec.ts';
import { InfraError } from '../../harness/errors.ts';
import { applyChaos, chaosRef, deleteChaos, readChaos } from '../../harness/chaos/injector.ts';
import { debugPod, runNodeAction } from '../../harness/chaos/node-actions.ts';
import type { ChaosObject } from '../../harness/chaos/templates.ts';
import { conditionStatus } from '../../chaos/model.ts';
import { FAULTS_CONFIGMAP, FAULTS_NAMESPACE, api, ignoreNotFound, patchFaultLibrary } from '../../harness/scenario-kit/egressip.ts';
import { sleep, waitFor, waitForNodeReady } from '../../harness/wait/index.ts';
import type { FaultStep } from '../cases/schema.ts';

export interface StepEnv {
  cluster: Cluster;
  signal?: AbortSignal;
  log: (line: string) => void;
  /** divides waits written in real-cluster seconds (the sim's speed; 1 on a live cluster) */
  speed: number;
  timeoutMs: number;
}

export interface Undo {
  what: string;
  run(env: StepEnv): Promise<void>;
}

/**
 * The body of a JSON merge patch for `ref`: the client builds the URL from the body's kind / name / namespace,
 * so the patch's own `metadata` (labels, annotations) is merged under the reference's, never replaces it (a
 * patch `{metadata: {labels}}` spread over the reference lost the name and went to the wrong URL).
 */
export function mergePatchBody(ref: k8s.KubernetesObject, patch: Obj): k8s.KubernetesObject {
  const meta = patch.metadata && typeof patch.metadata === 'object' ? (patch.metadata as Record<string, unknown>) : {};
  return { ...patch, apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...meta, ...ref.metadata } } as k8s.KubernetesObject;
}

// ---------------------------------------------------------------- library switch

const setLibraryFault = (cluster: Cluster, id: string, value: string): Promise<void> =>
  patchFaultLibrary(cluster, { [id]: value }, `switch library fault ${id} to ${value}`);

/** Every library fault currently on (heal switches them all off, whoever switched them on). */
export async function libraryFaultsOn(cluster: Cluster): Promise<string[]> {
  try {
    const cm = await cluster.core.readNamespacedConfigMap({ namespace: FAULTS_NAMESPACE, name: FAULTS_CONFIGMAP });
    return Object.entries(cm.data ?? {})
      .filter(([, v]) => v && v !== 'off')
      .map(([k]) => k);
  } catch (err) {
    if (httpStatusOf(err) === 404) return [];
    throw new InfraError(`read ${FAULTS_NAMESPACE}/${FAULTS_CONFIGMAP}: ${describeApiError(err)}`);
  }
}

export const switchLibraryFaultOff = (cluster: Cluster, id: string): Promise<void> => setLibraryFault(cluster, id, 'off');

// ---------------------------------------------------------------- pods and node shells

export async function resolvePod(
  cluster: Cluster,
  ref: { namespace: string; name?: string; selector?: string; node?: string },
): Promise<string> {
  if (ref.name) return ref.name;
  const l = await api(
    `list pods ${ref.selector} in ${ref.namespace}`,
    cluster.core.listNamespacedPod({
      namespace: ref.namespace,
      labelSelector: ref.selector,
      ...(ref.node ? { fieldSelector: `spec.nodeName=${ref.node}` } : {}),
    }),
  );
  const p = l.items.find((x) => !x.metadata?.deletionTimestamp && x.status?.phase === 'Running');
  if (!p?.metadata?.name) throw new InfraError(`no running pod ${ref.selector} in ${ref.namespace}${ref.node ? ` on ${ref.node}` : ''}`);
  return p.metadata.name;
}

/** Run argv on a node the way `oc debug node/<node>` does: a privileged host pod, `chroot /host`. Returns stdout. */
export async function nodeShell(env: StepEnv, node: string, argv: string[]): Promise<{ stdout: string; exitCode: number }> {
  const { cluster } = env;
  const pod = debugPod(node, ['chroot', '/host', ...argv]);
  const created = await api(`create a debug pod on ${node}`, cluster.core.createNamespacedPod({ namespace: 'default', body: pod }));
  const name = created.metadata?.name ?? '';
  try {
    const w = await waitFor(
      async () => {
        const p = await cluster.core.readNamespacedPod({ namespace: 'default', name });
        const t = p.status?.containerStatuses?.[0]?.state?.terminated;
        return t ? t : undefined;
      },
      { timeoutMs: env.timeoutMs, intervalMs: 200, signal: env.signal, describe: `debug pod ${name} on ${node} to finish` },
    );
    const stdout = await cluster.core.readNamespacedPodLog({ namespace: 'default', name }).catch(() => '');
    return { stdout: typeof stdout === 'string' ? stdout : '', exitCode: w.value.exitCode ?? -1 };
  } finally {
    await ignoreNotFound(cluster.core.deleteNamespacedPod({ namespace: 'default', name, gracePeriodSeconds: 0 })).catch(() => undefined);
  }
}

// ---------------------------------------------------------------- Kubernetes objects

type Obj = k8s.KubernetesObject & Record<string, unknown>;

function spec(o: { apiVersion: string; kind: string; namespace?: string; name: string }): k8s.KubernetesObject {
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } };
}

async function readObject(cluster: Cluster, ref: k8s.KubernetesObject): Promise<Obj | undefined> {
  try {
    return (await cluster.objects.read(ref as Parameters<Cluster['objects']['read']>[0])) as Obj;
  } catch (err) {
    if (httpStatusOf(err) === 404) return undefined;
    throw new InfraError(`read ${ref.kind} ${ref.metadata?.namespace ?? ''}/${ref.metadata?.name}: ${describeApiError(err)}`);
  }
}

/** The object as it can be written back: no status, uid, resourceVersion, managedFields, timestamps. */
export function restorable(o: Obj): Obj {
  const { status: _s, ...rest } = o;
  const m = { ...(o.metadata ?? {}) } as Record<string, unknown>;
  for (const k of [
    'uid',
    'resourceVersion',
    'managedFields',
    'creationTimestamp',
    'generation',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'selfLink',
  ])
    delete m[k];
  return { ...rest, metadata: m } as Obj;
}

async function restoreObject(env: StepEnv, before: Obj | undefined, ref: k8s.KubernetesObject): Promise<void> {
  const { cluster } = env;
  const what = `${ref.kind} ${ref.metadata?.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata?.name}`;
  const cur = await readObject(cluster, ref);
  if (!before) {
    if (cur) await ignoreNotFound(cluster.objects.delete(ref));
    return;
  }
  // a controller recreates what it owns (a ReplicaSet's pod, a DaemonSet's pod): do not make a second one
  const owned = (before.metadata?.ownerReferences ?? []).some((r) => r.controller);
  if (!cur) {
    if (owned) return;
    await api(`restore ${what}`, cluster.objects.create(restorable(before)));
    return;
  }
  if (owned && cur.metadata?.uid !== before.metadata?.uid) return;
  const body = { ...restorable(before), metadata: { ...restorable(before).metadata, resourceVersion: cur.metadata?.resourceVersion } };
  await api(`restore ${what}`, cluster.objects.replace(body as k8s.KubernetesObject));
}

// ---------------------------------------------------------------- the steps

export async function injectStep(env: StepEnv, step: FaultStep): Promise<Undo | undefined> {
  const { cluster } = env;
  switch (step.kind) {
    case 'library': {
      const value = step.params && Object.keys(step.params).length ? JSON.stringify(step.params) : 'on';
      await setLibraryFault(cluster, step.id, value);
      return { what: `library fault ${step.id} off`, run: () => setLibraryFault(cluster, step.id, 'off') };
    }
    case 'chaos': {
      const obj = step.manifest as unknown as ChaosObject;
      const ref = chaosRef(obj);
      await applyChaos(cluster, obj);
      const undo: Undo = {
        what: `delete ${ref.kind} ${ref.namespace}/${ref.name}`,
        run: async (e) => {
          await deleteChaos(cluster, ref);
          await waitFor(async () => ((await readChaos(cluster, ref)) ? undefined : true), {
            timeoutMs: e.timeoutMs,
            intervalMs: 250,
            signal: e.signal,
            describe: `${ref.kind} ${ref.name} to be recovered and gone`,
          });
        },
      };
      if (obj.kind !== 'Schedule') {
        try {
          await waitFor(
            async () => {
              const o = await readChaos(cluster, ref);
              return conditionStatus(o?.status, 'AllInjected') === 'True' ? true : undefined;
            },
            { timeoutMs: env.timeoutMs, intervalMs: 250, signal: env.signal, describe: `${ref.kind} ${ref.name} to be injected` },
          );
        } catch (err) {
          await undo.run(env).catch(() => undefined);
          throw err;
        }
      }
      return undo;
    }
    case 'node-action': {
      // real-cluster seconds: the debug pod runs `sleep N` and the embedded cluster scales a container's sleep by
      // its speed itself (dividing here too made the kubelet come back before the node could go NotReady)
      const restartAfterMs = step.restartAfterS !== undefined ? step.restartAfterS * 1000 : undefined;
      await runNodeAction(cluster, step.node, step.action, {
        signal: env.signal,
        log: env.log,
        restartAfterMs,
        notReadyTimeoutMs: env.timeoutMs,
        readyTimeoutMs: env.timeoutMs,
        ...(step.waitReady ? {} : { readyTimeoutMs: 1 }),
      }).catch((err: unknown) => {
        // not waiting for Ready: the timeout waiting for it is expected
        if (!step.waitReady && /Ready/.test((err as Error).message)) return undefined;
        throw err;
      });
      return {
        what: `node ${step.node} back Ready`,
        run: async (e) => {
          if (step.action === 'stop-kubelet' && restartAfterMs === undefined)
            await runNodeAction(cluster, step.node, 'start-kubelet', { signal: e.signal, log: e.log, readyTimeoutMs: e.timeoutMs });
          await waitForNodeReady(cluster, step.node, true, { timeoutMs: e.timeoutMs, signal: e.signal });
        },
      };
    }
    case 'exec': {
      if ('pod' in step.target) {
        const t = step.target.pod;
        const pod = await resolvePod(cluster, t);
        const r = await execIn(cluster, { namespace: t.namespace, pod, container: t.container }, step.argv, { timeoutMs: env.timeoutMs });
        if (r.exitCode !== 0)
          throw new InfraError(
            `fault exec in ${t.namespace}/${pod} exited ${r.exitCode}: ${step.argv.join(' ')}: ${r.stderr.trim().slice(0, 300)}`,
          );
      } else {
        const r = await nodeShell(env, step.target.node, step.argv);
        if (r.exitCode !== 0) throw new InfraError(`fault exec on node ${step.target.node} exited ${r.exitCode}: ${step.argv.join(' ')}`);
      }
      return undefined;
    }
    case 'k8s': {
      const ref = spec(step.object);
      const before = await readObject(cluster, ref);
      const what = `${step.object.kind} ${step.object.namespace ? `${step.object.namespace}/` : ''}${step.object.name}`;
      if (step.op === 'delete') {
        if (!before) throw new InfraError(`fault: ${what} does not exist, nothing to delete`);
        await api(`delete ${what}`, cluster.objects.delete(ref));
      } else if (step.op === 'patch') {
        if (!before) throw new InfraError(`fault: ${what} does not exist, nothing to patch`);
        await api(
          `patch ${what}`,
          cluster.objects.patch(
            mergePatchBody(ref, step.patch as Obj),
            undefined,
            undefined,
            'netharness-eval',
            undefined,
            k8s.PatchStrategy.MergePatch,
          ),
        );
      } else {
        const manifest = { ...(step.manifest as object), apiVersion: step.object.apiVersion, kind: step.object.kind } as Obj;
        manifest.metadata = { ...(manifest.metadata ?? {}), ...ref.metadata };
        await api(
          `apply ${what}`,
          cluster.objects.patch(manifest, undefined, undefined, 'netharness-eval', true, k8s.PatchStrategy.ServerSideApply),
        );
      }
      return { what: `restore ${what}`, run: (e) => restoreObject(e, before, ref) };
    }
    case 'wait':
      await sleep((step.seconds * 1000) / env.speed, env.signal);
      return undefined;
  }
}
