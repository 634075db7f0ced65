/**
 * node-reboot: reboot an egress node under EgressIP load (QE 55030 / 73694 style) and measure what
 * the cluster does: how fast the EgressIPs fail over to another egress node, how long the node is
 * NotReady, how long until the EgressIP rules (SNATs on GR_<egress node>, priority-100 reroutes with
 * transit-switch nexthops on every pod node) are consistent again, then run the consistency check.
 *
 * The reboot is a privileged debug pod running `chroot /host systemctl reboot` (harness/chaos/
 * node-actions.ts), the same on the embedded cluster and on OpenShift.
 *
 *   npm run scenario node-reboot
 *   npm run scenario node-reboot -- --param iterations=3 --param eips=4
 *   npm run scenario node-reboot -- --param fault=eip-stale-snat-lrp-after-failover   # sim: fails
 *   npm run scenario node-reboot -- --kubeconfig ~/.kube/config --param timeoutSeconds=900
 */
import {
  z,
  scenario,
  UsageError,
  runNodeAction,
  type NodeActionResult,
  busiestEgressNode,
  egressIPLoadParams,
  familiesOf,
  recordRuleCounts,
  setupEgressIPLoad,
  egressIPNodes,
  waitForConsistent,
  waitForDeploymentReady,
  waitForNodeReady,
  watchEgressIPFailover,
  egressNodesRequired,
} from '../harness/index.ts';

const params = z.object({
  ...egressIPLoadParams({ eips: 2, podsPerEip: 5 }),
  iterations: z.number().int().min(1).max(100).default(1),
  /** node to reboot; default: the egress node holding the most EgressIPs of this run (each iteration) */
  node: z.string().default(''),
  /** reboot (`systemctl reboot`) or crash (sysrq, krkn's node_crash_scenario) */
  action: z.enum(['reboot', 'crash']).default('reboot'),
  /** each wait (failover, NotReady, Ready, pods, consistency) must finish within this */
  timeoutSeconds: z.number().int().min(1).default(300),
  /** NotReady and Ready waits of the reboot (krkn's node-scenario timeout is 120 s; bare metal needs more) */
  rebootTimeoutSeconds: z.number().int().min(1).default(600),
  /** image of the privileged debug pod */
  debugImage: z.string().default('registry.redhat.io/rhel9/support-tools'),
});

