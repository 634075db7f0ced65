/**
 * The chaos injector: apply a Chaos Mesh object through the API (client-node KubernetesObjectApi),
 * wait for Selected / AllInjected, hold, wait for AllRecovered (Chaos Mesh recovers itself when
 * `duration` ends) or delete the object and wait for the controller to recover and drop its
 * finalizer, and record what happened (kind, targets, inject / recover times, the object's events).
 *
 * It reaches the cluster only through the kubeconfig (harness/cluster/connect.ts), so the embedded
 * cluster and a real OpenShift cluster take the same path. A preflight checks that Chaos Mesh is
 * installed (CRDs + chaos-controller-manager pods in ns chaos-mesh) and says how to install it.
 */
import * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../cluster/connect.ts';
import { httpStatusOf, isConnectionError } from '../cluster/connect.ts';
import { describeApiError } from '../cluster/exec.ts';
import { InfraError, InterruptedError, UsageError } from '../errors.ts';
import {
  CHAOS_GROUP,
  CHAOS_KINDS,
  CHAOS_VERSION,
  MANAGED_BY_LABEL,
  SCHEDULE_RESOURCE,
  conditionStatus,
  isChaosKind,
  isOneShot,
  parseGoDuration,
  validateChaos,
  formatFieldErrors,
  type ChaosRecord,
  type ConditionType,
} from '../../chaos/model.ts';
import type { ChaosObject, Rendered } from './templates.ts';
import { sleep, waitFor, WaitTimeoutError } from '../wait/poll.ts';
import { CHAOS_MESH_NAMESPACE } from '../constants.ts';
import type { RunEvent } from '../store/store.ts';

/** The run event (harness/store), under the name the chaos tests know it by. */
export type ChaosEventInput = RunEvent;
/** Where chaos events go: the run's store (`store.recordEvent(runId, e)`), `t.event`, or a test array. */
export type ChaosRecorder = (e: RunEvent) => void;

/** Adapter for harness/store: `storeRecorder(store, runId)`. */
export function storeRecorder(store: { recordEvent(runId: string, e: RunEvent): void }, runId: string): ChaosRecorder {
  return (e) => store.recordEvent(runId, e);
}

export interface InjectOptions {
  /**
   * How long to keep the fault injected once AllInjected. Default: objects with `duration` run until
   * Chaos Mesh recovers them (AllRecovered); one-shot kinds (pod-kill, container-kill) and objects
   * without a duration are deleted right away (0).
   */
  holdMs?: number;
  /** Wait for Selected + AllInjected at most this long. Default 60 s. */
  injectTimeoutMs?: number;
  /** Wait for recovery (after the duration or the delete) at most this long. Default 120 s. */
  recoverTimeoutMs?: number;
  /** Leave the object in the cluster after recovery (default: delete it). */
  keep?: boolean;
  /** Skip the Chaos Mesh preflight (default: run it once per cluster). */
  skipPreflight?: boolean;
  pollMs?: number;
  signal?: AbortSignal;
  recorder?: ChaosRecorder;
  log?: (line: string) => void;
}

export interface ChaosK8sEvent {
  type: string;
  reason: string;
  message: string;
  at: string;
  count: number;
}

export interface ChaosResult {
  kind: string;
  name: string;
  namespace: string;
  template?: string;
  /** record ids: ns/pod or ns/pod/container */
  targets: string[];
  appliedAt: string;
  selectedAt?: string;
  injectedAt: string;
  /** when AllRecovered was seen, or the object was gone after the delete */
  recoveredAt: string;
  deletedAt?: string;
  /** injected -> recovered */
  injectedMs: number;
  records: ChaosRecord[];
  events: ChaosK8sEvent[];
}

export { CHAOS_MESH_NAMESPACE };

export const INSTALL_HINT = [
  'install Chaos Mesh (OpenShift, CRI-O):',
  '  helm repo add chaos-mesh https://charts.chaos-mesh.org',
  '  helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --create-namespace --set chaosDaemon.runtime=crio --set chaosDaemon.socketPath=/var/run/crio/crio.sock',
  '  oc adm policy add-scc-to-user privileged -z chaos-daemon -n chaos-mesh',
  'then check: oc get pods -n chaos-mesh (chaos-controller-manager-* Running)',
].join('\n');

