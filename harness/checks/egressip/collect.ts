/**
 * Reading for the EgressIP check: API objects through the kubeconfig, and ONE exec per node into that
 * node's ovnkube-node pod (container nbdb) printing a JSON dump of NAT, Logical_Router_Policy, Address_Set
 * and Logical_Router. Nodes are read in parallel with bounded concurrency.
 */
import type * as k8s from '@kubernetes/client-node';
import { isConnectionError, type Cluster } from '../../cluster/connect.ts';
import { execIn, describeApiError } from '../../cluster/exec.ts';
import { ApiHttpError, getResponse, getJson as getJsonOf } from '../../cluster/get-json.ts';
import { parsePodList } from './pod-list.ts';
import { PROTOBUF_MEDIA_TYPE, parsePodListProtobuf } from './pod-list-pb.ts';
import { InfraError } from '../../errors.ts';
import { canonIp, joinIpFromNodeId, stripPrefix } from './net.ts';
import { NB_READ_ARGV, parseNodeDump, type EgressIPSource } from './nb-reader.ts';
import type { ApiState, EgressIPInfo, Family, LabelSelector, NodeDump, NodeInfo, PodInfo } from './model.ts';
import { OVN_NAMESPACE } from '../../constants.ts';
import { mapLimit } from '../../concurrency.ts';

export { OVN_NAMESPACE };
export const OVNKUBE_NODE_SELECTOR = 'app=ovnkube-node';
export const NB_CONTAINER = 'nbdb';
export {
  DUMP_SEPARATOR,
  NB_DUMP_SCRIPT,
  NB_READ_ARGV,
  nbDumpCommand,
  parseNodeDump,
  readNbFrom,
  type EgressIPSource,
} from './nb-reader.ts';

// ---------- API ----------

interface IfAddr {
  ipv4?: string;
  ipv6?: string;
}

function parseIfAddr(s: string | undefined): Partial<Record<Family, string>> {
  if (!s) return {};
  try {
    const j = JSON.parse(s) as IfAddr;
    const out: Partial<Record<Family, string>> = {};
    if (j.ipv4) out.v4 = j.ipv4;
    if (j.ipv6) out.v6 = j.ipv6;
    return out;
  } catch {
    return {};
  }
}

function hostOnly(a: Partial<Record<Family, string>>): Partial<Record<Family, string>> {
  const out: Partial<Record<Family, string>> = {};
  if (a.v4) out.v4 = canonIp(stripPrefix(a.v4));
  if (a.v6) out.v6 = canonIp(stripPrefix(a.v6));
  return out;
}

export function nodeInfo(n: k8s.V1Node): NodeInfo {
  const ann = n.metadata?.annotations ?? {};
  const idS = ann['k8s.ovn.org/node-id'];
  const id = idS !== undefined && /^\d+$/.test(idS) ? Number(idS) : undefined;
  const transitIp = hostOnly(parseIfAddr(ann['k8s.ovn.org/node-transit-switch-port-ifaddr']));
  const families: Family[] = [];
  const primary = parseIfAddr(ann['k8s.ovn.org/node-primary-ifaddr']);
  if (transitIp.v4 || primary.v4) families.push('v4');
  if (transitIp.v6 || primary.v6) families.push('v6');
  let joinIp: Partial<Record<Family, string>> = {};
  if (id !== undefined) for (const f of families) joinIp[f] = joinIpFromNodeId(id, f);
  else joinIp = hostOnly(parseIfAddr(ann['k8s.ovn.org/node-gateway-router-lrp-ifaddr']));
  return {
    name: n.metadata?.name ?? '',
    id,
    joinIp,
    transitIp,
    primaryIfAddr: primary,
    egressAssignable: Object.prototype.hasOwnProperty.call(n.metadata?.labels ?? {}, 'k8s.ovn.org/egress-assignable'),
  };
}

export function podInfo(p: k8s.V1Pod): PodInfo {
  const ips = (p.status?.podIPs?.map((x) => x.ip) ?? (p.status?.podIP ? [p.status.podIP] : []))
    .filter((x): x is string => !!x)
    .map(canonIp);
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    node: p.spec?.nodeName ?? undefined,
    ips,
    phase: p.status?.phase ?? 'Unknown',
    hostNetwork: !!p.spec?.hostNetwork,
    labels: p.metadata?.labels ?? {},
    terminating: !!p.metadata?.deletionTimestamp,
  };
}

