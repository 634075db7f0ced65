/**
 * EgressIP check, pure part: computeExpected + diffEgressIP at 1k, 10k, 100k pods (goal: 100k pods <= 250 ms
 * CPU on one core), on synthetic clusters whose NB rows are rendered as `ovn-nbctl --format=json` and parsed back
 * (the parse is measured separately: it is part of the read, not of the diff).
 *
 *   npx tsx bench/checks.bench.ts          (or: npm run bench -- checks; CHECKS_BENCH_SIZES=1000,10000)
 */
import { Bench } from 'tinybench';
import { synthCluster, renderNodeDump } from '../harness/checks/egressip/synthetic.ts';
import { parseNodeDump, DUMP_SEPARATOR } from '../harness/checks/egressip/nb-reader.ts';
import { parseTableJson, routerRefs, toAddressSetRows, toNatRows, toPolicyRows } from '../harness/checks/egressip/ovsdb-json.ts';
import { computeExpected } from '../harness/checks/egressip/expected.ts';
import { diffEgressIP } from '../harness/checks/egressip/diff.ts';
import type { NodeDump } from '../harness/checks/egressip/model.ts';

const SIZES = (process.env.CHECKS_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);

interface Row {
  pods: number;
  nodes: number;
  stack: string;
  snat: number;
  lrp: number;
  'parse cpu ms (all nodes)': number;
  'generic-cell parse cpu ms': number;
  'expected+diff ms (mean)': number;
  'p99 ms': number;
  'cpu ms (median)': number;
  samples: number;
  findings: number;
}

/** The generic parse (decoded cells into records, then typed rows): the reference the typed parse is measured against. */
function genericParse(text: string): number {
  const [natT, lrpT, asT, lrT] = text.split(DUMP_SEPARATOR);
  const refs = routerRefs(parseTableJson(lrT));
  return (
    toNatRows(parseTableJson(natT), refs).length +
    toPolicyRows(parseTableJson(lrpT), refs).length +
    toAddressSetRows(parseTableJson(asT)).length
  );
}

const cpuMs = (c0: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
};

const rows: Row[] = [];
for (const pods of SIZES) {
  for (const stack of ['ipv4', 'dual'] as const) {
    if (stack === 'dual' && pods > 10_000) continue;
    const eips = Math.max(1, Math.round(pods / 1000)) * 10;
    const nodes = Math.max(6, Math.ceil(pods / 240));
    const c = synthCluster({ nodes, eips, podsPerEip: Math.round(pods / eips), stack, seedUuids: false });
    // render + parse one node at a time (as the check reads them), keeping only the parsed rows
    // side by side: the typed parse the check runs, and the generic decoded-cell parse it replaced
    let parseMs = 0;
    let genericMs = 0;
    const actual = new Map<string, NodeDump>();
    for (const [n, d] of c.nb) {
      const text = renderNodeDump(d);
      const g0 = process.cpuUsage();
      genericParse(text);
      genericMs += cpuMs(g0);
      const p0 = process.cpuUsage();
      actual.set(n, parseNodeDump(n, text));
      parseMs += cpuMs(p0);
    }
    c.nb.clear();
    let findings = 0;
    const bench = new Bench({ time: pods >= 100_000 ? 5000 : 2000, iterations: 5, warmupIterations: 2 });
    bench.add(`${pods} pods ${stack}`, () => {
      const exp = computeExpected(c.api);
      findings = diffEgressIP(exp, actual).length;
    });
    await bench.run();
    const t = bench.tasks[0];
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`bench ${t.name} ${r.state}`);
    // CPU time per run (user+system of this process): what "on one core" means on a busy machine
    const cpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c0 = process.cpuUsage();
      diffEgressIP(computeExpected(c.api), actual);
      const d = process.cpuUsage(c0);
      cpu.push((d.user + d.system) / 1000);
    }
    cpu.sort((a, b) => a - b);
    const exp = computeExpected(c.api);
    rows.push({
      pods,
      nodes,
      stack,
      snat: exp.counts.snat,
      lrp: exp.counts.lrp,
      'parse cpu ms (all nodes)': Math.round(parseMs),
      'generic-cell parse cpu ms': Math.round(genericMs),
      'expected+diff ms (mean)': Number(r.latency.mean.toFixed(1)),
      'p99 ms': Number(r.latency.p99.toFixed(1)),
      'cpu ms (median)': Number(cpu[2].toFixed(1)),
      samples: r.latency.samplesCount,
      findings,
    });
    if (findings !== 0) throw new Error(`synthetic cluster of ${pods} pods should be consistent, got ${findings} findings`);
  }
}
console.table(rows);
const big = rows.find((r) => r.pods === 100_000);
if (big)
  console.log(
    `100k pods: ${big['expected+diff ms (mean)']} ms wall, ${big['cpu ms (median)']} ms CPU (goal <= 250 ms on one core) -> ${big['cpu ms (median)'] <= 250 ? 'OK' : 'OVER'}`,
  );
