/**
 * The EgressIP rule-consistency check: read the API and every node's NB DB (one exec per node),
 * compute expected rows, diff (pure), report findings from a fixed vocabulary.
 *
 *   const r = await checkEgressIP(cluster, { concurrency: 8 });
 *   r.consistent; r.findings; r.counts; r.durationMs
 *
 * The unit (`egressipCheck`, harness/checks/types.ts) is the same collect + pure evaluate.
 */
import { z } from 'zod';
import type { Cluster } from '../../cluster/connect.ts';
import { InfraError } from '../../errors.ts';
import type { Check, CheckCollectOptions, CheckFinding, CheckResult } from '../types.ts';
import { OVN_NAMESPACE, OVNKUBE_NODE_SELECTOR, clusterSource, readNbFrom, type EgressIPSource } from './collect.ts';
import { computeExpected } from './expected.ts';
import { readOnlyEgressIPSource } from './source.ts';
import { diffEgressIP, isEgressIPNat, isReroutePolicy, type DiffCounts } from './diff.ts';
import type { ActualState, ApiState, EgressIPFinding, Expected, FindingKind, NodeDump } from './model.ts';

export * from './model.ts';
export { computeExpected } from './expected.ts';
export { diffEgressIP } from './diff.ts';
export {
  readApiState,
  readNbState,
  parseNodeDump,
  nbDumpCommand,
  NB_READ_ARGV,
  clusterSource,
  readNbFrom,
  type EgressIPSource,
} from './collect.ts';

export interface EgressIPCheckOptions {
  concurrency?: number;
  execTimeoutMs?: number;
}

export interface EgressIPCheckResult {
  consistent: boolean;
  findings: EgressIPFinding[];
  counts: { pods: number; nodes: number; snat: number; lrp: number; eips: number; expectedSnat: number; expectedLrp: number };
  /** rows per node (for max-rules-per-node measurements) */
  perNode: Record<string, { snat: number; lrp: number }>;
  durationMs: number;
  /** apiMs and nbMs overlap (read in parallel), both from the start of the check */
  timings: { apiMs: number; nbMs: number; diffMs: number };
}

/** Pure: from already-read state. */
export function evaluateEgressIP(
  api: ApiState,
  nb: Map<string, NodeDump>,
  precomputed?: Expected,
): Omit<EgressIPCheckResult, 'durationMs' | 'timings'> & { diffMs: number } {
  const t0 = performance.now();
  const expected = precomputed ?? computeExpected(api);
  const counts: DiffCounts = { snat: {}, lrp: {} };
  const findings = diffEgressIP(expected, nb, counts);
  const diffMs = performance.now() - t0;
  const perNode: Record<string, { snat: number; lrp: number }> = {};
  for (const n of nb.keys()) perNode[n] = { snat: counts.snat[n] ?? 0, lrp: counts.lrp[n] ?? 0 };
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    consistent: findings.length === 0,
    findings,
    counts: {
      pods: expected.counts.pods,
      nodes: nb.size,
      snat: sum(counts.snat),
      lrp: sum(counts.lrp),
      eips: api.eips.length,
      expectedSnat: expected.counts.snat,
      expectedLrp: expected.counts.lrp,
    },
    perNode,
    diffMs,
  };
}

/** Old entry point (CLI, waits, benches): a thin wrapper over the unit's collect + evaluate. */
export async function checkEgressIP(cluster: Cluster, opts: EgressIPCheckOptions = {}): Promise<EgressIPCheckResult> {
  const t0 = performance.now();
  const o = await collectEgressIP(cluster, { concurrency: opts.concurrency ?? 8, execTimeoutMs: opts.execTimeoutMs });
  const r = evaluateEgressIP(o.api, o.nb, o.expected);
  return {
    consistent: r.consistent,
    // name the check, so a scenario that records these findings stores them under 'egressip'
    findings: r.findings.map((f) => ({ ...f, check: 'egressip' as const })),
    counts: r.counts,
    perNode: r.perNode,
    durationMs: performance.now() - t0,
    timings: { ...o.timings, diffMs: r.diffMs },
  };
}

