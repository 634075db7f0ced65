/**
 * Scrape and query overhead of the embedded cluster's Prometheus at CORENET-6498 scale
 * (10 EgressIPs x 200 pods = 2000 pods):
 *   A. CPU share over a window of Prometheus itself, of the sim process (its exporters included) and of the
 *      sim's waited-for children (the appctl / ovs-ofctl execs of the OVN exporter), read from /proc;
 *   B. what Prometheus reports about its scrapes: scrape_duration_seconds and scrape_samples_scraped by job,
 *      head series;
 *   C. metric collection time per run: each shipped profile collected over the window (range queries at a 5 s
 *      step + instant queries at 3 boundaries) through the API server's service proxy, tinybench.
 *
 *   npx tsx bench/metrics.bench.ts      (or: npm run bench -- metrics; METRICS_BENCH_EIPS, METRICS_BENCH_PODS_PER_EIP,
 *                                        METRICS_BENCH_WINDOW_S, METRICS_BENCH_KUBECONFIG + METRICS_BENCH_SIM_WORKDIR
 *                                        to use a running embedded cluster)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { z } from 'zod';
import { connectPrometheus } from '../harness/metrics/client.ts';
import { collectProfile } from '../harness/metrics/collect.ts';
import { loadMetricsProfile } from '../harness/metrics/profile.ts';
import { projectRoot } from '../harness/constants.ts';
import { egressIPBenchSim, runBenchScenario } from './scenario-run.ts';
import { scenario } from '../harness/runner/scenario.ts';
import { setupEgressIPs } from '../harness/scenario-kit/egressip.ts';
import { sleep } from '../harness/wait/poll.ts';
import { parentPid, processCpu } from './proc-cpu.ts';

const EIPS = Number(process.env.METRICS_BENCH_EIPS ?? 10);
const PER = Number(process.env.METRICS_BENCH_PODS_PER_EIP ?? 200);
const WINDOW_S = Number(process.env.METRICS_BENCH_WINDOW_S ?? 60);

/**
 * utime+stime (self) and cutime+cstime (waited-for children), seconds. The sim's execs are children of its spawn
 * helper (sim/ovn/spawner.ts), so the helper's waited-for children count as the sim's.
 */
function cpu(pid: number): { self: number; children: number } {
  const c = processCpu(pid);
  if (!c) throw new Error(`process ${pid} is gone (/proc/${pid}/stat)`);
  const helpers = pidsWhere((cmd) => cmd.includes('spawn-helper.ts')).filter((h) => parentPid(h) === pid);
  return { self: c.self, children: helpers.reduce((n, h) => n + (processCpu(h)?.children ?? 0), c.children) };
}

function pidsWhere(pred: (cmdline: string) => boolean): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (pred(readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' '))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

const bench = scenario(
  {
    name: 'metrics-bench',
    description: 'Prometheus scrape and query overhead at 2000 pods',
    params: z.object({}),
    sim: () => egressIPBenchSim(EIPS, PER),
  },
  async (t) => {
    if (EIPS * PER > 0)
      await setupEgressIPs(t, {
        scenario: 'metrics-bench',
        eips: EIPS,
        podsPerEip: PER,
        families: ['v4'],
        egressNodes: 0,
        image: 'registry.k8s.io/pause:3.10',
        timeoutMs: 600_000,
        concurrency: 8,
      });
    const workdir = process.env.METRICS_BENCH_SIM_WORKDIR ?? (t.target.kind === 'sim' ? t.target.workdir : '');
    const tsdb = `--storage.tsdb.path=${join(workdir, 'prometheus', 'data')}`;
    const [prom] = pidsWhere((c) => c.includes(tsdb));
    const sims = pidsWhere((c) => c.includes(' sim ') && c.includes(workdir) && !c.includes('prometheus') && !c.includes(' stop '));
    if (!prom) throw new Error(`no Prometheus found for ${workdir}`);
    const results: Record<string, number | string> = {};
    await t.step('measure', async (s) => {
      const client = await connectPrometheus(t.cluster);
      // A. CPU over the window, cluster idle but scraped (2 s, OVN job 10 s)
      const p0 = cpu(prom);
      const s0 = sims.map(cpu);
      const start = new Date();
      s.log(`measuring CPU for ${WINDOW_S} s (prometheus pid ${prom}, sim pids ${sims.join(',')})`);
      await sleep(WINDOW_S * 1000);
      const end = new Date();
      const p1 = cpu(prom);
      const s1 = sims.map(cpu);
      const pct = (d: number): number => Number(((100 * d) / WINDOW_S).toFixed(2));
      results['pods'] = EIPS * PER;
      results['nodes'] = (await t.cluster.core.listNode()).items.length;
      results['prometheus CPU % of a core'] = pct(p1.self - p0.self);
      results['sim process CPU % (exporters incl.)'] = pct(s1.reduce((a, x, i) => a + x.self - s0[i].self, 0));
      results['sim exec children CPU % (appctl)'] = pct(s1.reduce((a, x, i) => a + x.children - s0[i].children, 0));
      // B. Prometheus' own view of its scrapes
      for (const r of await client.query('avg(scrape_duration_seconds) by (job)', end))
        results[`scrape ms ${r.labels.job}`] = Number((r.points[0][1] * 1000).toFixed(1));
      for (const r of await client.query('sum(scrape_samples_scraped) by (job)', end))
        results[`samples/scrape ${r.labels.job}`] = r.points[0][1];
      const head = await client.query('prometheus_tsdb_head_series', end);
      if (head[0]) results['head series'] = head[0].points[0][1];
      // C. collection time per run, per shipped profile, over the window
      const b = new Bench({ iterations: 5, warmupIterations: 1, time: 0 });
      const boundaries = [0.25, 0.5, 0.75].map((f, i) => ({ name: `step${i}`, at: new Date(start.getTime() + f * WINDOW_S * 1000) }));
      for (const name of ['egressip', 'ovn-ovs', 'nodes', 'ptp']) {
        const profile = loadMetricsProfile(join(projectRoot, 'metrics', 'profiles', `${name}.yaml`));
        let last = { series: 0, points: 0, warnings: 0 };
        b.add(`collect ${name} (${profile.length} queries)`, async () => {
          const r = await collectProfile(client, profile, { start, end, stepSeconds: 5, boundaries });
          last = { series: r.series.length, points: r.series.reduce((a, x) => a + x.points.length, 0), warnings: r.warnings.length };
        });
        await b.run();
        const task = b.tasks[b.tasks.length - 1];
        const mean = task.result && 'latency' in task.result ? task.result.latency.mean : NaN;
        results[`collect ${name} ms`] = Number(mean.toFixed(1));
        results[`collect ${name} series/points`] = `${last.series}/${last.points}`;
        if (last.warnings) results[`collect ${name} warnings`] = last.warnings;
        b.remove(task.name);
      }
      for (const [k, v] of Object.entries(results))
        if (typeof v === 'number') s.record({ name: k, value: v, unit: k.includes('ms') ? 'ms' : k.includes('%') ? '%' : 'count' });
    });
    t.summarize({ title: 'metrics bench', columns: Object.keys(results), rows: [Object.values(results)] });
    console.log(JSON.stringify(results, null, 2));
  },
);

await runBenchScenario(bench, 'metrics', 'METRICS_BENCH_KUBECONFIG');
