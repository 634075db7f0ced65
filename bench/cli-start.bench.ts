/**
 * CLI start: how long a `netharness <command>` process takes from spawn to exit when the command does little
 * (its help, an empty database, the MCP tool list), side by side in one run with the floor, a bare
 * `node --import tsx -e 1`. The integration tests start the CLI hundreds of times, so this is most of their
 * cost beyond the cluster. Wall time per start with tinybench, and the CPU of the child (user + system, from
 * /usr/bin/time when it is there) on the side; the ratio is to the floor measured in the same run.
 *
 *   npx tsx bench/cli-start.bench.ts   (or: npm run bench -- cli-start)
 *   CLI_START_BENCH_ITERATIONS=10 for more samples (default 5)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { projectRoot } from '../harness/paths.ts';
import { openStore } from '../harness/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-cli-start-bench-'));
const iterations = Number(process.env.CLI_START_BENCH_ITERATIONS ?? 5);
const TIME = '/usr/bin/time';
try {
  const db = join(dir, 'empty.db');
  openStore(db).close();
  const cli = ['--import', 'tsx', join(projectRoot, 'harness', 'cli.ts')];
  const tasks: [name: string, argv: string[]][] = [
    ['floor: node --import tsx -e 1', ['--import', 'tsx', '-e', '1']],
    ['netharness --help', [...cli, '--help']],
    ['netharness check egressip --help', [...cli, 'check', 'egressip', '--help']],
    ['netharness sim --help', [...cli, 'sim', '--help']],
    ['netharness runs list (empty db)', [...cli, 'runs', 'list', '--db', db]],
    ['netharness mcp --list-tools', [...cli, 'mcp', '--list-tools']],
  ];
  const cpu = new Map<string, number[]>();
  const start = (name: string, argv: string[]): void => {
    const timed = existsSync(TIME);
    const out = join(dir, 'time.txt');
    const r = timed
      ? spawnSync(TIME, ['-f', '%U %S', '-o', out, process.execPath, ...argv], { cwd: projectRoot, encoding: 'utf8' })
      : spawnSync(process.execPath, argv, { cwd: projectRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr.slice(-500)}`);
    if (timed) {
      const [u, s] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      cpu.set(name, [...(cpu.get(name) ?? []), u + s]);
    }
  };
  const bench = new Bench({ iterations, warmupIterations: 1, time: 0 });
  for (const [name, argv] of tasks) bench.add(name, () => start(name, argv));
  await bench.run();
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
  };
  const wallOf = (i: number): number => {
    const r = bench.tasks[i]?.result;
    return r && 'latency' in r ? r.latency.p50 : NaN;
  };
  const floor = wallOf(0);
  console.table(
    bench.tasks.map((t, i) => ({
      task: t.name,
      'wall p50 ms': wallOf(i).toFixed(0),
      'x floor': (wallOf(i) / floor).toFixed(2),
      'cpu median s': cpu.has(t.name) ? median(cpu.get(t.name)!).toFixed(2) : '-',
      samples: t.result && 'latency' in t.result ? t.result.latency.samplesCount : 0,
    })),
  );
  console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
