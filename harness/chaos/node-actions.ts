/**
 * Node actions Chaos Mesh has no kind for: reboot, kubelet stop / start, crash. Done as krkn does
 * for generic clusters and as `oc debug node/<n>` does: a privileged debug pod pinned to the node
 * (hostPID, hostNetwork, / mounted at /host, tolerating every taint, restartPolicy Never) runs
 * `chroot /host systemctl reboot` (or `systemctl stop kubelet`, or a sysrq crash). Then we watch the
 * node's Ready condition leave True (NotReady / Unknown) and come back, and clean up the pod.
 *
 * The embedded cluster's kubelet turns the same pod into its NodeActions, so there is one code path.
 * Timeouts default to krkn's node-scenario `timeout: 120` (s) for each wait.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../cluster/connect.ts';
import { httpStatusOf } from '../cluster/connect.ts';
import { describeApiError } from '../cluster/exec.ts';
import { InfraError, UsageError } from '../errors.ts';
import type { ChaosRecorder } from './injector.ts';
import { sleep } from '../wait/poll.ts';

export type NodeActionKind = 'reboot' | 'stop-kubelet' | 'start-kubelet' | 'crash';

export const DEFAULT_DEBUG_IMAGE = 'registry.redhat.io/rhel9/support-tools';

export interface NodeActionOptions {
  /** Debug pod image (default registry.redhat.io/rhel9/support-tools, as `oc debug node` uses). */
  image?: string;
  /** Namespace of the debug pod (default 'default'; it must admit privileged pods). */
  namespace?: string;
  /** Wait for Ready to leave True at most this long. Default 120 s (krkn). */
  notReadyTimeoutMs?: number;
  /** Then wait for Ready=True at most this long. Default 120 s (krkn); real reboots of bare metal may need 600 s. */
  readyTimeoutMs?: number;
  /** Wait for the debug pod to be scheduled and started at most this long. Default 60 s. */
  podStartTimeoutMs?: number;
  /** stopKubelet: start it again after this long (one debug command: stop; sleep; start). Default: leave it stopped. */
  restartAfterMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  recorder?: ChaosRecorder;
  log?: (line: string) => void;
}

export interface NodeActionResult {
  node: string;
  action: NodeActionKind;
  debugPod: string;
  startedAt: string;
  /** first time Ready was not True (or the boot id changed) */
  notReadyAt?: string;
  /** Ready=True again */
  readyAt?: string;
  /** start -> NotReady */
  toNotReadyMs?: number;
  /** NotReady -> Ready */
  downMs?: number;
  /** start -> Ready */
  totalMs?: number;
  bootIdBefore?: string;
  bootIdAfter?: string;
}

const COMMANDS: Record<NodeActionKind, string[]> = {
  reboot: ['chroot', '/host', 'systemctl', 'reboot'],
  'stop-kubelet': ['chroot', '/host', 'systemctl', 'stop', 'kubelet'],
  'start-kubelet': ['chroot', '/host', 'systemctl', 'start', 'kubelet'],
  // krkn's node_crash_scenario
  crash: ['chroot', '/host', 'sh', '-c', 'dd if=/dev/urandom of=/proc/sysrq-trigger'],
};

/** The command the debug pod runs for an action. */
export function nodeActionCommand(action: NodeActionKind, opts: { restartAfterMs?: number } = {}): string[] {
  if (action === 'stop-kubelet' && opts.restartAfterMs !== undefined) {
    const s = Math.max(1, Math.round(opts.restartAfterMs / 1000));
    return ['chroot', '/host', 'sh', '-c', `systemctl stop kubelet; sleep ${s}; systemctl start kubelet`];
  }
  return COMMANDS[action];
}

/** The privileged debug pod (what `oc debug node/<node>` creates), for an action on a node. */
export function debugPodManifest(
  node: string,
  action: NodeActionKind,
  opts: { image?: string; namespace?: string; restartAfterMs?: number } = {},
): k8s.V1Pod {
  return debugPod(node, nodeActionCommand(action, opts), opts);
}