/** The generic CheckResult of a checkEgressIP result (what `check egressip` records in the store). */
export function egressipCheckResult(r: EgressIPCheckResult): CheckResult<FindingKind> {
  const c = r.counts;
  const bad = new Set(r.findings.map((f) => f.node).filter(Boolean));
  return {
    check: 'egressip',
    passed: r.consistent,
    findings: r.findings.map(toCheckFinding),
    summary: {
      headline: `EgressIP consistency: ${r.consistent ? 'CONSISTENT' : `INCONSISTENT (${r.findings.length} findings on ${bad.size} node(s))`} (${c.eips} EgressIPs, ${c.pods} served pods, ${c.nodes} nodes, ${c.snat} SNAT, ${c.lrp} LRP)`,
      counts: {
        pods: c.pods,
        nodes: c.nodes,
        eips: c.eips,
        expected_snat: c.expectedSnat,
        expected_lrp: c.expectedLrp,
        snat_total: c.snat,
        lrp_total: c.lrp,
        findings: r.findings.length,
      },
    },
    durationMs: r.durationMs,
  };
}

// ---------- the Check unit (harness/checks/types.ts) ----------

/** Every kind the check reports, with its one-line meaning (`check list`, the README and MCP derive from it). */
export const EGRESSIP_FINDINGS = {
  'missing-snat': 'a served pod has no EgressIP SNAT on the gateway router of the node its EgressIP is assigned to',
  'stale-snat': 'an EgressIP SNAT exists that no served pod / assignment explains (or sits on the wrong router)',
  'duplicate-snat': 'more than one EgressIP SNAT for the same pod IP and EgressIP on one gateway router',
  'wrong-snat-ip': 'an EgressIP SNAT for a served pod translates to an IP other than its assigned EgressIP',
  'wrong-snat-port': "an EgressIP SNAT has a logical_port other than the egress node's k8s-<node> port",
  'missing-lrp': 'a served pod has no priority-100 reroute policy on ovn_cluster_router',
  'stale-lrp': 'a priority-100 reroute policy exists that no served pod explains',
  'duplicate-lrp': 'more than one priority-100 reroute policy for the same pod IP',
  'wrong-nexthop': "a reroute policy sends the pod to a next hop that is not an egress node's join/transit IP",
  'missing-nexthop': "a reroute policy lacks the next hop of one of the EgressIP's assigned nodes",
  'stale-nexthop': 'a reroute policy keeps a next hop of a node the EgressIP is no longer assigned to',
  'missing-no-reroute': 'a priority-102 no-reroute policy (pod-to-pod / join / node / reply traffic) is missing',
  'address-set-drift': 'the egressip-served-pods address set differs from the pods the EgressIPs serve',
  'unassigned-eip': 'an EgressIP (or one of its IPs) has no node in status.items',
  'eip-assigned-twice': 'one EgressIP IP is assigned to more than one node in status',
  'unowned-snat':
    "a SNAT on a gateway router translates to an EgressIP but lacks ovnkube's external_ids: ovnkube will never update or remove it",
  'unowned-lrp':
    "a priority-100/102 policy on ovn_cluster_router selects a served pod but lacks ovnkube's external_ids: ovnkube will never update or remove it",
} as const satisfies Record<FindingKind, string>;

export const EgressIPCheckParams = z.strictObject({
  /** nodes whose NB is read in parallel */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** read only these nodes' NB (default every node of the API) */
  nodes: z.array(z.string().min(1).max(253)).max(500).optional(),
  /** per-node exec timeout */
  execTimeoutMs: z.number().int().min(1000).max(600_000).optional(),
});
export type EgressIPParams = z.infer<typeof EgressIPCheckParams>;

/** What collect() read: the API state and one NB dump per node (only nodes the API knows). */
export interface EgressIPObserved {
  api: ApiState;
  nb: ActualState;
  /**
   * computeExpected(api), derived while the NB reads are still in flight (the API answers first), so the
   * check's own work overlaps the dumps; evaluate derives it when absent
   */
  expected?: Expected;
  /** apiMs and nbMs overlap (read in parallel), both from the start of collect */
  timings: { apiMs: number; nbMs: number };
}

