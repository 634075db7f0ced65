/**
 * The EgressIP check over a read-only source (the MCP server's live or offline target): the same API read
 * (EgressIPs, namespaces, pods, nodes) and the same one-exec-per-node NB read (NB_READ_ARGV in the nbdb
 * container) as the Cluster source, so MCP's egressip_consistency_check is this unit's collect + evaluate.
 */
import type * as k8s from '@kubernetes/client-node';
import type { ReadOnlySource, SourceObject } from '../types.ts';
import { eipInfo, nodeInfo, podInfo, type EgressIPSource } from './collect.ts';
import type { ApiState } from './model.ts';

async function apiState(src: ReadOnlySource): Promise<ApiState> {
  const [eips, nss, pods, nodes] = await Promise.all([
    // no EgressIP CRD (a cluster without the feature) reads as no EgressIPs
    src.list({ apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP' }).catch(() => [] as SourceObject[]),
    src.list({ apiVersion: 'v1', kind: 'Namespace' }),
    src.list({ apiVersion: 'v1', kind: 'Pod' }),
    src.list({ apiVersion: 'v1', kind: 'Node' }),
  ]);
  return {
    eips: eips.map((e) => eipInfo(e as Parameters<typeof eipInfo>[0])),
    namespaces: nss.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} })),
    pods: pods.map((p) => podInfo(p as unknown as k8s.V1Pod)),
    nodes: nodes.map((n) => nodeInfo(n as unknown as k8s.V1Node)),
  };
}

export function readOnlyEgressIPSource(src: ReadOnlySource): EgressIPSource {
  return {
    where: src.where,
    readApi: () => apiState(src),
    nbNodes: async () => (await src.nodes()).slice().sort(),
    execNb: (node, argv, timeoutMs) => src.nodeExec(node, 'nbdb', argv, { timeoutMs }),
  };
}
