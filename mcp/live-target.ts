/**
 * The live target: a cluster reached through a kubeconfig (a real OpenShift cluster or the
 * embedded sim), through harness/cluster only. Node commands exec into the node's ovnkube-node pod.
 */
import type * as k8s from '@kubernetes/client-node';
import { connect, httpStatusOf, type Cluster, type ClusterOptions } from '../harness/cluster/connect.ts';
import { describeApiError, execIn } from '../harness/cluster/exec.ts';
import { ApiClient } from './api-client.ts';
import { PTP_NAMESPACE } from '../harness/constants.ts';
import {
  OVNK_NAMESPACE,
  OVNK_NODE_SELECTOR,
  ToolError,
  type CommandOutput,
  type K8sObject,
  type ListPage,
  type ListPageQuery,
  type ListQuery,
  type LogQuery,
  type NodeCommand,
  type Target,
} from './target.ts';

const POD_CACHE_MS = 30_000;
export const PTP_CONTAINERS = new Set(['linuxptp-daemon-container', 'cloud-event-proxy']);
/** Most a node command may print before the rest is dropped (budgets cut far earlier). */
const MAX_EXEC_BYTES = 64 * 1024 * 1024;

function asObject(o: unknown): K8sObject {
  return JSON.parse(JSON.stringify(o)) as K8sObject;
}

export class LiveTarget implements Target {
  readonly mode = 'live' as const;
  readonly description: string;
  private podCache = new Map<string, { pod: string; at: number }>();

  /** one client for every call of this server: pooled keep-alive connections shared by concurrent tool calls */
  private readonly api: ApiClient;

  constructor(readonly cluster: Cluster) {
    this.description = `live ${cluster.server}`;
    this.api = new ApiClient(cluster);
  }

  static connect(opts: ClusterOptions): LiveTarget {
    return new LiveTarget(connect(opts));
  }

  /** Lists are plain JSON in pages (limit + continue) over the shared keep-alive client (mcp/api-client.ts). */
  async list(q: ListQuery): Promise<K8sObject[]> {
    try {
      return await this.api.listAll(q);
    } catch (err) {
      throw new ToolError(`list ${q.kind}${q.namespace ? ` in ${q.namespace}` : ''} failed: ${describeApiError(err)}`);
    }
  }

  async listPage(q: ListPageQuery): Promise<ListPage> {
    try {
      return await this.api.listPage(q);
    } catch (err) {
      throw new ToolError(`list ${q.kind}${q.namespace ? ` in ${q.namespace}` : ''} failed: ${describeApiError(err)}`);
    }
  }

  async countRest(q: ListQuery, cont: string): Promise<number> {
    try {
      return await this.api.countRest(q, cont);
    } catch (err) {
      throw new ToolError(`list ${q.kind}${q.namespace ? ` in ${q.namespace}` : ''} failed: ${describeApiError(err)}`);
    }
  }

  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<K8sObject | undefined> {
    try {
      const o = await this.cluster.objects.read({
        apiVersion,
        kind,
        metadata: { name, ...(namespace ? { namespace } : {}) },
      } as k8s.KubernetesObject & { metadata: { name: string } });
      return { apiVersion, kind, ...asObject(o) };
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw new ToolError(`get ${kind} ${name} failed: ${describeApiError(err)}`);
    }
  }

  async logs(q: LogQuery): Promise<string> {
    try {
      const text = await this.cluster.core.readNamespacedPodLog({
        name: q.pod,
        namespace: q.namespace,
        container: q.container,
        sinceSeconds: q.sinceSeconds,
        tailLines: q.tailLines,
        previous: q.previous,
      });
      return typeof text === 'string' ? text : String(text ?? '');
    } catch (err) {
      throw new ToolError(`logs of ${q.namespace}/${q.pod}${q.container ? `/${q.container}` : ''} failed: ${describeApiError(err)}`);
    }
  }

  async nodes(): Promise<string[]> {
    const items = await this.api.listAll({ apiVersion: 'v1', kind: 'Node', metadataOnly: true });
    return items.map((n) => n.metadata?.name ?? '').filter(Boolean);
  }

  /** The ovnkube-node pod on a node (cached for 30 s). */
  async podFor(node: string): Promise<string> {
    const name = await this.cachedPodOn(node, OVNK_NAMESPACE, OVNK_NODE_SELECTOR, 'ovnkube-node');
    if (!name) {
      const known = await this.nodes().catch(() => [] as string[]);
      throw new ToolError(
        `no ovnkube-node pod (namespace ${OVNK_NAMESPACE}, label ${OVNK_NODE_SELECTOR}) on node ${node}${known.length ? `; nodes: ${known.slice(0, 30).join(', ')}` : ''}`,
      );
    }
    return name;
  }

  /** The linuxptp-daemon pod on a node (PTP tools' containers), cached like podFor. */
  async ptpPodFor(node: string): Promise<string> {
    const name = await this.cachedPodOn(node, PTP_NAMESPACE, 'app=linuxptp-daemon', 'linuxptp-daemon');
    if (!name) throw new ToolError(`no linuxptp-daemon pod (namespace ${PTP_NAMESPACE}, label app=linuxptp-daemon) on node ${node}`);
    return name;
  }

  /** The pod matching `selector` on `node` (a Running one first), cached for 30 s; undefined when there is none. */
  private async cachedPodOn(node: string, namespace: string, selector: string, what: string): Promise<string | undefined> {
    const key = `${namespace}\u0000${node}`;
    const hit = this.podCache.get(key);
    if (hit && Date.now() - hit.at < POD_CACHE_MS) return hit.pod;
    let pods: K8sObject[];
    try {
      // plain JSON over the shared keep-alive client (no typed deserialization of the pod)
      pods = (
        await this.api.listPage({
          apiVersion: 'v1',
          kind: 'Pod',
          namespace,
          labelSelector: selector,
          fieldSelector: `spec.nodeName=${node}`,
        })
      ).items;
    } catch (err) {
      throw new ToolError(`could not list ${what} pods: ${describeApiError(err)}`);
    }
    const onNode = pods.filter((p) => p.spec?.nodeName === node);
    const name = (onNode.find((p) => p.status?.phase === 'Running') ?? onNode[0])?.metadata?.name;
    if (name) this.podCache.set(key, { pod: name, at: Date.now() });
    return name;
  }

  async nodeExec(cmd: NodeCommand, opts: { timeoutMs?: number } = {}): Promise<CommandOutput> {
    // PTP tools run in the linuxptp-daemon pod (openshift-ptp); everything else in ovnkube-node
    const ptp = PTP_CONTAINERS.has(cmd.container);
    const run = async (): Promise<CommandOutput> => {
      const pod = ptp ? await this.ptpPodFor(cmd.node) : await this.podFor(cmd.node);
      const out = await execIn(this.cluster, { namespace: ptp ? PTP_NAMESPACE : OVNK_NAMESPACE, pod, container: cmd.container }, cmd.argv, {
        timeoutMs: opts.timeoutMs,
        maxBytes: MAX_EXEC_BYTES,
      });
      return { ...out, where: `${pod}/${cmd.container}` };
    };
    try {
      return await run();
    } catch (err) {
      // the cached pod was replaced (an ovnkube-node / daemon pod restart): look it up again, once
      if (!/could not start|404|not found/i.test((err as Error).message)) throw err;
      this.podCache.delete(`${ptp ? PTP_NAMESPACE : OVNK_NAMESPACE}\u0000${cmd.node}`);
      return run();
    }
  }

  async close(): Promise<void> {
    this.api.close();
  }
}