interface RawEip {
  metadata?: { name?: string; creationTimestamp?: string };
  spec?: { egressIPs?: string[]; namespaceSelector?: LabelSelector; podSelector?: LabelSelector };
  status?: { items?: { node?: string; egressIP?: string }[] };
}

export function eipInfo(o: RawEip): EgressIPInfo {
  return {
    name: o.metadata?.name ?? '',
    creationTimestamp: o.metadata?.creationTimestamp ?? '',
    egressIPs: o.spec?.egressIPs ?? [],
    namespaceSelector: o.spec?.namespaceSelector ?? {},
    podSelector: o.spec?.podSelector,
    status: (o.status?.items ?? [])
      .filter((i) => i.node && i.egressIP)
      .map((i) => ({ node: i.node as string, egressIP: i.egressIP as string })),
  };
}

export async function listEgressIPs(cluster: Cluster): Promise<EgressIPInfo[]> {
  try {
    // plain JSON over the pooled agent: client-node's typed call opens a new TLS connection (and secure context) each time
    const res = await getJsonOf<{ items?: RawEip[] }>(cluster, '/apis/k8s.ovn.org/v1/egressips', { timeoutMs: 120_000 });
    return (res.items ?? []).map(eipInfo);
  } catch (err) {
    const hint = isConnectionError(err)
      ? 'the API server is unreachable: check the kubeconfig server address'
      : 'is this an OVN-Kubernetes cluster, and may you list egressips?';
    throw new InfraError(`cannot list EgressIPs (k8s.ovn.org/v1): ${describeApiError(err)}`, hint);
  }
}

/** GET a path from the API as plain JSON (the one helper, harness/cluster/get-json.ts), with the check's long default timeout. */
export function getJson<T>(cluster: Cluster, path: string, timeoutMs = 120_000): Promise<T> {
  return getJsonOf<T>(cluster, path, { timeoutMs });
}

/**
 * The pods as PodInfo, scanned from the list's bytes (pod-list.ts): no object or string of the 2000-pod body.
 * Host-network pods are left to the server (`fieldSelector=spec.hostNetwork!=true`): the check ignores them
 * (they have no EgressIP rows), and on a real cluster they are the big ones (ovnkube-node, multus, ...). A server
 * that does not know that field selector (it came after kubernetes/kubernetes#110477) answers 400: then the
 * whole list, filtered here as before.
 * No `resourceVersion=0`: it may answer from a lagging watch cache, and a stale pod list against a fresh NB read
 * is a wrong finding; since Kubernetes 1.31 (ConsistentListFromCache, KEP-2340) the consistent list is served
 * from the watch cache anyway.
 */
export async function listPods(cluster: Cluster): Promise<PodInfo[]> {
  try {
    return await scanPods(cluster, `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.hostNetwork!=true')}`);
  } catch (err) {
    if (!(err instanceof ApiHttpError) || err.code !== 400) throw err;
    return scanPods(cluster, '/api/v1/pods');
  }
}

/**
 * GET a pod list at `path`, in protobuf when the server has it (every kube-apiserver does for pods; half the bytes
 * and a fraction of the decoding, pod-list-pb.ts), else JSON (pod-list.ts); a body that is not a pod list is an error
 * naming the path.
 */
async function scanPods(cluster: Cluster, path: string): Promise<PodInfo[]> {
  const { body, contentType } = await getResponse(cluster, path, { timeoutMs: 120_000, accept: POD_LIST_ACCEPT });
  const pb = contentType === PROTOBUF_MEDIA_TYPE;
  try {
    return (pb ? parsePodListProtobuf(body) : parsePodList(body)).pods;
  } catch (err) {
    throw new Error(`GET ${path.split('?')[0]}: bad ${pb ? 'protobuf' : 'JSON'} pod list: ${(err as Error).message}`);
  }
}

/** What scanPods asks for: protobuf first, JSON from a server (or a proxy) without it. */
export const POD_LIST_ACCEPT = `${PROTOBUF_MEDIA_TYPE}, application/json`;

export async function readApiState(cluster: Cluster): Promise<ApiState> {
  const wrap = async <T>(what: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw new InfraError(`cannot list ${what}: ${describeApiError(err)}`);
    }
  };
  const [eips, nsList, pods, nodeList] = await Promise.all([
    listEgressIPs(cluster),
    wrap('namespaces', getJson<k8s.V1NamespaceList>(cluster, '/api/v1/namespaces')),
    wrap('pods', listPods(cluster)),
    wrap('nodes', getJson<k8s.V1NodeList>(cluster, '/api/v1/nodes')),
  ]);
  return {
    eips,
    namespaces: nsList.items.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} })),
    pods,
    nodes: nodeList.items.map(nodeInfo),
  };
}

