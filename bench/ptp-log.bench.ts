/**
 * `ptp analyze-log` throughput and memory on a generated daemon log of PTP_LOG_BENCH_LINES lines (default 1M):
 * a realistic mix (per-second ptp4l / phc2sys offsets and summaries, port transitions, klog state lines,
 * tx timestamp timeouts, clock-class changes, a few junk lines), streamed from a file as the CLI does.
 * Reports lines/s and the heap / RSS growth while analysing (the log itself is never held).
 *
 *   node --expose-gc --import tsx bench/ptp-log.bench.ts   (or: npm run bench -- ptp-log; PTP_LOG_BENCH_LINES=200000)
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { analyzeStream } from '../harness/ptp/analyze.ts';

const LINES = Number(process.env.PTP_LOG_BENCH_LINES ?? 1_000_000);

function line(i: number): string {
  const t = (1000 + i / 4).toFixed(3);
  const cfg = i % 7 === 0 ? 'ptp4l.1.config' : 'ptp4l.0.config';
  switch (i % 40) {
    case 0:
      return `ptp4l[${t}]: [${cfg}] rms    6 max   12 freq   -121 +/-   3 delay   510 +/-   1`;
    case 1:
      return `I1202 10:00:00.${String(i % 1e6).padStart(6, '0')} 4021 daemon.go:928] ptp4l[1701510000]:[${cfg}] PTP_PROCESS_STATUS:1`;
    case 2:
      return i % 400 === 2
        ? `ptp4l[${t}]: [${cfg}:5] port 1 (ens1f0): SLAVE to FAULTY on FAULT_DETECTED (FT_UNSPECIFIED)`
        : `ptp4l[${t}]: [${cfg}:5] port 1 (ens1f0): UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED`;
    case 3:
      return i % 4000 === 3 ? `ptp4l[${t}]: [${cfg}:3] timed out while polling for tx timestamp` : `not a ptp line ${i}`;
    case 4:
      return `I1202 10:00:00.000000 4021 event.go:120] ptp4l[1701510031]:[${cfg}] CLOCK_CLASS_CHANGE ${i % 80 === 4 ? 248 : 255}`;
    default:
      return i % 2
        ? `phc2sys[${t}]: [${cfg}:6] CLOCK_REALTIME phc offset ${String((i % 41) - 20).padStart(9)} s2 freq   +2744 delay    490`
        : `ptp4l[${t}]: [${cfg}:6] master offset ${String((i % 61) - 30).padStart(10)} s2 freq    -120 path delay       510`;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ptp-log-bench-'));
const file = join(dir, 'daemon.log');
const w = createWriteStream(file);
for (let i = 0; i < LINES; i++) if (!w.write(`${line(i)}\n`)) await once(w, 'drain');
w.end();
await once(w, 'finish');
const bytes = statSync(file).size;

global.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const rss0 = process.memoryUsage().rss;
let peakHeap = heap0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 20);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const r = await analyzeStream(createReadStream(file));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
// what the analysis retains (run with node --expose-gc for this figure; otherwise it includes garbage)
global.gc?.();
const retained = process.memoryUsage().heapUsed - heap0;
rmSync(dir, { recursive: true, force: true });

const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
console.table([
  {
    lines: r.lines,
    'file MB': mb(bytes),
    'wall ms': Math.round(ms),
    'lines/s': Math.round(r.lines / (ms / 1000)),
    'MB/s': Math.round(mb(bytes) / (ms / 1000)),
    'cpu ms': Math.round((cpu.user + cpu.system) / 1000),
    'heap growth peak MB': mb(peakHeap - heap0),
    [global.gc ? 'heap retained after gc MB' : 'heap after (no --expose-gc) MB']: mb(retained),
    'rss after - before MB': mb(process.memoryUsage().rss - rss0),
    unparsable: r.unparsable,
    transitions: r.portTransitionsTotal,
    faults: r.totalFaults,
    health: r.health,
  },
]);
