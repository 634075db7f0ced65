/**
 * CPU cost of the embedded cluster's PTP emulation (sim/ptp): one emulated second (a tick) of 100 nodes,
 * each an OC profile (ptp4l + phc2sys, a master offset and a CLOCK_REALTIME line per second into the kubelet's log store),
 * after they locked; and rendering /metrics of 100 nodes (what `check ptp` scrapes). At `--speed 1` the emulator
 * ticks once per wall second, so "tick of 100 nodes" in ms / 1000 is the CPU share per 100 nodes; at --speed N
 * multiply by N.
 *
 * With PTP_BENCH_KUBECONFIG (a cluster with PTP nodes, e.g. an embedded one: netharness sim --nodes 1+100 --detach),
 * also `check ptp` against the ptp-operator conformance suite's method, side by side in the same run: the suite reads
 * every linuxptp-daemon pod's metrics with one exec of `curl -s 127.0.0.1:9091/metrics`, one pod after another
 * (openshift/ptp-operator test/pkg/metrics), and interprets them; `check ptp` reads the PtpConfigs, the pods, the metrics
 * (8 pods in parallel) and the sidecar's CurrentState, and evaluates. The ratio is sequential / check.
 *
 *   npx tsx bench/ptp.bench.ts
 *   PTP_BENCH_KUBECONFIG=/tmp/sim/kubeconfig PTP_BENCH_REPEATS=3 npx tsx bench/ptp.bench.ts
 */
import { loadavg } from 'node:os';
import { Bench } from 'tinybench';
import { renderMetrics } from '../sim/ptp/metrics.ts';
import { NodePtp, type NodeEnv } from '../sim/ptp/node.ts';
import { defaultPtpConfigs } from '../sim/ptp/objects.ts';
import type { PtpProfile } from '../sim/ptp/node.ts';
import { defaultNodes } from '../sim/topology.ts';
import { LogStore } from '../sim/kubelet/logs.ts';
import { connect } from '../harness/cluster/connect.ts';
import { runPtpCheck } from '../harness/checks/ptp/cli.ts';
import { listDaemonPods, readMetricsText } from '../harness/ptp/cluster.ts';
import { interpretPtpMetrics } from '../harness/ptp/metrics.ts';

const N = Number(process.env.PTP_SIM_BENCH_NODES ?? 100);
const nodes = defaultNodes(3, N).filter((n) => n.role === 'worker');
const cfg = defaultPtpConfigs('oc', nodes)[0];
const profile = (cfg.spec as { profile: PtpProfile[] }).profile[0];
// the kubelet's own log store (a 5000-line ring per container instance, RFC 3339 timestamps), as in the sim
const logs = new LogStore();
let written = 0;
const emus = nodes.map((n) => {
  const env: NodeEnv = {
    node: n.name,
    mac: () => `50:7c:6f:${n.id.toString(16).padStart(2, '0')}:10:6c`,
    eventPublisher: () => true,
    jitterFor: () => 0,
    jitterNs: () => 0,
    linkUp: () => true,
    txTimeouts: () => false,
    upstream: () => ({
      gmIdentity: '507c6f.fffe.1fb16c',
      gmClockClass: 6,
      gmPriority1: 128,
      parentPortIdentity: '507c6f.fffe.1fb16c-1',
      stepsRemoved: 1,
    }),
  };
  const ref = { namespace: 'openshift-ptp', pod: `linuxptp-daemon-${n.id}`, container: 'linuxptp-daemon-container' };
  const sink = (l: string) => {
    written++;
    logs.append(ref, l);
  };
  const e = new NodePtp(env, sink, () => undefined, 'bench', ref.pod);
  e.apply([profile]);
  return e;
});
for (let i = 0; i < 10; i++) for (const e of emus) e.tick(); // locked
const linesBefore = written;

// the machine may be shared: the load is part of every figure
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
console.log(`load average at start: ${load()}`);
const bench = new Bench({ time: 2000 });
bench.add(`tick (1 emulated s) of ${N} PTP nodes`, () => {
  for (const e of emus) e.tick();
});
bench.add(`render /metrics of ${N} PTP nodes`, () => {
  for (const e of emus) renderMetrics(e.view(), true, 1);
});
const cpu0 = process.cpuUsage();
await bench.run();
const cpu = process.cpuUsage(cpu0);
console.table(bench.table());
const lat = (i: number): { mean: number; p50: number } => {
  const r = bench.tasks[i].result as { latency?: { mean: number; p50?: number } } | undefined;
  return { mean: r?.latency?.mean ?? NaN, p50: r?.latency?.p50 ?? NaN };
};
const t = lat(0);
console.log(
  `per ${N} nodes: ${t.mean.toFixed(3)} ms (median ${t.p50.toFixed(3)} ms) CPU per emulated second = ${(t.mean / 10).toFixed(2)} % of one core at --speed 1 (x N at --speed N); ` +
    `${written - linesBefore} log lines written since lock; /metrics ${(lat(1).mean / N).toFixed(2)} ms per node; bench process CPU ${(cpu.user / 1000).toFixed(0)} ms user`,
);

const kubeconfig = process.env.PTP_BENCH_KUBECONFIG;
if (kubeconfig) {
  const cluster = connect({ kubeconfig });
  const pods = await listDaemonPods(cluster);
  const rows = [];
  for (let rep = 0; rep < Number(process.env.PTP_BENCH_REPEATS ?? 3); rep++) {
    // the conformance method; an exec that fails (a loaded API server resets it) is retried once, as the suite's
    // Eventually polls again, and counted
    let failedExecs = 0;
    const t0 = performance.now();
    for (const p of pods) {
      const text = await readMetricsText(cluster, p.pod).catch(() => {
        failedExecs++;
        return readMetricsText(cluster, p.pod);
      });
      interpretPtpMetrics(text);
    }
    const seqMs = performance.now() - t0;
    const t1 = performance.now();
    const r = await runPtpCheck(cluster, {}, { concurrency: 8 });
    const checkMs = performance.now() - t1;
    const t2 = performance.now();
    await runPtpCheck(cluster, { skipSidecar: true }, { concurrency: 8 });
    const checkNoSidecarMs = performance.now() - t2;
    rows.push({
      'daemon pods': pods.length,
      'conformance: exec+curl per pod, sequential (ms)': Math.round(seqMs),
      'check ptp, metrics + sidecar (ms)': Math.round(checkMs),
      'check ptp --skip-sidecar (ms)': Math.round(checkNoSidecarMs),
      'ratio sequential / check': Number((seqMs / checkMs).toFixed(2)),
      'ratio sequential / check --skip-sidecar': Number((seqMs / checkNoSidecarMs).toFixed(2)),
      findings: r.findings.length,
      'retried execs': failedExecs,
    });
  }
  console.table(rows);
}
console.log(`load average at end: ${load()}`);
