/**
 * EgressIP check, pure part: computeExpected + diffEgressIP at 1k, 10k, 100k pods (goal: 100k pods <= 250 ms
 * CPU on one core), on synthetic clusters whose NB rows are rendered as `ovn-nbctl --format=json` and parsed back
 * (the parse is measured separately: it is part of the read, not of the diff).
 *
 * The read's CPU, old and new side by side in one process (CPU medians): each node's dump as the exec hands it
 * over (16 KiB chunks of NB_READ_ARGV's one-document-per-line output) parsed from one string of the whole dump
 * (Buffer.concat + toString + parseNodeDump, what the check did) vs line by line as it streams (NbDumpStream);
 * and the API's pod list (pods shaped as the embedded cluster serves them, ~2.5 KB each) through JSON.parse +
 * podInfo vs the byte scan (parsePodList).
 *
 *   npx tsx bench/checks.bench.ts          (or: npm run bench -- checks; CHECKS_BENCH_SIZES=1000,10000)
 */
import { Bench } from 'tinybench';
import { synthCluster, renderNodeDump } from '../harness/checks/egressip/synthetic.ts';
import { parseNodeDump, DUMP_SEPARATOR, NbDumpStream } from '../harness/checks/egressip/nb-reader.ts';
import { renderAsJson, renderLrpJson, renderNatJson, renderRouterJson, type SynthNode } from '../harness/checks/egressip/synthetic.ts';
import { parsePodList } from '../harness/checks/egressip/pod-list.ts';
import { podInfo } from '../harness/checks/egressip/collect.ts';
import type * as k8s from '@kubernetes/client-node';
import type { ApiState } from '../harness/checks/egressip/model.ts';
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
  'string parse cpu ms (old)': number;
  'streamed parse cpu ms (new)': number;
  'pod list JSON.parse cpu ms (old)': number;
  'pod list scan cpu ms (new)': number;
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

/** NB_READ_ARGV's output of a node, in the chunks a websocket exec delivers. */
function execChunks(d: SynthNode): Buffer[] {
  const b = Buffer.from([renderNatJson(d.nat), renderLrpJson(d.lrp), renderAsJson(d.as), renderRouterJson(d.routers)].join('\n') + '\n');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 16384) out.push(Buffer.from(b.subarray(i, i + 16384)));
  return out;
}

/** The API's PodList body for the synthetic pods, each padded as the embedded cluster serves a pod. */
function podListChunks(api: ApiState): Buffer[] {
  const items = api.pods.map((p, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      generateName: `${p.name.slice(0, -5)}-`,
      namespace: p.namespace,
      labels: p.labels,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'client-7cf8f96579', uid: `u-${i}`, controller: true }],
      uid: `38609a03-0b62-4726-805b-${String(i).padStart(12, '0')}`,
      creationTimestamp: '2026-12-03T16:31:09Z',
      resourceVersion: String(1000 + i),
      annotations: {
        'k8s.ovn.org/pod-networks': JSON.stringify({
          default: { ip_addresses: p.ips.map((x) => `${x}/23`), mac_address: '0a:58:0a:80:0a:13', role: 'primary' },
        }),
      },
    },
    spec: {
      containers: [{ image: 'registry.k8s.io/pause:3.10', name: 'pause', resources: { requests: { cpu: '1m', memory: '8Mi' } } }],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      nodeName: p.node,
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
    },
    status: {
      phase: p.phase,
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: '2026-12-03T16:31:09Z',
      })),
      hostIP: '192.168.126.16',
      startTime: '2026-12-03T16:31:09Z',
      containerStatuses: [{ name: 'pause', state: { running: { startedAt: '2026-12-03T16:31:09Z' } }, ready: true, restartCount: 0 }],
      podIP: p.ips[0],
      podIPs: p.ips.map((ip) => ({ ip })),
    },
  }));
  const b = Buffer.from(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items }));
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 16384) out.push(Buffer.from(b.subarray(i, i + 16384)));
  return out;
}

/** Median CPU ms of `f` over `n` alternating runs of each (old and new side by side). */
function sideBySide(n: number, old: () => unknown, neu: () => unknown): [number, number] {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    let c0 = process.cpuUsage();
    old();
    a.push(cpuMs(c0));
    c0 = process.cpuUsage();
    neu();
    b.push(cpuMs(c0));
  }
  const med = (xs: number[]): number => xs.sort((x, y) => x - y)[xs.length >> 1];
  return [med(a), med(b)];
}

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
    const chunks = [...c.nb].map(([n, d]) => [n, execChunks(d)] as const);
    const [stringMs, streamMs] = sideBySide(
      pods >= 100_000 ? 3 : 7,
      () => {
        for (const [n, ch] of chunks) parseNodeDump(n, Buffer.concat(ch).toString('utf8'));
      },
      () => {
        for (const [n, ch] of chunks) {
          const st = new NbDumpStream(n);
          for (const x of ch) st.push(x);
          st.done();
        }
      },
    );
    const list = podListChunks(c.api);
    const [podsOld, podsNew] = sideBySide(
      pods >= 100_000 ? 3 : 7,
      () => ((JSON.parse(Buffer.concat(list).toString('utf8')) as k8s.V1PodList).items ?? []).map(podInfo),
      () => parsePodList(Buffer.concat(list)).pods,
    );
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
      'string parse cpu ms (old)': Math.round(stringMs),
      'streamed parse cpu ms (new)': Math.round(streamMs),
      'pod list JSON.parse cpu ms (old)': Math.round(podsOld),
      'pod list scan cpu ms (new)': Math.round(podsNew),
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
