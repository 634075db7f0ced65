/**
 * sim/ovn benchmarks: 6-node OVN bring-up (real processes, netns) and NB transaction throughput
 * (2000 EgressIP-style SNAT rows on GR_<node>: one transaction vs batches vs one per transaction,
 * plus the time northd takes to apply them, via NB_Global nb_cfg -> sb_cfg).
 *
 *   npx tsx bench/ovn.bench.ts            (or: npm run bench -- ovn)
 * Needs root and the OVN/OVS packages (installed automatically as root with apt).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  NB_DB,
  OvnCluster,
  namedUuid,
  toOvsMap,
  toOvsSet,
  uuid,
  fromOvsUuid,
  type OvsdbClient,
  type OvsdbOperation,
} from '../sim/ovn/index.ts';
import { defaultNodes } from '../sim/topology.ts';
import type { GroupVersionResource, KubeObject, ObjectStore, SimContext } from '../sim/types.ts';

const ROWS = Number(process.env.OVN_BENCH_ROWS ?? 2000);
const BRINGUP_RUNS = Number(process.env.OVN_BENCH_RUNS ?? 3);

/** No API objects in this bench: an empty store. */
const emptyStore: ObjectStore = {
  get: () => undefined,
  list: () => [],
  create: (_g: GroupVersionResource, o: KubeObject) => o,
  update: (_g: GroupVersionResource, o: KubeObject) => o,
  mutate: () => undefined,
  mutateMetadata: () => undefined,
  delete: () => undefined,
  watch: () => () => undefined,
};

