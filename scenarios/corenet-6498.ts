/**
 * CORENET-6498: EgressIP at scale under disruption (the OpenShift QE job: 10 EgressIPs x 200 pods, 20 iterations of 4 disruptions; its public trace is
 * SachinNinganure/ocp-performance-analyzer-mcp tools/egressip/egressip_cornet_6498_runner.py). `eips` EgressIP objects, each selecting
 * `podsPerEip` pods of its own namespace; every scenario (node-reboot, ovn-pod-restart and their "-scale"
 * variants that scale the deployments to `scaleTo` and back during the disruption) runs `iterations` times.
 * Each iteration disrupts the busiest egress node, waits for recovery and for the EgressIP rules to be
 * consistent on every node (the check must pass within `timeoutSeconds`), and records failover time,
 * convergence time and rule counts per node. Teardown removes everything it made.
 *
 *   npm run scenario corenet-6498 -- --quick
 *   npm run scenario corenet-6498 -- --kubeconfig ~/.kube/config --param iterations=5
 */
import {
  z,
  scenario,
  type TestContext,
  InfraError,
  rebootNode,
  OVN_NAMESPACE,
  api,
  busiestEgressNode,
  egressIPLoadParams,
  familiesOf,
  ovnkubePodOn,
  recordRuleCounts,
  scaleClientDeployment,
  setupEgressIPLoad,
  podReady,
  waitFor,
  waitForConsistent,
  waitForDeploymentReady,
  waitForNodeReady,
  watchEgressIPFailover,
  stats,
  egressNodesRequired,
} from '../harness/index.ts';

export const DISRUPTIONS = ['node-reboot', 'ovn-pod-restart', 'node-reboot-scale', 'ovn-pod-restart-scale'] as const;
export type Disruption = (typeof DISRUPTIONS)[number];

const params = z.object({
  ...egressIPLoadParams({ eips: 10, podsPerEip: 200 }),
  iterations: z.number().int().min(1).max(1000).default(20),
  scenarios: z
    .array(z.enum(DISRUPTIONS))
    .min(1)
    .default([...DISRUPTIONS]),
  /** replicas per deployment during the scaling variants (then back to podsPerEip) */
  scaleTo: z.number().int().min(0).default(100),
  /** every wait (node back Ready, pods Ready, EgressIP rules consistent) must finish within this */
  timeoutSeconds: z.number().int().min(1).default(600),
  // namespaces are '<prefix>-<8-char run tag>-<i < 200>', a DNS label of at most 63 characters
  namespacePrefix: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .max(50, 'at most 50 characters (namespaces are named <prefix>-<run tag>-<i>, at most 63)')
    .default('corenet-6498'),
});

type Params = z.output<typeof params>;

interface IterationRecord {
  disruption: Disruption;
  iteration: number;
  passed: boolean;
  failoverS?: number;
  convergenceS?: number;
  maxSnat: number;
  maxLrp: number;
}

function summaryTable(t: TestContext<Params>, p: Params, records: IterationRecord[]): void {
  const rows = p.scenarios.map((d) => {
    const rs = records.filter((r) => r.disruption === d);
    const f = stats(rs.flatMap((r) => (r.failoverS === undefined ? [] : [r.failoverS])));
    const c = stats(rs.flatMap((r) => (r.convergenceS === undefined ? [] : [r.convergenceS])));
    const verdict = rs.length === 0 ? 'not run' : rs.some((r) => !r.passed) ? 'failed' : rs.length < p.iterations ? 'partial' : 'passed';
    return [
      d,
      `${rs.length}/${p.iterations}`,
      verdict,
      f.p50,
      f.p95,
      f.max,
      c.p50,
      c.p95,
      c.max,
      rs.length ? Math.max(...rs.map((r) => r.maxSnat)) : null,
      rs.length ? Math.max(...rs.map((r) => r.maxLrp)) : null,
    ];
  });
  t.summarize({
    title: `CORENET-6498: ${p.eips} EgressIPs x ${p.podsPerEip} pods (${p.ipStack})`,
    columns: [
      'scenario',
      'iterations',
      'verdict',
      'failover p50 s',
      'p95',
      'max',
      'convergence p50 s',
      'p95',
      'max',
      'max SNAT/node',
      'max LRP/node',
    ],
    rows,
  });
}

