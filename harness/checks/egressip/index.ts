/**
 * The EgressIP rule-consistency check: read the API and every node's NB DB (one exec per node),
 * compute expected rows, diff (pure), report findings from a fixed vocabulary.
 *
 *   const r = await checkEgressIP(cluster, { concurrency: 8 });
 *   r.consistent; r.findings; r.counts; r.durationMs
 */
import type { Cluster } from '../../cluster/connect.ts';
import { InfraError } from '../../errors.ts';
import { OVN_NAMESPACE, OVNKUBE_NODE_SELECTOR, readApiState, readNbState } from './collect.ts';
import { computeExpected } from './expected.ts';
import { diffEgressIP, type DiffCounts } from './diff.ts';
import type { ApiState, EgressIPFinding, NodeDump } from './model.ts';

export * from './model.ts';
export { computeExpected } from './expected.ts';
export { diffEgressIP } from './diff.ts';
export { readApiState, readNbState, parseNodeDump, nbDumpCommand } from './collect.ts';

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
): Omit<EgressIPCheckResult, 'durationMs' | 'timings'> & { diffMs: number } {
  const t0 = performance.now();
  const expected = computeExpected(api);
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

export async function checkEgressIP(cluster: Cluster, opts: EgressIPCheckOptions = {}): Promise<EgressIPCheckResult> {
  const t0 = performance.now();
  // the API and the NB dumps are read in parallel; then every node of the API must have a dump
  let apiMs = 0;
  let nbMs = 0;
  const [api, nb] = await Promise.all([
    readApiState(cluster).then((a) => {
      apiMs = performance.now() - t0;
      return a;
    }),
    readNbState(cluster, undefined, { concurrency: opts.concurrency, timeoutMs: opts.execTimeoutMs }).then((n) => {
      nbMs = performance.now() - t0;
      return n;
    }),
  ]);
  const missing = api.nodes.map((n) => n.name).filter((n) => !nb.has(n));
  if (missing.length)
    throw new InfraError(
      `no ovnkube-node pod on node(s) ${missing.join(', ')} (ns ${OVN_NAMESPACE}, label ${OVNKUBE_NODE_SELECTOR})`,
      'wait for ovnkube-node to be Running on every node',
    );
  for (const n of [...nb.keys()]) if (!api.nodes.some((x) => x.name === n)) nb.delete(n);
  const r = evaluateEgressIP(api, nb);
  return {
    consistent: r.consistent,
    findings: r.findings,
    counts: r.counts,
    perNode: r.perNode,
    durationMs: performance.now() - t0,
    timings: { apiMs, nbMs, diffMs: r.diffMs },
  };
}