export default scenario(
  {
    name: 'node-reboot',
    description: 'reboot an egress node under EgressIP load: failover time, NotReady time, convergence, rule consistency',
    params,
    quick: { eips: 2, podsPerEip: 3, iterations: 1, timeoutSeconds: 60 },
    requires: egressNodesRequired,
    sim: (p) => ({ nodes: '3+3', ipStack: p.ipStack, speed: 20 }),
    tags: ['chaos', 'egressip'],
  },
  async (t, p) => {
    const cluster = t.cluster;
    const timeoutMs = p.timeoutSeconds * 1000;
    const families = familiesOf(p.ipStack);
    if (p.node) {
      const names = (await cluster.core.listNode()).items.map((n) => n.metadata?.name ?? '');
      if (!names.includes(p.node)) throw new UsageError(`--param node=${p.node}: no such node (nodes: ${names.join(', ')})`);
    }
    const setup = await setupEgressIPLoad(t, 'node-reboot', p, { timeoutMs });
    if (p.node && !setup.workers.includes(p.node))
      throw new UsageError(`--param node=${p.node}: not a worker node (workers: ${setup.workers.join(', ')})`);
    const rows: (string | number | null)[][] = [];
    t.defer(() => {
      if (rows.length)
        t.summarize({
          title: `node-reboot: ${p.eips} EgressIPs x ${p.podsPerEip} pods (${p.ipStack})`,
          columns: [
            '#',
            'node',
            'NotReady after s',
            'NotReady for s',
            'reboot s',
            'failover s',
            'converged s',
            'max SNAT/node',
            'max LRP/node',
          ],
          rows,
        });
    }, 'summary table');

    for (let i = 1; i <= p.iterations; i++) {
      await t.step(`reboot #${i}`, async (s) => {
        const labels = { iteration: String(i) };
        const busiest = await busiestEgressNode(cluster, setup.eipNames);
        const node = p.node || busiest.node;
        const m0 = await egressIPNodes(cluster);
        const eips = setup.eipNames.filter((e) => (m0.get(e) ?? []).includes(node));
        s.log(
          `${p.action === 'crash' ? 'crashing' : 'rebooting'} ${node} (egress node of ${eips.length ? eips.join(', ') : 'no EgressIP of this run'})`,
        );
        const t0 = performance.now();

        // failover watcher: every EgressIP that was on the node leaves it and is assigned elsewhere
        const failover = watchEgressIPFailover(cluster, eips, node, {
          timeoutMs: timeoutMs + p.rebootTimeoutSeconds * 1000,
          minItems: families.length,
          signal: s.signal,
          describe: `EgressIPs to leave ${node}`,
        });
        let r: NodeActionResult;
        let movedAt: number | undefined;
        try {
          r = await runNodeAction(cluster, node, p.action, {
            image: p.debugImage,
            notReadyTimeoutMs: p.rebootTimeoutSeconds * 1000,
            readyTimeoutMs: p.rebootTimeoutSeconds * 1000,
            signal: s.signal,
            recorder: (e) => s.event(e),
            log: (l) => s.log(l),
          });
          // failover usually lands while the node is down; give it a little more once the node is back
          movedAt = await failover.movedAt(Math.min(5000, timeoutMs));
        } finally {
          failover.stop();
        }
        if (r.toNotReadyMs !== undefined)
          s.record({ name: 'node_to_notready_seconds', value: r.toNotReadyMs / 1000, unit: 's', labels: { ...labels, node } });
        if (r.downMs !== undefined)
          s.record({ name: 'node_notready_seconds', value: r.downMs / 1000, unit: 's', labels: { ...labels, node } });
        if (r.totalMs !== undefined)
          s.record({ name: 'node_reboot_seconds', value: r.totalMs / 1000, unit: 's', labels: { ...labels, node } });
        const failoverS = movedAt !== undefined ? (movedAt - t0) / 1000 : undefined;
        if (failoverS !== undefined) s.record({ name: 'failover_seconds', value: failoverS, unit: 's', labels: { ...labels, node } });
        if (eips.length > 0) {
          await s.check(`egressips failed over from ${node}`, () => ({
            ok: failoverS !== undefined,
            summary:
              failoverS !== undefined
                ? `${eips.length} EgressIP(s) moved off ${node} ${failoverS.toFixed(1)} s after the reboot started`
                : `the EgressIPs of ${node} did not move while it rebooted (${eips.join(', ')})`,
            findings:
              failoverS !== undefined
                ? []
                : eips.map((e) => ({
                    kind: 'egressip-not-failed-over',
                    egressip: e,
                    node,
                    message: 'still assigned to the rebooting node',
                  })),
          }));
        }

        await waitForNodeReady(cluster, node, true, { timeoutMs, signal: s.signal });
        const recoveredAt = performance.now();
        await Promise.all(
          setup.namespaces.map((ns) =>
            waitForDeploymentReady(cluster, ns, 'client', p.podsPerEip, { timeoutMs, signal: s.signal, intervalMs: 500 }),
          ),
        );
        s.record({ name: 'pods_ready_seconds', value: (performance.now() - recoveredAt) / 1000, unit: 's', labels });
        const cw = await waitForConsistent(cluster, { timeoutMs, signal: s.signal, intervalMs: 500, concurrency: p.concurrency });
        const counts = recordRuleCounts(s, cw.result, labels);
        const convergenceS = (performance.now() - recoveredAt) / 1000;
        if (cw.consistent) s.record({ name: 'convergence_seconds', value: convergenceS, unit: 's', labels });
        rows.push([
          i,
          node,
          fmt(r.toNotReadyMs),
          fmt(r.downMs),
          fmt(r.totalMs),
          failoverS === undefined ? null : Number(failoverS.toFixed(1)),
          cw.consistent ? Number(convergenceS.toFixed(1)) : null,
          counts.maxSnat,
          counts.maxLrp,
        ]);
        await s.check(`egressip consistent after reboot #${i}`, () => ({
          ok: cw.consistent,
          findings: cw.result.findings,
          summary: cw.consistent
            ? `consistent ${convergenceS.toFixed(1)} s after ${node} was Ready; max/node ${counts.maxSnat} SNAT, ${counts.maxLrp} LRP`
            : `${cw.result.findings.length} findings ${p.timeoutSeconds} s after ${node} was Ready (${[...new Set(cw.result.findings.map((f) => f.kind))].join(', ')})`,
          data: { counts: cw.result.counts, node, eipsMoved: eips.length },
        }));
      });
    }
  },
);

function fmt(ms: number | undefined): number | null {
  return ms === undefined ? null : Number((ms / 1000).toFixed(1));
}
