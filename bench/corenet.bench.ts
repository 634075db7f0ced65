/**
 * EgressIP check on the embedded cluster at CORENET-6498 scale (10 EgressIPs x 200 pods = 2000 pods):
 *   A. our check (API + ONE NB dump exec per node, parallel 8, pure diff)
 *   A0. (with CORENET_BENCH_OLD=<dir>) the check of an older tree, run in the same process on the same cluster,
 *      interleaved with A and B: old vs new side by side. <dir> holds that tree's harness/, e.g.
 *      `mkdir -p /tmp/old && git archive <commit> harness | tar -x -C /tmp/old`
 *   B. the bare per-node dumps: what any one-exec-per-node reader must do and nothing else. The same
 *      ovnkube-node pod lookup the check makes first (one label-selected GET: exec needs the pod names, so the
 *      check cannot start a dump before it), then the same execs (NB_READ_ARGV, parallel 8), the bytes received
 *      and dropped: no API lists, no string of the output, no parse, no diff. A/B is the goal's ratio.
 *   B0. B without the pod lookup (the pod names known beforehand), for reference: A/B0 is what A would be
 *      judged by if the lookup were free.
 *   C. the per-pod QE method (OpenShift QE cases 55030 / 47021, as in weinliu/verification-tests test/extended/networking/cloud_egressip_ovn.go): one exec per pod into the egress node's ovnkube-node pod running
 *      `ovn-nbctl --format=csv --no-heading find nat logical_ip=<pod IP>` and counting the EgressIP's rows, with
 *      the same parallelism (8), plus a sequential sample (as a Ginkgo loop runs it) extrapolated to all pods;
 *   C2. the same per-pod query as QE really runs it: one `oc exec` process per pod (kubectl exec here), sequential
 *      sample extrapolated to all pods.
 * A, A0, B and B0 run in rounds, each round in a rotated order, so a load change or the cluster settling after
 * the setup hits every variant alike; medians over the rounds, with the load averages before and after.
 * Goals: C / A >= 50, A / B <= 1.2 (issue 14).
 *
 *   npx tsx bench/corenet.bench.ts      (or: npm run bench -- corenet; CORENET_BENCH_EIPS, CORENET_BENCH_PODS_PER_EIP,
 *                                        CORENET_BENCH_RUNS (rounds), CORENET_BENCH_SEQ_SAMPLE, CORENET_BENCH_KUBECONFIG to use a running cluster,
 *                                        CORENET_BENCH_QE=0 to measure only A and B: the per-pod method takes minutes on a loaded machine,
 *                                        CORENET_BENCH_OLD=<dir> for A0, CORENET_BENCH_PROFILE=<dir> for V8 CPU profiles of A
 *                                        and B, CORENET_BENCH_HOLD=<file> to pause after the setup)
 * Each variant's CPU is printed for the harness (this process) and for the embedded cluster (its process tree).
 * Starts the embedded cluster through the CLI (needs root) unless CORENET_BENCH_KUBECONFIG is set.
 */
import { z } from 'zod';
import { scenario } from '../harness/runner/scenario.ts';
import { egressIPBenchSim, runBenchScenario } from './scenario-run.ts';
import { setupEgressIPs } from '../harness/scenario-kit/egressip.ts';
import { checkEgressIP } from '../harness/checks/egressip/index.ts';
import {
  DUMP_SEPARATOR,
  execNodeDump,
  listEgressIPs,
  mapLimit,
  ovnkubeNodePods,
  OVN_NAMESPACE,
  NB_CONTAINER,
  NB_READ_ARGV,
} from '../harness/checks/egressip/collect.ts';
import { execIn } from '../harness/cluster/exec.ts';
import { getResponse } from '../harness/cluster/get-json.ts';
import { POD_LIST_ACCEPT } from '../harness/checks/egressip/collect.ts';
import type { Cluster } from '../harness/cluster/connect.ts';
import { stats } from '../harness/runner/stats.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { treeCpu } from './proc-cpu.ts';

const EIPS = Number(process.env.CORENET_BENCH_EIPS ?? 10);
const PER = Number(process.env.CORENET_BENCH_PODS_PER_EIP ?? 200);
const RUNS = Number(process.env.CORENET_BENCH_RUNS ?? 9);
const SEQ = Number(process.env.CORENET_BENCH_SEQ_SAMPLE ?? 100);
const KSEQ = Number(process.env.CORENET_BENCH_KUBECTL_SAMPLE ?? 50);
const CONC = 8;
const QE = process.env.CORENET_BENCH_QE !== '0';