interface Ref {
  kind: string;
  plural: string;
  namespace: string;
  name: string;
}

function refOf(obj: ChaosObject): Ref {
  const plural = obj.kind === 'Schedule' ? SCHEDULE_RESOURCE : isChaosKind(obj.kind) ? CHAOS_KINDS[obj.kind].resource : undefined;
  if (!plural) throw new UsageError(`unsupported chaos kind ${obj.kind}`);
  return { kind: obj.kind, plural, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name };
}

const nowIso = () => new Date().toISOString();

function apiError(what: string, err: unknown): Error {
  if (err instanceof InfraError || err instanceof UsageError || err instanceof InterruptedError) return err;
  if (isConnectionError(err))
    return new InfraError(
      `${what}: the cluster is unreachable (${describeApiError(err)})`,
      'check the kubeconfig and that the API server is up',
      { cause: err },
    );
  return new InfraError(`${what}: ${describeApiError(err)}`, undefined, { cause: err });
}

// ---------------------------------------------------------------- preflight

const preflightDone = new WeakMap<Cluster, Promise<void>>();

/**
 * Chaos Mesh must be there: the CRDs (podchaos, networkchaos, stresschaos, timechaos, schedules)
 * and a Running chaos-controller-manager pod in ns chaos-mesh. InfraError with install steps if not.
 */
export function preflightChaosMesh(cluster: Cluster): Promise<void> {
  let p = preflightDone.get(cluster);
  if (!p) {
    p = runPreflight(cluster);
    preflightDone.set(cluster, p);
    p.catch(() => preflightDone.delete(cluster));
  }
  return p;
}

async function runPreflight(cluster: Cluster): Promise<void> {
  const ext = cluster.kc.makeApiClient(k8s.ApiextensionsV1Api);
  const missing: string[] = [];
  for (const plural of [...Object.values(CHAOS_KINDS).map((k) => k.resource), SCHEDULE_RESOURCE]) {
    const name = `${plural}.${CHAOS_GROUP}`;
    try {
      await ext.readCustomResourceDefinition({ name });
    } catch (err) {
      if (httpStatusOf(err) === 404) missing.push(name);
      else if (httpStatusOf(err) === 403)
        return; // cannot read CRDs: let the apply tell
      else throw apiError(`reading CRD ${name}`, err);
    }
  }
  if (missing.length) throw new InfraError(`Chaos Mesh is not installed: missing CRDs ${missing.join(', ')}`, INSTALL_HINT);
  let pods: k8s.V1Pod[];
  try {
    pods = (await cluster.core.listNamespacedPod({ namespace: CHAOS_MESH_NAMESPACE })).items;
  } catch (err) {
    if (httpStatusOf(err) === 404) pods = [];
    else if (httpStatusOf(err) === 403) return;
    else throw apiError(`listing pods in ${CHAOS_MESH_NAMESPACE}`, err);
  }
  const managers = pods.filter(
    (p) =>
      p.metadata?.name?.startsWith('chaos-controller-manager') ||
      p.metadata?.labels?.['app.kubernetes.io/component'] === 'controller-manager',
  );
  if (managers.length === 0)
    throw new InfraError(`Chaos Mesh CRDs are there but no chaos-controller-manager pod runs in ns ${CHAOS_MESH_NAMESPACE}`, INSTALL_HINT);
  if (!managers.some((p) => p.status?.phase === 'Running')) {
    throw new InfraError(
      `chaos-controller-manager is not Running in ns ${CHAOS_MESH_NAMESPACE} (${managers.map((p) => `${p.metadata?.name}: ${p.status?.phase}`).join(', ')})`,
      `check: oc -n ${CHAOS_MESH_NAMESPACE} describe pod -l app.kubernetes.io/component=controller-manager\n${INSTALL_HINT}`,
    );
  }
}

