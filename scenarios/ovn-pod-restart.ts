/**
 * ovn-pod-restart: restart OVN-Kubernetes on a node under EgressIP load through Chaos Mesh, and
 * measure the resync: PodChaos `pod-kill` of the node's ovnkube-node pod (the DaemonSet recreates
 * it), or `container-kill` of its ovnkube-controller container (the kubelet restarts it). Then wait
 * for the pod / container to be back and Ready, for the EgressIP rules to be consistent again, and
 * run the consistency check (QE 47021 style: ovnkube-controller's startup sync must leave exactly
 * the rows the EgressIPs call for).
 *
 * By default the target is a node running selected pods that is not their egress node (the startup
 * sync of remote nexthops is what breaks there); `--param target=egress-node` restarts the egress node's.
 *
 *   npm run scenario ovn-pod-restart
 *   npm run scenario ovn-pod-restart -- --param method=container-kill
 *   npm run scenario ovn-pod-restart -- --param fault=eip-valid-nexthops-removed-at-startup   # sim: fails
 */
import {
  z,
  type k8s,
  scenario,
  InfraError,
  UsageError,
  CHAOS_MESH_NAMESPACE,
  OVN_NAMESPACE,
  injectChaos,
  renderTemplate,
  busiestEgressNode,
  egressIPLoadParams,
  ovnkubePodOn,
  podNodes,
  recordRuleCounts,
  setupEgressIPLoad,
  podReady,
  waitFor,
  waitForConsistent,
  waitForDeploymentReady,
  egressNodesRequired,
} from '../harness/index.ts';

const params = z.object({
  method: z.enum(['pod-kill', 'container-kill']).default('pod-kill'),
  /** container killed by container-kill */
  container: z.string().default('ovnkube-controller'),
  /** which node's ovnkube-node: a node with selected pods that is not their egress node, the busiest egress node, or a node name */
  target: z.string().default('pod-node'),
  ...egressIPLoadParams({ eips: 2, podsPerEip: 5 }),
  iterations: z.number().int().min(1).max(100).default(1),
  timeoutSeconds: z.number().int().min(1).default(300),
  /** Chaos Mesh namespace for the PodChaos objects */
  chaosNamespace: z.string().default(CHAOS_MESH_NAMESPACE),
});

function containerRestarts(p: k8s.V1Pod | undefined, name: string): number {
  return p?.status?.containerStatuses?.find((c) => c.name === name)?.restartCount ?? 0;
}