/**
 * collect from any source (a Cluster, the MCP server's live or offline target): the API read and the
 * per-node NB reads overlap; `nodes` narrows the NB reads (default: every node of the API).
 */
export async function collectEgressIPFrom(
  src: EgressIPSource,
  params: Partial<EgressIPParams> & { nodes?: string[] },
  opts: CheckCollectOptions = {},
): Promise<EgressIPObserved> {
  const t0 = performance.now();
  let apiMs = 0;
  let nbMs = 0;
  // the NB side starts from the nodes that have an NB; the API's node list is checked against it afterwards
  const nbP = src.nbNodes().then(async (have) => {
    const wanted = params.nodes?.length ? params.nodes : have;
    const missing = wanted.filter((n) => !have.includes(n));
    if (missing.length)
      throw new InfraError(
        `no ovnkube-node pod on node(s) ${missing.join(', ')} (ns ${OVN_NAMESPACE}, label ${OVNKUBE_NODE_SELECTOR}; ${src.where})`,
        'wait for ovnkube-node to be Running on every node',
      );
    const nb = await readNbFrom(src, wanted, {
      concurrency: opts.concurrency ?? params.concurrency,
      timeoutMs: opts.timeoutMs ?? params.execTimeoutMs,
    });
    nbMs = performance.now() - t0;
    return nb;
  });
  // the API reads after the node lookup is on its way: every dump waits for that lookup (exec needs the pod
  // names), and asked after the 5 MB pod list it queues behind it (measured in bench/corenet.bench.ts, session 7)
  const apiP = src.readApi().then((a) => {
    apiMs = performance.now() - t0;
    // the expected rows while the node reads run (they are I/O: the event loop is free)
    return { a, expected: computeExpected(a) };
  });
  const [{ a: api, expected }, nb] = await Promise.all([apiP, nbP]);
  const known = new Set(api.nodes.map((x) => x.name));
  if (!params.nodes?.length) {
    const missing = [...known].filter((n) => !nb.has(n));
    if (missing.length)
      throw new InfraError(
        `no ovnkube-node pod on node(s) ${missing.join(', ')} (ns ${OVN_NAMESPACE}, label ${OVNKUBE_NODE_SELECTOR}; ${src.where})`,
        'wait for ovnkube-node to be Running on every node',
      );
  }
  for (const n of [...nb.keys()]) if (!known.has(n)) nb.delete(n);
  return { api, nb, expected, timings: { apiMs, nbMs } };
}

export function collectEgressIP(
  cluster: Cluster,
  params: Partial<EgressIPParams>,
  opts: CheckCollectOptions = {},
): Promise<EgressIPObserved> {
  return collectEgressIPFrom(clusterSource(cluster), params, opts);
}

/** The generic finding of an EgressIP finding: subject is the pod, else the EgressIP, else the node. */
export function toCheckFinding(f: EgressIPFinding): CheckFinding<FindingKind> {
  const subject = f.pod
    ? `pod/${f.namespace ?? ''}/${f.pod}`
    : f.egressip
      ? `egressip/${f.egressip}`
      : f.node
        ? `node/${f.node}`
        : 'cluster';
  const labels: Record<string, string> = {};
  if (f.egressip) labels.egressip = f.egressip;
  if (f.namespace) labels.namespace = f.namespace;
  if (f.pod) labels.pod = f.pod;
  const where = f.node ? ` on ${f.node}` : '';
  const detail = [f.expected !== undefined ? `expected ${f.expected}` : '', f.actual !== undefined ? `actual ${f.actual}` : '']
    .filter(Boolean)
    .join(', ');
  return {
    kind: f.kind,
    subject,
    ...(f.node ? { node: f.node } : {}),
    ...(f.expected !== undefined ? { expected: f.expected } : {}),
    ...(f.actual !== undefined ? { actual: f.actual } : {}),
    message: f.message ?? `${f.kind}${where}: ${subject}${detail ? ` (${detail})` : ''}`,
    ...(Object.keys(labels).length ? { labels } : {}),
  };
}