const OLD = process.env.CORENET_BENCH_OLD;
/** a directory: after the rounds, V8 CPU profiles of 10 runs of A and of B (A.cpuprofile, B.cpuprofile) */
const PROFILE = process.env.CORENET_BENCH_PROFILE;
/**
 * a file: after the setup, write the cluster's kubeconfig path there and wait until the file is removed before
 * measuring (to run ad-hoc scripts or profilers against the set-up cluster)
 */
const HOLD = process.env.CORENET_BENCH_HOLD;

/** The embedded cluster's API process (its state.json beside the kubeconfig), for its CPU per variant. */
function simPid(kubeconfig: string | undefined): number | undefined {
  if (!kubeconfig) return undefined;
  try {
    const st = JSON.parse(readFileSync(join(dirname(kubeconfig), 'state.json'), 'utf8')) as { pid?: unknown };
    return typeof st.pid === 'number' ? st.pid : undefined;
  } catch {
    return undefined;
  }
}

const median = (xs: number[]): number => stats(xs).p50 ?? NaN;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** B: the ovnkube-node pod lookup (unless the names are given: B0), then one exec per node; bytes counted, not kept. */
async function bareDumps(cluster: Cluster, nodes: string[], known?: Map<string, string>): Promise<number> {
  const pods = known ?? (await ovnkubeNodePods(cluster));
  let bytes = 0;
  await mapLimit(nodes, CONC, async (n) => {
    const r = await execIn(cluster, { namespace: OVN_NAMESPACE, pod: pods.get(n) as string, container: NB_CONTAINER }, [...NB_READ_ARGV], {
      timeoutMs: 60_000,
      onStdout: (c) => {
        bytes += c.length;
      },
    });
    if (r.exitCode !== 0) throw new Error(`bare dump on ${n} exited ${r.exitCode}: ${r.stderr}`);
  });
  return bytes;
}

type CheckFn = typeof checkEgressIP;

