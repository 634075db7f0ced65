/**
 * `check ptp` against the ptp-operator conformance suite's method (openshift/ptp-operator test/pkg/metrics:
 * one `curl -s 127.0.0.1:9091/metrics` exec per linuxptp-daemon pod, one after another), as a ratio, on a
 * cluster with PTP nodes; and the check's pure part (evaluate) at 100 / 1000 synthetic PTP nodes.
 *
 *   npx tsx bench/ptp-check.bench.ts                                  pure part only
 *   PTP_CHECK_BENCH_KUBECONFIG=results/sim/kubeconfig npx tsx bench/ptp-check.bench.ts   + the live comparison
 *   (a 100-PTP-node embedded cluster: netharness sim --nodes 3+100 --detach; PTP is on by default)
 */
import { Bench } from 'tinybench';
import { connect } from '../harness/cluster/connect.ts';
import { evaluatePtp, profileFromSpec, type PtpObserved } from '../harness/checks/ptp/index.ts';
import { runPtpCheck } from '../harness/checks/ptp/cli.ts';
import { listDaemonPods, readMetricsText } from '../harness/ptp/cluster.ts';
import { interpretPtpMetrics } from '../harness/ptp/metrics.ts';

function synth(nodes: number): PtpObserved {
  const profile = profileFromSpec({ name: 'oc', interface: 'ens1f0', ptp4lOpts: '-2 -s', phc2sysOpts: '-a -r' });
  const metricsText = (n: string) =>
    [
      `openshift_ptp_interface_role{iface="ens1f0",node="${n}",process="ptp4l"} 1`,
      `openshift_ptp_clock_state{iface="ens1fx",node="${n}",process="ptp4l"} 1`,
      `openshift_ptp_clock_state{iface="CLOCK_REALTIME",node="${n}",process="phc2sys"} 1`,
      `openshift_ptp_offset_ns{from="master",iface="ens1fx",node="${n}",process="ptp4l"} -3`,
      `openshift_ptp_offset_ns{from="phc",iface="CLOCK_REALTIME",node="${n}",process="phc2sys"} 2`,
      `openshift_ptp_process_status{config="ptp4l.0.config",node="${n}",process="ptp4l"} 1`,
      `openshift_ptp_process_status{config="ptp4l.0.config",node="${n}",process="phc2sys"} 1`,
      `openshift_ptp_clock_class{node="${n}",process="ptp4l"} 255`,
    ].join('\n');
  return {
    profiles: [profile],
    eventPublisher: true,
    unprofiledDaemonNodes: [],
    nodes: Array.from({ length: nodes }, (_, i) => {
      const node = `worker-${i}`;
      return {
        node,
        pod: { node, pod: `linuxptp-daemon-${i}`, phase: 'Running', ready: true, restarts: 0, containers: [] },
        profileNames: ['oc'],
        metrics: interpretPtpMetrics(metricsText(node)),
        sidecar: { lockState: i % 10 === 0 ? 'FREERUN' : 'LOCKED', osClockSyncState: 'LOCKED' },
      };
    }),
  };
}

const bench = new Bench({ time: 1000 });
for (const n of [100, 1000]) {
  const o = synth(n);
  bench.add(`evaluate ${n} PTP nodes`, () => {
    evaluatePtp(o);
  });
}
await bench.run();
console.table(bench.table());

const kubeconfig = process.env.PTP_CHECK_BENCH_KUBECONFIG;
if (kubeconfig) {
  const cluster = connect({ kubeconfig });
  const pods = await listDaemonPods(cluster);
  const rows = [];
  for (let rep = 0; rep < Number(process.env.PTP_CHECK_BENCH_REPEATS ?? 3); rep++) {
    const t0 = performance.now();
    for (const p of pods) interpretPtpMetrics(await readMetricsText(cluster, p.pod)); // the conformance method
    const seqMs = performance.now() - t0;
    const t1 = performance.now();
    const r = await runPtpCheck(cluster, {}, { concurrency: 8 });
    const checkMs = performance.now() - t1;
    rows.push({
      pods: pods.length,
      'conformance sequential ms': Math.round(seqMs),
      'check ptp ms': Math.round(checkMs),
      'ratio (sequential / check)': Number((seqMs / checkMs).toFixed(2)),
      findings: r.findings.length,
    });
  }
  console.table(rows);
}