export default scenario(
  {
    name: 'corenet-6498',
    description:
      'EgressIP at scale: egress-node reboots and ovnkube-node restarts (with and without scaling), rule-consistency checks on every node',
    params,
    quick: { eips: 2, podsPerEip: 5, iterations: 1, scaleTo: 2, timeoutSeconds: 120 },
    requires: egressNodesRequired,
    sim: (p) => {
      const pods = p.eips * p.podsPerEip;
      // maxPods 250 per node, masters tainted: enough workers for the pods (+ headroom for a rebooted node)
      const workers = Math.max(3, Math.ceil(pods / 230) + 1);
      return { nodes: `3+${workers}`, ipStack: p.ipStack, speed: 60 };
    },
  },
  async (t, p) => {
    const cluster = t.cluster;
    const timeoutMs = p.timeoutSeconds * 1000;
    const tag = t.runId.slice(0, 8);
    const families = familiesOf(p.ipStack);
    const records: IterationRecord[] = [];
    // registered first, so it runs last: the summary table reflects every iteration that ran
    t.defer(() => summaryTable(t, p, records), 'summary table');

    const { namespaces, eipNames } = await setupEgressIPLoad(t, 'corenet-6498', p, {
      timeoutMs,
      namespacePrefix: p.namespacePrefix,
      intervalMs: 1000,
    });

    const scaleAll = async (replicas: number): Promise<void> => {
      await Promise.all(namespaces.map((ns) => scaleClientDeployment(cluster, ns, replicas)));
    };
    const waitAllReady = async (replicas: number, signal: AbortSignal): Promise<void> => {
      await Promise.all(
        namespaces.map((ns) => waitForDeploymentReady(cluster, ns, 'client', replicas, { timeoutMs, signal, intervalMs: 250 })),
      );
    };

    for (const d of p.scenarios) {
      for (let i = 1; i <= p.iterations; i++) {
        await t.step(`${d} #${i}`, async (s) => {
          const labels = { scenario: d, iteration: String(i) };
          const rec: IterationRecord = { disruption: d, iteration: i, passed: false, maxSnat: 0, maxLrp: 0 };
          records.push(rec);
          const { node, eips } = await busiestEgressNode(cluster, eipNames);
          const scale = d.endsWith('-scale');
          const t0 = performance.now();
          let recoveredAt = t0;
          if (d.startsWith('node-reboot')) {
            s.log(`rebooting egress node ${node} (holds ${eips.length} EgressIPs)`);
            // failover: the EgressIPs leave the node while it is down
            const failover = watchEgressIPFailover(cluster, eips, node, {
              timeoutMs,
              minItems: families.length,
              signal: s.signal,
              describe: `EgressIPs to leave ${node}`,
            });
            let r: Awaited<ReturnType<typeof rebootNode>>;
            let movedAt: number | undefined;
            try {
              const reboot = rebootNode(cluster, node, {
                signal: s.signal,
                notReadyTimeoutMs: timeoutMs,
                readyTimeoutMs: timeoutMs,
                recorder: (e) => s.event(e),
                log: (l) => s.log(l),
              });
              if (scale) {
                s.log(`scaling ${p.eips} deployments to ${p.scaleTo} during the reboot`);
                s.event({ kind: 'scale', target: `${p.namespacePrefix}-${tag}-*`, details: { replicas: p.scaleTo } });
                await scaleAll(p.scaleTo);
              }
              r = await reboot;
              // give the failover watcher a moment after the node is back, then stop it
              movedAt = await failover.movedAt(2000);
            } finally {
              failover.stop();
            }
            if (movedAt !== undefined) {
              rec.failoverS = (movedAt - t0) / 1000;
              s.record({ name: 'failover_seconds', value: rec.failoverS, unit: 's', labels: { ...labels, node } });
            } else s.log(`EgressIPs did not leave ${node} while it rebooted`);
            if (r.totalMs !== undefined)
              s.record({ name: 'node_reboot_seconds', value: r.totalMs / 1000, unit: 's', labels: { ...labels, node } });
            if (r.downMs !== undefined)
              s.record({ name: 'node_notready_seconds', value: r.downMs / 1000, unit: 's', labels: { ...labels, node } });
            recoveredAt = performance.now();
          } else {
            const old = await ovnkubePodOn(cluster, node);
            if (!old?.metadata?.name) throw new InfraError(`no ovnkube-node pod on ${node}`);
            s.log(`restarting ovnkube-node on egress node ${node}: deleting ${old.metadata.name}`);
            s.event({ kind: 'pod-delete', target: `${OVN_NAMESPACE}/${old.metadata.name}`, details: { node, reason: 'ovn-pod-restart' } });
            await api(
              `delete pod ${old.metadata.name}`,
              cluster.core.deleteNamespacedPod({ namespace: OVN_NAMESPACE, name: old.metadata.name }),
            );
            if (scale) {
              s.log(`scaling ${p.eips} deployments to ${p.scaleTo} during the restart`);
              s.event({ kind: 'scale', target: `${p.namespacePrefix}-${tag}-*`, details: { replicas: p.scaleTo } });
              await scaleAll(p.scaleTo);
            }
            const oldUid = old.metadata.uid;
            const w = await waitFor(
              async () => {
                const cur = await ovnkubePodOn(cluster, node);
                return cur && cur.metadata?.uid !== oldUid && podReady(cur) ? cur : undefined;
              },
              { timeoutMs, intervalMs: 250, signal: s.signal, describe: `a new ovnkube-node pod Ready on ${node}` },
            );
            s.record({ name: 'ovnkube_restart_seconds', value: w.ms / 1000, unit: 's', labels: { ...labels, node } });
            recoveredAt = performance.now();
          }
          await waitForNodeReady(cluster, node, true, { timeoutMs, signal: s.signal });
          if (scale) {
            await waitAllReady(p.scaleTo, s.signal);
            s.log(`scaling back to ${p.podsPerEip}`);
            s.event({ kind: 'scale', target: `${p.namespacePrefix}-${tag}-*`, details: { replicas: p.podsPerEip } });
            await scaleAll(p.podsPerEip);
          }
          const pr = performance.now();
          await waitAllReady(p.podsPerEip, s.signal);
          s.record({ name: 'pods_ready_seconds', value: (performance.now() - pr) / 1000, unit: 's', labels });
          recoveredAt = Math.max(recoveredAt, performance.now());
          const cw = await waitForConsistent(cluster, { timeoutMs, signal: s.signal, intervalMs: 500, concurrency: p.concurrency });
          const counts = recordRuleCounts(s, cw.result, labels);
          rec.maxSnat = counts.maxSnat;
          rec.maxLrp = counts.maxLrp;
          if (cw.consistent) {
            rec.convergenceS = (performance.now() - recoveredAt) / 1000;
            s.record({ name: 'convergence_seconds', value: rec.convergenceS, unit: 's', labels });
            s.record({ name: 'time_to_consistent_seconds', value: (performance.now() - t0) / 1000, unit: 's', labels });
          }
          rec.passed = cw.consistent;
          summaryTable(t, p, records);
          await s.check(`egressip consistent after ${d} #${i}`, () => ({
            ok: cw.consistent,
            findings: cw.result.findings,
            summary: cw.consistent
              ? `consistent ${(rec.convergenceS ?? 0).toFixed(1)} s after recovery${rec.failoverS !== undefined ? `, failover ${rec.failoverS.toFixed(1)} s` : ''}; max/node ${counts.maxSnat} SNAT, ${counts.maxLrp} LRP; check ${Math.round(cw.result.durationMs)} ms x${cw.attempts}`
              : `${cw.result.findings.length} findings still present ${p.timeoutSeconds} s after recovery (${[...new Set(cw.result.findings.map((f) => f.kind))].join(', ')})`,
            data: { counts: cw.result.counts, node, eipsMoved: eips.length },
          }));
        });
      }
    }
    summaryTable(t, p, records);
  },
);