const bench = scenario(
  {
    name: 'corenet-bench',
    description: 'EgressIP check vs per-pod QE method vs bare dumps',
    params: z.object({}),
    sim: () => egressIPBenchSim(EIPS, PER),
  },
  async (t) => {
    const setup = await setupEgressIPs(t, {
      scenario: 'corenet-bench',
      eips: EIPS,
      podsPerEip: PER,
      families: ['v4'],
      egressNodes: 0,
      image: 'registry.k8s.io/pause:3.10',
      timeoutMs: 600_000,
      concurrency: CONC,
    });
    const cluster = t.cluster;
    const results: Record<string, number | string> = {};
    if (HOLD) {
      writeFileSync(HOLD, `${cluster.kubeconfigPath ?? ''}\n`);
      console.error(`holding: kubeconfig path in ${HOLD}; remove the file to measure`);
      while (existsSync(HOLD)) await new Promise((r) => setTimeout(r, 500));
    }
    await t.step('measure', async (s) => {
      const nodeNames = (await cluster.core.listNode()).items.map((n) => n.metadata?.name ?? '');
      const nbPods = await ovnkubeNodePods(cluster);
      const oldCheck = OLD
        ? ((await import(pathToFileURL(join(resolve(OLD), 'harness/checks/egressip/index.ts')).href)) as { checkEgressIP: CheckFn })
            .checkEgressIP
        : undefined;
      let lastA = await checkEgressIP(cluster, { concurrency: CONC });
      if (!lastA.consistent) throw new Error(`cluster not consistent: ${lastA.findings.length} findings`);
      const aApi: number[] = [];
      const aNb: number[] = [];
      const variants: [string, () => Promise<unknown>][] = [
        [
          'A',
          async () => {
            lastA = await checkEgressIP(cluster, { concurrency: CONC });
            aApi.push(lastA.timings.apiMs);
            aNb.push(lastA.timings.nbMs);
          },
        ],
        ...(oldCheck
          ? ([
              [
                'A0',
                async () => {
                  const r = await oldCheck(cluster, { concurrency: CONC });
                  if (
                    r.findings.length !== lastA.findings.length ||
                    r.counts.snat !== lastA.counts.snat ||
                    r.counts.lrp !== lastA.counts.lrp
                  )
                    throw new Error(`old and new checks disagree: ${JSON.stringify(r.counts)} vs ${JSON.stringify(lastA.counts)}`);
                },
              ],
            ] as [string, () => Promise<unknown>][])
          : []),
        ['B', () => bareDumps(cluster, nodeNames)],
        ['B0', () => bareDumps(cluster, nodeNames, nbPods)],
      ];
      const wall: Record<string, number[]> = {};
      const cpu: Record<string, number[]> = {};
      const scpu: Record<string, number[]> = {};
      const sim = simPid(cluster.kubeconfigPath);
      for (const [, f] of variants) await f(); // warm-up: connections, JIT
      const load0 = load();
      for (let i = 0; i < RUNS; i++) {
        for (let j = 0; j < variants.length; j++) {
          const [name, f] = variants[(i + j) % variants.length];
          const s0 = treeCpu(sim) * 1000;
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          await f();
          (wall[name] ??= []).push(performance.now() - t0);
          const dc = process.cpuUsage(c0);
          (cpu[name] ??= []).push((dc.user + dc.system) / 1000);
          (scpu[name] ??= []).push(treeCpu(sim) * 1000 - s0);
        }
      }
      const load1 = load();
      if (PROFILE) {
        mkdirSync(PROFILE, { recursive: true });
        const session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        for (const [name, f] of variants.filter(([n]) => n === 'A' || n === 'B')) {
          await session.post('Profiler.start');
          for (let i = 0; i < 10; i++) await f();
          const { profile } = await session.post('Profiler.stop');
          writeFileSync(join(PROFILE, `${name}.cpuprofile`), JSON.stringify(profile));
        }
        session.disconnect();
        s.log(`CPU profiles of 10 runs of A and of B in ${PROFILE}`);
      }
      for (const [name] of variants) s.log(`${name} runs ms: ${wall[name].map((x) => Math.round(x)).join(', ')}`);
      s.log(`A nb reads done at ${aNb.map((x) => Math.round(x)).join(', ')}; load ${load0} before, ${load1} after`);
      if (!lastA.consistent) throw new Error(`cluster not consistent: ${lastA.findings.length} findings`);
      const a = wall.A;
      const b = wall.B;
      const aCpu = cpu.A;
      // dump sizes per table (what the harness receives and parses)
      const sample = await execNodeDump(cluster, nbPods.get(nodeNames[nodeNames.length - 1]) as string);
      // NB_READ_ARGV prints one JSON document per table per line (the old shell dump: DUMP_SEPARATOR)
      const parts = (sample.includes(DUMP_SEPARATOR) ? sample.split(DUMP_SEPARATOR) : sample.split('\n')).map((x) => x.length);
      s.log(
        `one node's dump: ${sample.length} bytes (NAT ${parts[0]}, LRP ${parts[1]}, Address_Set ${parts[2]}, Logical_Router ${parts[3]})`,
      );
      // the check's biggest API read, in the encoding the server answered and in JSON
      const podPath = `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.hostNetwork!=true')}`;
      const asked = await getResponse(cluster, podPath, { accept: POD_LIST_ACCEPT });
      const asJson = await getResponse(cluster, podPath);
      s.log(`pod list: ${asked.contentType} ${asked.body.length} bytes (JSON ${asJson.body.length} bytes)`);
      const m = (name: string, xs: Record<string, number[]>): number => Math.round(median(xs[name]));
      const ab: Record<string, number | string> = {
        pods: lastA.counts.pods,
        nodes: nodeNames.length,
        'A our check ms (median)': m('A', wall),
        'A harness CPU ms (median)': m('A', cpu),
        'A api ms (median)': Math.round(median(aApi)),
        'A nb ms (median)': Math.round(median(aNb)),
        'A diff ms': Math.round(lastA.timings.diffMs),
        'A cluster CPU ms (median)': m('A', scpu),
        ...(oldCheck
          ? {
              'A0 old check ms (median)': m('A0', wall),
              'A0 harness CPU ms (median)': m('A0', cpu),
              'A0 cluster CPU ms (median)': m('A0', scpu),
            }
          : {}),
        'B bare dumps ms (median)': m('B', wall),
        'B harness CPU ms (median)': m('B', cpu),
        'B cluster CPU ms (median)': m('B', scpu),
        'B0 bare dumps, pods known, ms (median)': m('B0', wall),
        'A/B': Number((median(a) / median(b)).toFixed(2)),
        'A/B0': Number((median(a) / median(wall.B0)).toFixed(2)),
        ...(oldCheck ? { 'A0/B': Number((median(wall.A0) / median(b)).toFixed(2)) } : {}),
        load: `${load0} / ${load1}`,
      };
      if (!QE) {
        Object.assign(results, ab);
        for (const [k, v] of Object.entries(ab))
          if (typeof v === 'number') s.record({ name: k, value: v, unit: k.includes('ms') ? 'ms' : 'x' });
        return;
      }
      // C. per-pod QE method
      const eips = (await listEgressIPs(cluster)).filter((e) => setup.eipNames.includes(e.name));
      const work: { ip: string; egressPod: string; eip: string }[] = [];
      for (const e of eips) {
        const ns = setup.namespaces[setup.eipNames.indexOf(e.name)];
        const pods = await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=client' });
        for (const p of pods.items) {
          const ip = p.status?.podIP;
          if (ip) work.push({ ip, egressPod: nbPods.get(e.status[0].node) as string, eip: e.name });
        }
      }
      let found = 0;
      const perPod = async (w: { ip: string; egressPod: string; eip: string }): Promise<void> => {
        const r = await execIn(cluster, { namespace: OVN_NAMESPACE, pod: w.egressPod, container: NB_CONTAINER }, [
          'sh',
          '-c',
          `ovn-nbctl --format=csv --no-heading find nat logical_ip=${w.ip} | grep -c "EgressIP:${w.eip}" || true`,
        ]);
        found += Number(r.stdout.trim()) || 0;
      };
      const c0 = performance.now();
      await mapLimit(work, CONC, perPod);
      const cPar = performance.now() - c0;
      const seqSample = work.slice(0, SEQ);
      const s0 = performance.now();
      for (const w of seqSample) await perPod(w);
      const seqPerPod = (performance.now() - s0) / seqSample.length;
      // C2. as QE runs it: an `oc exec` (here kubectl exec) process per pod, sequentially (sample, extrapolated)
      const kc = cluster.kubeconfigPath;
      const kSample = work.slice(0, Math.min(KSEQ, work.length));
      const k0 = performance.now();
      for (const w of kSample) {
        const r = spawnSync(
          'kubectl',
          [
            ...(kc ? ['--kubeconfig', kc] : []),
            'exec',
            '-n',
            OVN_NAMESPACE,
            w.egressPod,
            '-c',
            NB_CONTAINER,
            '--',
            'sh',
            '-c',
            `ovn-nbctl --format=csv --no-heading find nat logical_ip=${w.ip} | grep -c "EgressIP:${w.eip}" || true`,
          ],
          { encoding: 'utf8' },
        );
        found += Number(r.stdout.trim()) || 0;
      }
      const kubectlPerPod = (performance.now() - k0) / Math.max(1, kSample.length);
      s.log(`per-pod method found ${found} SNATs for ${work.length} + ${seqSample.length} + ${kSample.length} pod queries`);
      Object.assign(results, {
        pods: work.length,
        nodes: nodeNames.length,
        'A our check ms (median)': Math.round(median(a)),
        'A harness CPU ms (median)': Math.round(median(aCpu)),
        'A api ms': Math.round(lastA.timings.apiMs),
        'A nb ms': Math.round(lastA.timings.nbMs),
        'A diff ms': Math.round(lastA.timings.diffMs),
        'B bare dumps ms (median)': Math.round(median(b)),
        'B0 bare dumps, pods known, ms (median)': Math.round(median(wall.B0)),
        'C per-pod parallel-8 ms': Math.round(cPar),
        'C per-pod sequential ms (extrapolated)': Math.round(seqPerPod * work.length),
        'C2 per-pod kubectl exec sequential ms (extrapolated)': Math.round(kubectlPerPod * work.length),
        'C/A (parallel)': Number((cPar / median(a)).toFixed(1)),
        'C2/A (kubectl exec, as QE)': Number(((kubectlPerPod * work.length) / median(a)).toFixed(1)),
        'C/A (sequential)': Number(((seqPerPod * work.length) / median(a)).toFixed(1)),
        'A/B': Number((median(a) / median(b)).toFixed(2)),
      });
      for (const [k, v] of Object.entries(results))
        if (typeof v === 'number') s.record({ name: k, value: v, unit: k.includes('ms') ? 'ms' : 'x' });
    });
    t.summarize({ title: 'corenet bench', columns: Object.keys(results), rows: [Object.values(results)] });
    console.log(JSON.stringify(results, null, 2));
  },
);

await runBenchScenario(bench, 'corenet', 'CORENET_BENCH_KUBECONFIG');
