/**
 * The MCP `egressip_consistency_check` is the harness's EgressIP check unit (harness/checks/egressip):
 * the same collect (one no-shell NB read per node, NB_READ_ARGV, through the same argv guard as every
 * tool), the same pure evaluate and summarise. Only the source differs: the API state and the execs come
 * from the server's target (live cluster or offline bundle).
 */
import type * as k8s from '@kubernetes/client-node';
import { collectEgressIPFrom, egressipCheck, type ApiState, type EgressIPSource } from '../harness/checks/egressip/index.ts';
import { eipInfo, nodeInfo, podInfo } from '../harness/checks/egressip/collect.ts';
import { InfraError } from '../harness/errors.ts';
import type { ConsistencyCheck } from './registry.ts';
import { assertReadOnlyArgv } from './argv-guard.ts';
import { ToolError, type K8sObject, type Target } from './target.ts';

async function apiState(t: Target): Promise<ApiState> {
  const [eips, nss, pods, nodes] = await Promise.all([
    t.list({ apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP' }).catch(() => [] as K8sObject[]),
    t.list({ apiVersion: 'v1', kind: 'Namespace' }),
    t.list({ apiVersion: 'v1', kind: 'Pod' }),
    t.list({ apiVersion: 'v1', kind: 'Node' }),
  ]);
  return {
    eips: eips.map((e) => eipInfo(e as Parameters<typeof eipInfo>[0])),
    namespaces: nss.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} })),
    pods: pods.map((p) => podInfo(p as unknown as k8s.V1Pod)),
    nodes: nodes.map((n) => nodeInfo(n as unknown as k8s.V1Node)),
  };
}

/** The MCP target as the check's source: every argv passes the read-only guard before it runs. */
export function targetSource(t: Target): EgressIPSource {
  return {
    where: t.description,
    readApi: () => apiState(t),
    nbNodes: async () => (await t.nodes()).slice().sort(),
    async execNb(node, argv, timeoutMs) {
      const a = [...argv];
      assertReadOnlyArgv(a);
      const out = await t.nodeExec({ node, container: 'nbdb', argv: a }, { timeoutMs });
      if (out.exitCode !== 0)
        throw new ToolError(
          `node ${node}: ovn-nbctl list (NAT, policies, address sets, routers) exited ${out.exitCode}: ${out.stderr.slice(0, 300)}`,
        );
      return out.stdout;
    },
  };
}

export const egressIpConsistency: ConsistencyCheck = async (target, opts) => {
  const params = egressipCheck.params.parse({});
  let o;
  try {
    o = await collectEgressIPFrom(targetSource(target), { ...params, nodes: opts.nodes }, { timeoutMs: 60_000 });
  } catch (err) {
    if (err instanceof InfraError) throw new ToolError(err.message);
    throw err;
  }
  const findings = egressipCheck.evaluate(o, params);
  const s = egressipCheck.summarise(o, findings);
  const lines = [
    s.headline,
    `rows: SNAT ${s.counts.snat_total} (expected ${s.counts.expected_snat}), reroute policies ${s.counts.lrp_total} (expected ${s.counts.expected_lrp})`,
    ...findings.map(
      (f) =>
        `${f.kind} node=${f.node ?? '-'} subject=${f.subject}${f.expected ? ` expected=${f.expected}` : ''}${f.actual ? ` actual=${f.actual}` : ''}: ${f.message}`,
    ),
  ];
  return { text: lines.join('\n'), json: { consistent: findings.length === 0, counts: s.counts, findings } };
};

export async function loadConsistencyCheck(): Promise<ConsistencyCheck | undefined> {
  return egressIpConsistency;
}
