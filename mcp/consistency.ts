/**
 * Wires the harness's EgressIP rule-consistency check (harness/checks/egressip) into the analysis
 * toolset. The API state comes from the target (live or bundle); each node's NB rows are read with
 * four allow-listed `ovn-nbctl --format=json list <table>` commands through the same argv guard as
 * every tool (no shell), then the check's pure evaluateEgressIP computes the findings.
 */
import type * as k8s from '@kubernetes/client-node';
import { evaluateEgressIP, parseNodeDump, type ApiState, type NodeDump } from '../harness/checks/egressip/index.ts';
import { DUMP_SEPARATOR, eipInfo, nodeInfo, podInfo } from '../harness/checks/egressip/collect.ts';
import type { ConsistencyCheck } from './registry.ts';
import { assertReadOnlyArgv } from './argv-guard.ts';
import { ToolError, type K8sObject, type Target } from './target.ts';

/** The tables and columns the check reads (as in the check's own NB dump). */
export const NB_READS: string[][] = [
  ['ovn-nbctl', '--format=json', '--columns=_uuid,type,external_ip,logical_ip,logical_port,external_ids', 'list', 'NAT'],
  ['ovn-nbctl', '--format=json', '--columns=_uuid,priority,match,action,nexthops,external_ids,options', 'list', 'Logical_Router_Policy'],
  ['ovn-nbctl', '--format=json', '--columns=_uuid,name,addresses,external_ids', 'list', 'Address_Set'],
  ['ovn-nbctl', '--format=json', '--columns=_uuid,name,nat,policies', 'list', 'Logical_Router'],
];

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

async function nodeDump(t: Target, node: string, timeoutMs: number): Promise<NodeDump> {
  const parts: string[] = [];
  for (const argv of NB_READS) {
    assertReadOnlyArgv(argv);
    const out = await t.nodeExec({ node, container: 'nbdb', argv }, { timeoutMs });
    if (out.exitCode !== 0) throw new ToolError(`node ${node}: ${argv.join(' ')} exited ${out.exitCode}: ${out.stderr.slice(0, 300)}`);
    parts.push(out.stdout);
  }
  return parseNodeDump(node, parts.join(`\n${DUMP_SEPARATOR}\n`));
}

export const egressIpConsistency: ConsistencyCheck = async (target, opts) => {
  const api = await apiState(target);
  const names = opts.nodes?.length ? opts.nodes : api.nodes.map((n) => n.name);
  const nb = new Map<string, NodeDump>();
  const errors: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(8, names.length) }, async () => {
      while (next < names.length) {
        const n = names[next++];
        try {
          nb.set(n, await nodeDump(target, n, 60_000));
        } catch (err) {
          errors.push(`${n}: ${(err as Error).message}`);
        }
      }
    }),
  );
  const r = evaluateEgressIP(api, nb);
  const lines = [
    `EgressIP consistency: ${r.consistent && !errors.length ? 'CONSISTENT' : `${r.findings.length} finding(s)`} over ${r.counts.eips} EgressIP(s), ${r.counts.pods} served pod(s), ${r.counts.nodes} node DB(s) read`,
    `rows: SNAT ${r.counts.snat} (expected ${r.counts.expectedSnat}), reroute policies ${r.counts.lrp} (expected ${r.counts.expectedLrp})`,
    ...(errors.length ? ['could not read:', ...errors.map((e) => `  ${e}`)] : []),
    ...r.findings.map(
      (f) =>
        `${f.kind}${f.node ? ` node=${f.node}` : ''}${f.egressip ? ` eip=${f.egressip}` : ''}${f.pod ? ` pod=${f.namespace}/${f.pod}` : ''}${f.expected ? ` expected=${f.expected}` : ''}${f.actual ? ` actual=${f.actual}` : ''}${f.message ? `: ${f.message}` : ''}`,
    ),
  ];
  return {
    text: lines.join('\n'),
    json: { consistent: r.consistent && !errors.length, counts: r.counts, perNode: r.perNode, findings: r.findings, errors },
  };
};

export async function loadConsistencyCheck(): Promise<ConsistencyCheck | undefined> {
  return egressIpConsistency;
}