function ctxFor(workdir: string, nodes = 6): SimContext {
  return { store: emptyStore, workdir, nodes: defaultNodes(3, nodes - 3), ipStack: 'ipv4', speed: 1, log: () => undefined, services: {} };
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

function natRow(i: number) {
  return {
    type: 'snat',
    external_ip: '192.168.126.100',
    logical_ip: `10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
    logical_port: `k8s-worker-0`,
    external_ids: toOvsMap({
      'k8s.ovn.org/owner-controller': 'default-network-controller',
      'k8s.ovn.org/owner-type': 'EgressIP',
      'k8s.ovn.org/name': `eip-1_ns-${i % 50}/pod-${i}`,
      'ip-family': 'ip4',
      'k8s.ovn.org/id': `default-network-controller:EgressIP:eip-1_ns-${i % 50}/pod-${i}:ip4`,
    }),
  };
}

async function newRouter(c: OvsdbClient, name: string): Promise<string> {
  const [r] = await c.transact(NB_DB, [{ op: 'insert', table: 'Logical_Router', row: { name } }]);
  return fromOvsUuid(r.uuid)!;
}

function insertNats(router: string, from: number, to: number): OvsdbOperation[] {
  const ops: OvsdbOperation[] = [];
  for (let i = from; i < to; i++) ops.push({ op: 'insert', table: 'NAT', row: natRow(i), 'uuid-name': `n${i}` });
  ops.push({
    op: 'mutate',
    table: 'Logical_Router',
    where: [['_uuid', '==', uuid(router)]],
    mutations: [['nat', 'insert', toOvsSet(Array.from({ length: to - from }, (_, k) => namedUuid(`n${from + k}`)))]],
  });
  return ops;
}

/** Bump nb_cfg and wait until northd reports it applied (sb_cfg). */
async function northdSync(c: OvsdbClient): Promise<number> {
  const t0 = performance.now();
  const [, sel] = await c.transact(NB_DB, [
    { op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] },
    { op: 'select', table: 'NB_Global', where: [], columns: ['nb_cfg'] },
  ]);
  const want = Number(sel.rows?.[0]?.nb_cfg);
  for (;;) {
    const [g] = await c.select(NB_DB, 'NB_Global', [], ['sb_cfg']);
    if (Number(g.sb_cfg) >= want) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('ovn bench: skipped (needs root for ip netns)');
    return;
  }
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nh-ovn-bench-'));
  const rows: Record<string, string | number>[] = [];
  let cluster: OvnCluster | undefined;
  try {
    // --- bring-up ---
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < BRINGUP_RUNS; i++) {
      const t0 = performance.now();
      cluster = await OvnCluster.start(ctxFor(workdir), { watch: false, resetDbs: true });
      up.push(performance.now() - t0);
      if (i < BRINGUP_RUNS - 1) {
        const t1 = performance.now();
        await cluster.stop();
        down.push(performance.now() - t1);
        cluster = undefined;
      }
    }
    const u = stats(up);
    rows.push({
      case: `6-node bring-up (${BRINGUP_RUNS} runs, fresh DBs)`,
      min_ms: u.min.toFixed(0),
      median_ms: u.median.toFixed(0),
      max_ms: u.max.toFixed(0),
      rows_per_s: '',
    });
    if (down.length) {
      const d = stats(down);
      rows.push({
        case: '6-node stop',
        min_ms: d.min.toFixed(0),
        median_ms: d.median.toFixed(0),
        max_ms: d.max.toFixed(0),
        rows_per_s: '',
      });
    }

    // --- NB throughput on worker-0 ---
    const node = cluster!.node('worker-0');
    const c = await node.nbClient();
    try {
      await northdSync(c); // NB_Global exists, northd idle
      const modes: { name: string; run: (router: string) => Promise<void> }[] = [
        { name: `${ROWS} NAT in 1 transact`, run: async (r) => void (await c.transact(NB_DB, insertNats(r, 0, ROWS))) },
        {
          name: `${ROWS} NAT in batches of 100`,
          run: async (r) => {
            for (let i = 0; i < ROWS; i += 100) await c.transact(NB_DB, insertNats(r, i, Math.min(ROWS, i + 100)));
          },
        },
        {
          name: `${ROWS} NAT, 1 per transact (sequential)`,
          run: async (r) => {
            for (let i = 0; i < ROWS; i++) await c.transact(NB_DB, insertNats(r, i, i + 1));
          },
        },
        {
          name: `${ROWS} NAT, 1 per transact (pipelined)`,
          run: async (r) => void (await Promise.all(Array.from({ length: ROWS }, (_, i) => c.transact(NB_DB, insertNats(r, i, i + 1))))),
        },
      ];
      for (const m of modes) {
        const router = await newRouter(c, `GR_bench`);
        const t0 = performance.now();
        await m.run(router);
        const ms = performance.now() - t0;
        const [{ nat }] = await c.select(NB_DB, 'Logical_Router', [['_uuid', '==', uuid(router)]], ['nat']);
        const n = Array.isArray(nat) && nat[0] === 'set' ? (nat[1] as unknown[]).length : 1;
        if (n !== ROWS) throw new Error(`${m.name}: router has ${n} NATs, expected ${ROWS}`);
        const sync = await northdSync(c);
        rows.push({
          case: m.name,
          min_ms: ms.toFixed(0),
          median_ms: ms.toFixed(0),
          max_ms: ms.toFixed(0),
          rows_per_s: Math.round((ROWS / ms) * 1000),
        });
        rows.push({
          case: '  + northd applies it (nb_cfg->sb_cfg)',
          min_ms: sync.toFixed(0),
          median_ms: sync.toFixed(0),
          max_ms: sync.toFixed(0),
          rows_per_s: '',
        });
        if (m === modes[0]) {
          const t1 = performance.now();
          const dump = await node.dumpNb([
            'Logical_Router',
            'NAT',
            'Logical_Router_Policy',
            'Address_Set',
            'Logical_Switch',
            'Logical_Switch_Port',
          ]);
          const dms = performance.now() - t1;
          rows.push({
            case: `dumpNb 6 tables (${dump.NAT.length} NAT)`,
            min_ms: dms.toFixed(1),
            median_ms: dms.toFixed(1),
            max_ms: dms.toFixed(1),
            rows_per_s: '',
          });
        }
        await c.transact(NB_DB, [{ op: 'delete', table: 'Logical_Router', where: [['_uuid', '==', uuid(router)]] }]);
        await northdSync(c);
      }
    } finally {
      await c.close();
    }
  } finally {
    await cluster?.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  }
  console.log(`ovn bench on ${os.cpus().length} CPU(s), ${os.cpus()[0]?.model ?? ''}`);
  console.table(rows);
}

await main();