// ---------------------------------------------------------------- API helpers

export async function applyChaos(cluster: Cluster, obj: ChaosObject): Promise<ChaosObject> {
  const errs = validateChaos(obj);
  if (errs.length) throw new UsageError(formatFieldErrors(obj.kind, obj.metadata?.name ?? '', errs));
  try {
    const created = await cluster.objects.create(obj as k8s.KubernetesObject);
    return created as unknown as ChaosObject;
  } catch (err) {
    const code = httpStatusOf(err);
    if (code === 409)
      throw new UsageError(
        `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} already exists`,
        `delete it first (kubectl delete ${refOf(obj).plural}.${CHAOS_GROUP} -n ${obj.metadata.namespace} ${obj.metadata.name}) or use another name`,
      );
    if (code === 422 || code === 400)
      throw new UsageError(`the API server rejected ${obj.kind} ${obj.metadata.name}: ${describeApiError(err)}`);
    if (code === 404)
      throw new InfraError(
        `creating ${obj.kind} ${obj.metadata.name}: ${describeApiError(err)}`,
        `is the namespace ${obj.metadata.namespace} there, and Chaos Mesh installed?\n${INSTALL_HINT}`,
      );
    throw apiError(`creating ${obj.kind} ${obj.metadata.name}`, err);
  }
}

export async function readChaos(cluster: Cluster, ref: Ref): Promise<ChaosObject | undefined> {
  try {
    return (await cluster.custom.getNamespacedCustomObject({
      group: CHAOS_GROUP,
      version: CHAOS_VERSION,
      namespace: ref.namespace,
      plural: ref.plural,
      name: ref.name,
    })) as ChaosObject;
  } catch (err) {
    if (httpStatusOf(err) === 404) return undefined;
    throw apiError(`reading ${ref.kind} ${ref.namespace}/${ref.name}`, err);
  }
}

export async function deleteChaos(cluster: Cluster, ref: Ref): Promise<boolean> {
  try {
    await cluster.custom.deleteNamespacedCustomObject({
      group: CHAOS_GROUP,
      version: CHAOS_VERSION,
      namespace: ref.namespace,
      plural: ref.plural,
      name: ref.name,
    });
    return true;
  } catch (err) {
    if (httpStatusOf(err) === 404) return false;
    throw apiError(`deleting ${ref.kind} ${ref.namespace}/${ref.name}`, err);
  }
}

/** Events whose involvedObject is the chaos object, oldest first. */
export async function chaosEvents(cluster: Cluster, ref: Ref, uid?: string): Promise<ChaosK8sEvent[]> {
  try {
    const list = await cluster.core.listNamespacedEvent({ namespace: ref.namespace });
    return list.items
      .filter(
        (e) =>
          e.involvedObject?.name === ref.name &&
          e.involvedObject?.kind === ref.kind &&
          (!uid || !e.involvedObject.uid || e.involvedObject.uid === uid),
      )
      .map((e) => ({
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        at: toIso(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp),
        count: e.count ?? 1,
      }))
      .sort((a, b) => a.at.localeCompare(b.at));
  } catch {
    return [];
  }
}

function toIso(t: unknown): string {
  if (t instanceof Date) return t.toISOString();
  if (typeof t === 'string') return t;
  return '';
}

function records(obj: ChaosObject | undefined): ChaosRecord[] {
  const exp = (obj?.status as { experiment?: { containerRecords?: ChaosRecord[] } } | undefined)?.experiment;
  return exp?.containerRecords ?? [];
}