/** node name -> its ovnkube-node pod (Running preferred). Scanned as the pod list is: it is on the path of every dump. */
export async function ovnkubeNodePods(cluster: Cluster): Promise<Map<string, string>> {
  let pods: PodInfo[];
  try {
    pods = await scanPods(cluster, `/api/v1/namespaces/${OVN_NAMESPACE}/pods?labelSelector=${encodeURIComponent(OVNKUBE_NODE_SELECTOR)}`);
  } catch (err) {
    throw new InfraError(`cannot list ovnkube-node pods in ${OVN_NAMESPACE}: ${describeApiError(err)}`);
  }
  const out = new Map<string, string>();
  for (const p of pods) {
    if (!p.node || !p.name || p.terminating) continue;
    if (!out.has(p.node) || p.phase === 'Running') out.set(p.node, p.name);
  }
  return out;
}

export { mapLimit };

export interface ReadNbOptions {
  concurrency?: number;
  timeoutMs?: number;
  /** only these nodes (default: every node with an ovnkube-node pod, which must be every node) */
  nodes?: string[];
}

/** Raw dump text of one node (one exec of NB_READ_ARGV, no shell). */
export async function execNodeDump(cluster: Cluster, pod: string, timeoutMs = 60_000): Promise<string> {
  const res = await execIn(cluster, { namespace: OVN_NAMESPACE, pod, container: NB_CONTAINER }, [...NB_READ_ARGV], { timeoutMs });
  if (res.exitCode !== 0)
    throw new InfraError(`NB dump in ${OVN_NAMESPACE}/${pod} exited ${res.exitCode}: ${res.stderr.trim().slice(0, 300)}`);
  return res.stdout;
}

/** NB rows of `nodeNames` (undefined: every node that has an ovnkube-node pod). */
export async function readNbState(
  cluster: Cluster,
  nodeNames: string[] | undefined,
  opts: ReadNbOptions = {},
): Promise<Map<string, NodeDump>> {
  const pods = await ovnkubeNodePods(cluster);
  const wanted = opts.nodes ?? nodeNames ?? [...pods.keys()].sort();
  const missing = wanted.filter((n) => !pods.has(n));
  if (missing.length)
    throw new InfraError(
      `no ovnkube-node pod on node(s) ${missing.join(', ')} (ns ${OVN_NAMESPACE}, label ${OVNKUBE_NODE_SELECTOR})`,
      'wait for ovnkube-node to be Running on every node',
    );
  const dumps = await mapLimit(wanted, opts.concurrency ?? 8, async (node) => {
    const text = await execNodeDump(cluster, pods.get(node) as string, opts.timeoutMs);
    try {
      return parseNodeDump(node, text);
    } catch (err) {
      throw new InfraError(`cannot parse the NB dump of node ${node}: ${(err as Error).message}`);
    }
  });
  return new Map(dumps.map((d) => [d.node, d]));
}

/** A Cluster (kubeconfig) as a source: the API through client-node, execs into ovnkube-node's nbdb. */
export function clusterSource(cluster: Cluster): EgressIPSource {
  let pods: Promise<Map<string, string>> | undefined;
  const podsOf = (): Promise<Map<string, string>> => (pods ??= ovnkubeNodePods(cluster));
  return {
    where: `cluster ${cluster.server}`,
    readApi: () => readApiState(cluster),
    nbNodes: async () => [...(await podsOf()).keys()].sort(),
    async execNb(node, argv, timeoutMs) {
      return (await nbExec(node, argv, timeoutMs)).stdout;
    },
    async execNbStream(node, argv, timeoutMs, onStdout) {
      await nbExec(node, argv, timeoutMs, onStdout);
    },
  };
  async function nbExec(node: string, argv: readonly string[], timeoutMs: number, onStdout?: (chunk: Buffer) => void) {
    const pod = (await podsOf()).get(node);
    if (!pod) throw new InfraError(`no ovnkube-node pod on node ${node} (ns ${OVN_NAMESPACE}, label ${OVNKUBE_NODE_SELECTOR})`);
    const res = await execIn(cluster, { namespace: OVN_NAMESPACE, pod, container: NB_CONTAINER }, [...argv], { timeoutMs, onStdout });
    if (res.exitCode !== 0)
      throw new InfraError(`NB read in ${OVN_NAMESPACE}/${pod} exited ${res.exitCode}: ${res.stderr.trim().slice(0, 300)}`);
    return res;
  }
}