// computeExpected is pure; summarise needs its counts for the same observation evaluate() saw
const expectedMemo = new WeakMap<ApiState, ReturnType<typeof computeExpected>>();
function expectedOf(api: ApiState): ReturnType<typeof computeExpected> {
  let e = expectedMemo.get(api);
  if (!e) {
    e = computeExpected(api);
    expectedMemo.set(api, e);
  }
  return e;
}

export const egressipCheck: Check<typeof EgressIPCheckParams, EgressIPObserved, FindingKind> = {
  name: 'egressip',
  description:
    'EgressIP rule consistency: per node, the SNATs on GR_<node>, the priority-100 reroute and 102 no-reroute policies and the served-pods address sets vs what the EgressIPs, namespaces, pods and nodes in the API require',
  findingKinds: EGRESSIP_FINDINGS,
  params: EgressIPCheckParams,
  collect: collectEgressIP,
  collectFrom: (src, params, opts) => collectEgressIPFrom(readOnlyEgressIPSource(src), params, opts),
  mcp: {
    tool: 'egressip_consistency_check',
    title: 'Check EgressIP OVN rules against the API (harness check)',
    description:
      'Runs the harness\'s EgressIP rule-consistency check: computes, from the EgressIP objects, nodes and pods, which SNAT rows and priority-100 reroute policies every node\'s NB DB should hold, reads the real rows from each node and lists the differences (missing SNAT, stale SNAT, wrong nexthop, missing or duplicate reroute policy, rows ovnkube does not own, ...). Use it to find which node and which rows are wrong, then confirm with ovn_db_list / ovn_lr_policy_list. Example: {} or {nodes:["ovn-worker2"]}.',
    nodes: true,
    details: (s) => [
      `rows: SNAT ${s.counts.snat_total} (expected ${s.counts.expected_snat}), reroute policies ${s.counts.lrp_total} (expected ${s.counts.expected_lrp})`,
    ],
    reads: [
      { group: 'k8s.ovn.org', resource: 'egressips' },
      { group: '', resource: 'namespaces' },
      { group: '', resource: 'pods' },
      { group: '', resource: 'nodes' },
    ],
    exec: OVN_NAMESPACE,
  },
  evaluate(o) {
    return diffEgressIP(o.expected ?? expectedOf(o.api), o.nb).map(toCheckFinding);
  },
  summarise(o, findings) {
    const exp = o.expected ?? expectedOf(o.api);
    const counts: Record<string, number> = {
      pods: exp.counts.pods,
      nodes: o.nb.size,
      eips: o.api.eips.length,
      expected_snat: exp.counts.snat,
      expected_lrp: exp.counts.lrp,
      findings: findings.length,
    };
    let snat = 0;
    let lrp = 0;
    let maxSnat = 0;
    let maxLrp = 0;
    for (const [node, d] of o.nb) {
      let s = 0;
      let l = 0;
      for (const r of d.nat) if (isEgressIPNat(r)) s++;
      for (const p of d.policies) if (isReroutePolicy(p)) l++;
      counts[`snat_${node}`] = s;
      counts[`lrp_${node}`] = l;
      snat += s;
      lrp += l;
      if (s > maxSnat) maxSnat = s;
      if (l > maxLrp) maxLrp = l;
    }
    Object.assign(counts, { snat_total: snat, lrp_total: lrp, max_snat_per_node: maxSnat, max_lrp_per_node: maxLrp });
    const bad = new Set(findings.map((f) => f.node).filter(Boolean));
    return {
      headline: `EgressIP consistency: ${findings.length ? `INCONSISTENT (${findings.length} findings on ${bad.size} node(s))` : 'CONSISTENT'} (${o.api.eips.length} EgressIPs, ${exp.counts.pods} served pods, ${o.nb.size} nodes, ${snat} SNAT, ${lrp} LRP)`,
      counts,
    };
  },
};

export default egressipCheck;