export default scenario(
  {
    name: 'ovn-pod-restart',
    description:
      'kill ovnkube-node (PodChaos pod-kill) or its ovnkube-controller container (container-kill) under EgressIP load: resync time and rule consistency',
    params,
    quick: { eips: 2, podsPerEip: 3, iterations: 1, timeoutSeconds: 60 },
    requires: egressNodesRequired,
    sim: (p) => ({ nodes: '3+3', ipStack: p.ipStack, speed: 20 }),
    tags: ['chaos', 'egressip'],
  },
  async (t, p) => {
    const cluster = t.cluster;
    const timeoutMs = p.timeoutSeconds * 1000;
    const setup = await setupEgressIPLoad(t, 'ovn-pod-restart', p, { timeoutMs });
    if (!['pod-node', 'egress-node'].includes(p.target) && !setup.workers.includes(p.target))
      throw new UsageError(`--param target=${p.target}: expected pod-node, egress-node or a worker name (${setup.workers.join(', ')})`);
    const rows: (string | number | null)[][] = [];
    t.defer(() => {
      if (rows.length)
        t.summarize({
          title: `ovn-pod-restart (${p.method}): ${p.eips} EgressIPs x ${p.podsPerEip} pods`,
          columns: ['#', 'node', 'method', 'injected s', 'back Ready s', 'resync s', 'max SNAT/node', 'max LRP/node'],
          rows,
        });
    }, 'summary table');

    for (let i = 1; i <= p.iterations; i++) {
      await t.step(`${p.method} #${i}`, async (s) => {
        const labels = { iteration: String(i), method: p.method };
        const egress = await busiestEgressNode(cluster, setup.eipNames);
        let node = p.target;
        if (p.target === 'egress-node') node = egress.node;
        else if (p.target === 'pod-node') {
          const candidates = await podNodes(cluster, setup.namespaces);
          node = candidates.find((n) => n !== egress.node) ?? candidates[0] ?? egress.node;
        }
        const old = await ovnkubePodOn(cluster, node);
        if (!old?.metadata?.name)
          throw new InfraError(`no ovnkube-node pod on ${node}`, `kubectl -n ${OVN_NAMESPACE} get pods -l app=ovnkube-node -o wide`);
        const oldUid = old.metadata.uid;
        const before = containerRestarts(old, p.container);
        s.log(
          `${p.method} of ovnkube-node on ${node} (${old.metadata.name}${p.method === 'container-kill' ? `/${p.container}` : ''}); egress node ${egress.node}`,
        );
        const t0 = performance.now();

        const tmpl =
          p.method === 'pod-kill'
            ? renderTemplate('pod-kill', { namespace: p.chaosNamespace, node })
            : renderTemplate('container-kill', { namespace: p.chaosNamespace, node, container: p.container });
        const chaos = await injectChaos(cluster, tmpl, {
          holdMs: 0,
          injectTimeoutMs: timeoutMs,
          recoverTimeoutMs: timeoutMs,
          signal: s.signal,
          recorder: (e) => s.event(e),
          log: (l) => s.log(l),
        });
        const injectedS = (Date.parse(chaos.injectedAt) - Date.parse(chaos.appliedAt)) / 1000;
        s.record({ name: 'chaos_inject_seconds', value: injectedS, unit: 's', labels: { ...labels, node } });

        const back = await waitFor(
          async () => {
            const cur = await ovnkubePodOn(cluster, node);
            if (!cur || !podReady(cur)) return undefined;
            if (p.method === 'pod-kill') return cur.metadata?.uid !== oldUid ? cur : undefined;
            return containerRestarts(cur, p.container) > before || cur.metadata?.uid !== oldUid ? cur : undefined;
          },
          {
            timeoutMs,
            intervalMs: 250,
            signal: s.signal,
            describe: p.method === 'pod-kill' ? `a new ovnkube-node pod Ready on ${node}` : `${p.container} restarted and Ready on ${node}`,
          },
        );
        const backS = (performance.now() - t0) / 1000;
        s.record({ name: 'ovnkube_restart_seconds', value: backS, unit: 's', labels: { ...labels, node } });
        s.log(`ovnkube-node on ${node} back Ready after ${backS.toFixed(1)} s (${back.value.metadata?.name})`);
        const recoveredAt = performance.now();
        await Promise.all(
          setup.namespaces.map((ns) =>
            waitForDeploymentReady(cluster, ns, 'client', p.podsPerEip, { timeoutMs, signal: s.signal, intervalMs: 500 }),
          ),
        );
        const cw = await waitForConsistent(cluster, { timeoutMs, signal: s.signal, intervalMs: 500, concurrency: p.concurrency });
        const counts = recordRuleCounts(s, cw.result, labels);
        const resyncS = (performance.now() - recoveredAt) / 1000;
        if (cw.consistent) s.record({ name: 'resync_seconds', value: resyncS, unit: 's', labels: { ...labels, node } });
        rows.push([
          i,
          node,
          p.method,
          Number(injectedS.toFixed(1)),
          Number(backS.toFixed(1)),
          cw.consistent ? Number(resyncS.toFixed(1)) : null,
          counts.maxSnat,
          counts.maxLrp,
        ]);
        await s.check(`egressip consistent after ${p.method} #${i}`, () => ({
          ok: cw.consistent,
          findings: cw.result.findings,
          summary: cw.consistent
            ? `consistent ${resyncS.toFixed(1)} s after ovnkube-node on ${node} was back; max/node ${counts.maxSnat} SNAT, ${counts.maxLrp} LRP`
            : `${cw.result.findings.length} findings ${p.timeoutSeconds} s after ovnkube-node on ${node} was back (${[...new Set(cw.result.findings.map((f) => f.kind))].join(', ')})`,
          data: { counts: cw.result.counts, node, chaos: { kind: chaos.kind, name: chaos.name, targets: chaos.targets } },
        }));
      });
    }
  },
);