/** The privileged debug pod (what `oc debug node/<node>` creates) running `command` on a node's host. */
export function debugPod(node: string, command: string[], opts: { image?: string; namespace?: string } = {}): k8s.V1Pod {
  const short = node
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40)
    .replace(/-+$/, '');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // Named like `oc debug node/<node>` names its pods: what the action is stays out of the name and labels, so
      // an agent troubleshooting the node (evals) sees a debug pod, not the fault.
      generateName: `${short}-debug-`,
      namespace: opts.namespace ?? 'default',
      labels: { 'app.kubernetes.io/managed-by': 'netharness', 'netharness.io/node-action': 'debug', 'netharness.io/node': short },
      annotations: { 'debug.openshift.io/source-resource': `/v1, Resource=nodes/${node}` },
    },
    spec: {
      nodeName: node,
      hostPID: true,
      hostNetwork: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      priorityClassName: undefined,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'container-00',
          image: opts.image ?? DEFAULT_DEBUG_IMAGE,
          command,
          securityContext: { privileged: true, runAsUser: 0 },
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
    },
  };
}

interface NodeState {
  ready: string;
  bootId?: string;
}

async function nodeState(cluster: Cluster, node: string): Promise<NodeState | undefined> {
  try {
    const n = await cluster.core.readNode({ name: node });
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
    return { ready, bootId: n.status?.nodeInfo?.bootID };
  } catch (err) {
    if (httpStatusOf(err) === 404) return undefined;
    // While a node reboots the API can hiccup; treat as unknown and keep polling.
    return { ready: 'Unknown' };
  }
}

async function deletePod(cluster: Cluster, namespace: string, name: string): Promise<void> {
  try {
    await cluster.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
  } catch {
    // gone already, or the node is still away: best effort
  }
}

/**
 * Run a node action through a debug pod and time the node's NotReady -> Ready cycle.
 * - reboot / crash: wait NotReady then Ready.
 * - stop-kubelet: wait NotReady (then Ready too when restartAfterMs is set).
 * - start-kubelet: wait Ready.
 */
export async function runNodeAction(
  cluster: Cluster,
  node: string,
  action: NodeActionKind,
  opts: NodeActionOptions = {},
): Promise<NodeActionResult> {
  const log = opts.log ?? (() => {});
  const pollMs = opts.pollMs ?? 250;
  const notReadyTimeoutMs = opts.notReadyTimeoutMs ?? 120_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const podStartTimeoutMs = opts.podStartTimeoutMs ?? 60_000;
  const before = await nodeState(cluster, node);
  if (!before) throw new UsageError(`node '${node}' does not exist`, 'list nodes with: kubectl get nodes');
  if (action !== 'start-kubelet' && before.ready !== 'True')
    throw new InfraError(
      `node ${node} is not Ready (Ready=${before.ready}) before ${action}`,
      'wait for the node to be Ready, or pick another node',
    );

  const manifest = debugPodManifest(node, action, opts);
  const ns = manifest.metadata?.namespace ?? 'default';
  const startedAt = new Date();
  let pod: k8s.V1Pod;
  try {
    pod = await cluster.core.createNamespacedPod({ namespace: ns, body: manifest });
  } catch (err) {
    const code = httpStatusOf(err);
    if (code === 403)
      throw new InfraError(
        `cannot create the privileged debug pod in ns ${ns}: ${describeApiError(err)}`,
        'node actions need cluster-admin (privileged SCC); run as a cluster admin or pass a namespace that admits privileged pods',
      );
    throw new InfraError(`creating the debug pod for ${action} on ${node}: ${describeApiError(err)}`);
  }
  const podName = pod.metadata?.name ?? '';
  log(`${action} ${node}: debug pod ${ns}/${podName}`);
  opts.recorder?.({
    kind: `node-${action}`,
    target: node,
    at: startedAt.toISOString(),
    details: { phase: 'start', debugPod: `${ns}/${podName}`, command: manifest.spec?.containers[0].command },
  });
  const result: NodeActionResult = {
    node,
    action,
    debugPod: `${ns}/${podName}`,
    startedAt: startedAt.toISOString(),
    bootIdBefore: before.bootId,
  };
  try {
    const wantNotReady = action !== 'start-kubelet';
    const wantReady = action !== 'stop-kubelet' || opts.restartAfterMs !== undefined;
    let notReadyAt: Date | undefined;
    if (wantNotReady) {
      const deadline = Date.now() + notReadyTimeoutMs;
      for (;;) {
        const s = await nodeState(cluster, node);
        if (s && (s.ready !== 'True' || (before.bootId && s.bootId && s.bootId !== before.bootId))) {
          notReadyAt = new Date();
          break;
        }
        if (Date.now() > deadline) {
          const podInfo = await describePod(cluster, ns, podName);
          throw new InfraError(
            `${action} ${node}: the node did not go NotReady within ${Math.round(notReadyTimeoutMs / 1000)} s (debug pod ${ns}/${podName}: ${podInfo})`,
            `check that the debug pod ran (kubectl -n ${ns} logs ${podName}; image ${manifest.spec?.containers[0].image} pullable?), that it may run privileged (SCC), and the node's conditions: kubectl describe node ${node}`,
          );
        }
        if (Date.now() - startedAt.getTime() > podStartTimeoutMs) {
          const phase = await podPhase(cluster, ns, podName);
          if (phase === 'Pending')
            throw new InfraError(
              `${action} ${node}: debug pod ${ns}/${podName} still Pending after ${Math.round(podStartTimeoutMs / 1000)} s`,
              `kubectl -n ${ns} describe pod ${podName} (image pull? SCC?)`,
            );
        }
        await sleep(pollMs, opts.signal);
      }
      result.notReadyAt = notReadyAt.toISOString();
      result.toNotReadyMs = notReadyAt.getTime() - startedAt.getTime();
      log(`${action} ${node}: NotReady after ${(result.toNotReadyMs / 1000).toFixed(1)} s`);
    }
    if (wantReady) {
      const deadline = Date.now() + readyTimeoutMs;
      for (;;) {
        const s = await nodeState(cluster, node);
        if (s && s.ready === 'True' && (notReadyAt === undefined || Date.now() > notReadyAt.getTime())) {
          const readyAt = new Date();
          result.readyAt = readyAt.toISOString();
          result.bootIdAfter = s.bootId;
          if (notReadyAt) result.downMs = readyAt.getTime() - notReadyAt.getTime();
          result.totalMs = readyAt.getTime() - startedAt.getTime();
          break;
        }
        if (Date.now() > deadline) {
          throw new InfraError(
            `${action} ${node}: the node did not come back Ready within ${Math.round(readyTimeoutMs / 1000)} s`,
            `check the node: kubectl describe node ${node}; its kubelet and the machine console; raise readyTimeoutMs for slow bare-metal reboots`,
          );
        }
        await sleep(pollMs, opts.signal);
      }
      log(`${action} ${node}: Ready again after ${((result.totalMs ?? 0) / 1000).toFixed(1)} s`);
    }
    opts.recorder?.({
      kind: `node-${action}`,
      target: node,
      at: result.readyAt ?? result.notReadyAt ?? new Date().toISOString(),
      details: { phase: 'done', ...result },
    });
    return result;
  } finally {
    await deletePod(cluster, ns, podName);
  }
}