/** Poll until `pred` holds on the object; returns the object (undefined if `pred` accepts "gone"). */
async function pollChaos(
  cluster: Cluster,
  ref: Ref,
  what: string,
  timeoutMs: number,
  pollMs: number,
  signal: AbortSignal | undefined,
  pred: (o: ChaosObject | undefined) => boolean,
): Promise<ChaosObject | undefined> {
  let last: ChaosObject | undefined;
  try {
    // a read error is not retried (readChaos already maps 404 to undefined and the rest to InfraError)
    const w = await waitFor(
      async () => {
        last = await readChaos(cluster, ref);
        return pred(last) && { object: last };
      },
      { timeoutMs, intervalMs: pollMs, signal, describe: what, retryable: () => false },
    );
    return w.value.object;
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const evs = await chaosEvents(cluster, ref, last?.metadata && (last.metadata as { uid?: string }).uid);
    const failed = evs.filter((e) => e.type === 'Warning' || e.reason === 'Failed').map((e) => `${e.reason}: ${e.message}`);
    const conds = ((last?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [])
      .map((c) => `${c.type}=${c.status}`)
      .join(' ');
    throw new InfraError(
      `${ref.kind} ${ref.namespace}/${ref.name}: timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (conditions: ${conds || 'none'})` : ' (object gone)'}${failed.length ? `; controller said: ${failed.slice(-3).join(' | ')}` : ''}`,
      `check the controller: kubectl -n ${CHAOS_MESH_NAMESPACE} logs deploy/chaos-controller-manager; and the object: kubectl -n ${ref.namespace} describe ${ref.plural}.${CHAOS_GROUP} ${ref.name}`,
    );
  }
}

const cond = (o: ChaosObject | undefined, t: ConditionType) => conditionStatus(o?.status, t);

// ---------------------------------------------------------------- inject

/**
 * Apply, wait injected, hold, recover, record. Deletes the object at the end unless `keep`.
 * On failure after the apply, the object is deleted (best effort) so no fault is left behind.
 */
export async function injectChaos(cluster: Cluster, what: Rendered | ChaosObject, opts: InjectOptions = {}): Promise<ChaosResult> {
  const isRendered = (w: Rendered | ChaosObject): w is Rendered => 'yaml' in w && typeof w.yaml === 'string' && 'object' in w;
  const obj: ChaosObject = isRendered(what) ? what.object : what;
  const template = isRendered(what) ? what.template : undefined;
  if (obj.kind === 'Schedule')
    throw new UsageError(
      `injectChaos takes ${Object.keys(CHAOS_KINDS).join(' / ')}; apply a Schedule with applyChaos and remove it with deleteChaos`,
    );
  const ref = refOf(obj);
  const log = opts.log ?? (() => {});
  const pollMs = opts.pollMs ?? 250;
  const injectTimeoutMs = opts.injectTimeoutMs ?? 60_000;
  const recoverTimeoutMs = opts.recoverTimeoutMs ?? 120_000;
  const durationMs = typeof obj.spec.duration === 'string' ? parseGoDuration(obj.spec.duration) : undefined;
  const oneShot = isOneShot(obj.kind, obj.spec);

  if (!opts.skipPreflight) await preflightChaosMesh(cluster);
  const appliedAt = nowIso();
  const created = await applyChaos(cluster, obj);
  const uid = (created.metadata as { uid?: string }).uid;
  log(`applied ${ref.kind} ${ref.namespace}/${ref.name}`);
  let deletedAt: string | undefined;
  try {
    const selected = await pollChaos(
      cluster,
      ref,
      'Selected',
      injectTimeoutMs,
      pollMs,
      opts.signal,
      (o) => cond(o, 'Selected') === 'True' || o === undefined,
    );
    const selectedAt = nowIso();
    const injected = await pollChaos(
      cluster,
      ref,
      'AllInjected',
      injectTimeoutMs,
      pollMs,
      opts.signal,
      (o) =>
        cond(o, 'AllInjected') === 'True' ||
        (o !== undefined && cond(o, 'AllRecovered') === 'True' && records(o).some((r) => r.injectedCount > 0)),
    );
    const injectedAt = nowIso();
    const targets = records(injected ?? selected).map((r) => r.id);
    log(`${ref.kind} ${ref.name}: AllInjected on ${targets.join(', ')}`);
    opts.recorder?.({
      kind: 'chaos-inject',
      target: targets.join(','),
      at: injectedAt,
      details: {
        chaosKind: ref.kind,
        name: ref.name,
        namespace: ref.namespace,
        template,
        action: obj.spec.action,
        targets,
        appliedAt,
        selectedAt,
        injectedAt,
      },
    });

    // hold
    let recovered: ChaosObject | undefined;
    let recoveredAt: string | undefined;
    const hold = opts.holdMs ?? (durationMs !== undefined && !oneShot ? undefined : 0);
    if (hold === undefined) {
      recovered = await pollChaos(
        cluster,
        ref,
        'AllRecovered (end of duration)',
        (durationMs ?? 0) + recoverTimeoutMs,
        pollMs,
        opts.signal,
        (o) => o === undefined || cond(o, 'AllRecovered') === 'True',
      );
      recoveredAt = nowIso();
    } else if (hold > 0) {
      const until = Date.now() + hold;
      while (Date.now() < until) {
        const o = await readChaos(cluster, ref);
        if (o === undefined || (!oneShot && cond(o, 'AllRecovered') === 'True')) {
          recovered = o;
          recoveredAt = nowIso();
          break;
        }
        await sleep(Math.min(pollMs, Math.max(1, until - Date.now())), opts.signal);
      }
    }
    let last: ChaosObject | undefined = recovered;
    if (!recoveredAt) {
      // delete -> the controller recovers (desiredPhase Stop), then removes its finalizer
      last = await readChaos(cluster, ref);
      deletedAt = nowIso();
      await deleteChaos(cluster, ref);
      log(`${ref.kind} ${ref.name}: deleted, waiting for recovery`);
      await pollChaos(cluster, ref, 'recovery after delete', recoverTimeoutMs, pollMs, opts.signal, (o) => {
        if (o) last = o;
        return o === undefined;
      });
      recoveredAt = nowIso();
    } else if (!opts.keep) {
      deletedAt = nowIso();
      await deleteChaos(cluster, ref);
      await pollChaos(cluster, ref, 'deletion', recoverTimeoutMs, pollMs, opts.signal, (o) => o === undefined);
    }
    const events = await chaosEvents(cluster, ref, uid);
    const recs = records(last ?? injected);
    const injectedMs = Date.parse(recoveredAt) - Date.parse(injectedAt);
    log(`${ref.kind} ${ref.name}: recovered after ${(injectedMs / 1000).toFixed(1)} s`);
    const result: ChaosResult = {
      kind: ref.kind,
      name: ref.name,
      namespace: ref.namespace,
      template,
      targets,
      appliedAt,
      selectedAt,
      injectedAt,
      recoveredAt,
      deletedAt,
      injectedMs,
      records: recs,
      events,
    };
    // the recorded event carries the result but for the apply / select times (they are in chaos-inject)
    const { kind: chaosKind, appliedAt: _applied, selectedAt: _selected, ...rest } = result;
    opts.recorder?.({ kind: 'chaos-recover', target: targets.join(','), at: recoveredAt, details: { chaosKind, ...rest } });
    return result;
  } catch (err) {
    if (!deletedAt) await deleteChaos(cluster, ref).catch(() => undefined);
    throw err;
  }
}

/** Delete a Schedule and the chaos objects it spawned (label managed-by=<schedule>). */
export async function deleteSchedule(cluster: Cluster, namespace: string, name: string, type: keyof typeof CHAOS_KINDS): Promise<void> {
  await deleteChaos(cluster, { kind: 'Schedule', plural: SCHEDULE_RESOURCE, namespace, name });
  const plural = CHAOS_KINDS[type].resource;
  try {
    const list = (await cluster.custom.listNamespacedCustomObject({
      group: CHAOS_GROUP,
      version: CHAOS_VERSION,
      namespace,
      plural,
      labelSelector: `${MANAGED_BY_LABEL}=${name}`,
    })) as { items?: ChaosObject[] };
    for (const c of list.items ?? []) await deleteChaos(cluster, { kind: type, plural, namespace, name: c.metadata.name });
  } catch (err) {
    throw apiError(`listing the children of Schedule ${namespace}/${name}`, err);
  }
}

export { refOf as chaosRef };
export type { Ref as ChaosRef };

export interface ScheduleResult {
  name: string;
  namespace: string;
  type: string;
  appliedAt: string;
  deletedAt: string;
  /** children the Schedule spawned while it ran (names), oldest first */
  spawned: string[];
  /** children that reached AllInjected */
  injected: string[];
}

/**
 * Apply a Schedule, let it run for `holdMs` (spawning children on its cron), then delete it and its
 * children and wait until they are gone (recovered). Records `chaos-schedule` events.
 */
export async function runSchedule(
  cluster: Cluster,
  what: Rendered | ChaosObject,
  opts: InjectOptions & { holdMs: number },
): Promise<ScheduleResult> {
  const obj: ChaosObject =
    'yaml' in what && typeof what.yaml === 'string' && 'object' in what ? (what as Rendered).object : (what as ChaosObject);
  if (obj.kind !== 'Schedule') throw new UsageError(`runSchedule takes a Schedule, got ${obj.kind}`);
  const type = obj.spec.type;
  if (!isChaosKind(type)) throw new UsageError(`Schedule ${obj.metadata.name}: unsupported spec.type ${String(type)}`);
  const ns = obj.metadata.namespace ?? 'default';
  const plural = CHAOS_KINDS[type].resource;
  const pollMs = opts.pollMs ?? 250;
  if (!opts.skipPreflight) await preflightChaosMesh(cluster);
  const appliedAt = nowIso();
  await applyChaos(cluster, obj);
  opts.log?.(`applied Schedule ${ns}/${obj.metadata.name} (${String(obj.spec.schedule)}, ${type})`);
  opts.recorder?.({
    kind: 'chaos-schedule',
    target: `${ns}/${obj.metadata.name}`,
    at: appliedAt,
    details: { phase: 'applied', schedule: obj.spec.schedule, type },
  });
  const spawned = new Set<string>();
  const injected = new Set<string>();
  const children = async (): Promise<ChaosObject[]> => {
    try {
      const l = (await cluster.custom.listNamespacedCustomObject({
        group: CHAOS_GROUP,
        version: CHAOS_VERSION,
        namespace: ns,
        plural,
        labelSelector: `${MANAGED_BY_LABEL}=${obj.metadata.name}`,
      })) as { items?: ChaosObject[] };
      return l.items ?? [];
    } catch (err) {
      throw apiError(`listing the children of Schedule ${ns}/${obj.metadata.name}`, err);
    }
  };
  let deletedAt = '';
  try {
    const until = Date.now() + opts.holdMs;
    while (Date.now() < until) {
      for (const c of await children()) {
        spawned.add(c.metadata.name);
        if (cond(c, 'AllInjected') === 'True' || records(c).some((r) => r.injectedCount > 0)) injected.add(c.metadata.name);
      }
      await sleep(Math.min(pollMs, Math.max(1, until - Date.now())), opts.signal);
    }
  } finally {
    deletedAt = nowIso();
    await deleteSchedule(cluster, ns, obj.metadata.name, type);
  }
  const deadline = Date.now() + (opts.recoverTimeoutMs ?? 120_000);
  while ((await children()).length > 0) {
    if (Date.now() > deadline)
      throw new InfraError(
        `Schedule ${ns}/${obj.metadata.name}: its children were not recovered and removed within ${Math.round((opts.recoverTimeoutMs ?? 120_000) / 1000)} s`,
        `kubectl -n ${ns} get ${plural}.${CHAOS_GROUP} -l ${MANAGED_BY_LABEL}=${obj.metadata.name}`,
      );
    await sleep(pollMs, opts.signal);
  }
  const res: ScheduleResult = {
    name: obj.metadata.name,
    namespace: ns,
    type,
    appliedAt,
    deletedAt,
    spawned: [...spawned],
    injected: [...injected],
  };
  opts.recorder?.({ kind: 'chaos-schedule', target: `${ns}/${obj.metadata.name}`, at: nowIso(), details: { phase: 'removed', ...res } });
  return res;
}
