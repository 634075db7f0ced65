/**
 * Accuracy-report generation time on a seeded database (no cluster, no agent): 30 cases x 3 agents (a model with
 * a cost, the reference agent, the constant baseline) x 5 repeats = 450 scored trials with 6 tool calls each,
 * 3 nights of runs (so the trend has 3 points per agent). Measures building the model (database reads and the
 * statistics) and rendering each format, with tinybench, prints the file sizes, and times the whole
 * `netharness report` process (all four formats written) three times.
 *
 *   npx tsx bench/eval-report.bench.ts   (or: npm run bench -- eval-report)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { buildReportModel, renderReport, REPORT_FORMATS } from '../harness/report/index.ts';
import { openStore } from '../harness/store/store.ts';
import { projectRoot } from '../harness/paths.ts';
import { seedEvalRun } from '../test/report/eval-seed.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-eval-report-bench-'));
try {
  const store = openStore(join(dir, 'nh.db'));
  const agents = [
    { agent: 'openai', model: 'gpt-x', skill: 0.7, cost: 0.012, violationAt: 3 },
    { agent: 'reference', skill: 0.97, infra: true },
    { agent: 'constant', skill: 0.2 },
  ];
  let modelRun = '';
  const s0 = performance.now();
  for (const day of [1, 2, 3])
    for (const [i, a] of agents.entries()) {
      const id = seedEvalRun(store, {
        suite: 'all',
        startedAt: `2026-12-0${day}T02:0${i}:00.000Z`,
        cases: 30,
        repeats: 5,
        seed: day * 10 + i,
        ...a,
      });
      if (day === 3 && i === 0) modelRun = id;
    }
  console.log(`seeded 9 runs (3 nights x 3 agents, 30 cases x 5 repeats each) in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
  const m = buildReportModel(store, modelRun);
  console.log(`report covers ${m.eval?.runs.length} runs, ${m.eval?.groups.length} agents, ${m.eval?.transcripts.length} trials`);
  for (const f of REPORT_FORMATS) console.log(`${f.padEnd(5)} ${(Buffer.byteLength(renderReport(m, f)) / 1024).toFixed(0)} KiB`);
  const bench = new Bench({ iterations: 5, warmupIterations: 1 });
  bench.add('model (db reads + statistics)', () => {
    buildReportModel(store, modelRun);
  });
  for (const f of REPORT_FORMATS)
    bench.add(`render ${f}`, () => {
      renderReport(m, f);
    });
  bench.add('model + all four formats', () => {
    const mm = buildReportModel(store, modelRun);
    for (const f of REPORT_FORMATS) renderReport(mm, f);
  });
  await bench.run();
  console.table(
    bench.tasks.map((t) => ({
      task: t.name,
      'mean ms': t.result && 'latency' in t.result ? t.result.latency.mean.toFixed(1) : '-',
      'p99 ms': t.result && 'latency' in t.result ? t.result.latency.p99.toFixed(1) : '-',
      samples: t.result && 'latency' in t.result ? t.result.latency.samplesCount : 0,
    })),
  );
  store.close();
  // the whole `netharness report` process as a user runs it (tsx start, the model, all four files written)
  const walls: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(projectRoot, 'harness/cli.ts'),
        'report',
        modelRun,
        '--db',
        join(dir, 'nh.db'),
        '--format',
        'html,md,json,junit',
        '--out',
        join(dir, 'out'),
      ],
      { cwd: projectRoot, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`netharness report exited ${r.status}: ${r.stderr}`);
    walls.push((performance.now() - t0) / 1000);
  }
  console.log(
    `netharness report ${modelRun.slice(0, 8)} --format html,md,json,junit (the CLI process): ${walls.map((w) => `${w.toFixed(2)} s`).join(', ')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