async function podPhase(cluster: Cluster, ns: string, name: string): Promise<string | undefined> {
  try {
    return (await cluster.core.readNamespacedPod({ namespace: ns, name })).status?.phase;
  } catch {
    return undefined;
  }
}

async function describePod(cluster: Cluster, ns: string, name: string): Promise<string> {
  try {
    const p = await cluster.core.readNamespacedPod({ namespace: ns, name });
    const cs = p.status?.containerStatuses?.[0];
    const st = cs?.state?.terminated
      ? `terminated ${cs.state.terminated.reason ?? ''} exit ${cs.state.terminated.exitCode}`
      : cs?.state?.waiting
        ? `waiting ${cs.state.waiting.reason ?? ''}`
        : cs?.state?.running
          ? 'running'
          : 'no container status';
    return `${p.status?.phase ?? '?'}, ${st}`;
  } catch (err) {
    return httpStatusOf(err) === 404 ? 'gone' : 'unreadable';
  }
}

export const rebootNode = (cluster: Cluster, node: string, opts?: NodeActionOptions) => runNodeAction(cluster, node, 'reboot', opts);
export const stopKubelet = (cluster: Cluster, node: string, opts?: NodeActionOptions) => runNodeAction(cluster, node, 'stop-kubelet', opts);
/**
 * Start the kubelet and wait for Ready. Note: a debug pod needs a running kubelet to start, so on a
 * node whose kubelet is really stopped this cannot work (krkn uses ssh / BMC there); for a stop-start
 * cycle use `stopKubelet(cluster, node, { restartAfterMs })`, which runs stop; sleep; start in one pod.
 */
export const startKubelet = (cluster: Cluster, node: string, opts?: NodeActionOptions) =>
  runNodeAction(cluster, node, 'start-kubelet', opts);
export const crashNode = (cluster: Cluster, node: string, opts?: NodeActionOptions) => runNodeAction(cluster, node, 'crash', opts);
