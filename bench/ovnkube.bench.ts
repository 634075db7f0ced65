/**
 * sim/ovnkube benchmarks (CORENET-6498 shape: 10 EgressIPs x 200 pods = 2000 pods, 3 masters + 3 workers):
 *  - pure: desired state of one zone, and diff against an empty / a converged NB (tinybench);
 *  - real: a zone controller reconciling into a real ovsdb-server NB — startup sync from empty,
 *    restart sync on a converged DB, one pod event, one EgressIP status move.
 *
 *   npx tsx bench/ovnkube.bench.ts            (OVNKUBE_BENCH_PODS, OVNKUBE_BENCH_EIPS to change the size)
 * The real part needs ovsdb-server + the OVN NB schema (skipped with a note when missing).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { MemoryStore } from '../sim/api/store.ts';
import { defaultNodes, nodeAddressing } from '../sim/topology.ts';
import type { KubeObject, SimContext } from '../sim/types.ts';
import { desiredState, type ZoneState } from '../sim/ovnkube/desired-state.ts';
import { diffRows, type ActualState } from '../sim/ovnkube/diff.ts';
import { FaultSwitch } from '../sim/ovnkube/faults.ts';
import { GVR, egressIpInfo, namespaceInfo, nodeInfo, podInfo } from '../sim/ovnkube/k8s.ts';
import { connectNb } from '../sim/ovnkube/nb-conn.ts';
import { ZoneController } from '../sim/ovnkube/zone-controller.ts';

const PODS = Number(process.env.OVNKUBE_BENCH_PODS ?? 2000);
const EIPS = Number(process.env.OVNKUBE_BENCH_EIPS ?? 10);
const nodes = defaultNodes(3, 3);
const workers = nodes.filter((n) => n.role === 'worker');

function buildStore(): MemoryStore {
  const store = new MemoryStore();
  store.registry.add({
    group: 'k8s.ovn.org',
    version: 'v1',
    resource: 'egressips',
    kind: 'EgressIP',
    listKind: 'EgressIPList',
    singular: 'egressip',
    namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
    strategicPatch: false,
  });
  for (const n of nodes) {
    const a = nodeAddressing(n, 'ipv4');
    store.create(GVR.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        labels: { 'k8s.ovn.org/egress-assignable': '' },
        annotations: { 'k8s.ovn.org/node-id': String(n.id), 'k8s.ovn.org/host-cidrs': JSON.stringify([a.nodeIp.v4]) },
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  const perEip = Math.ceil(PODS / EIPS);
  for (let e = 0; e < EIPS; e++) {
    const ns = `egressip-${e}`;
    store.create(GVR.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
    });
    const egressNode = workers[e % workers.length].name;
    const ip = `192.168.126.${100 + e}`;
    store.create(GVR.egressips, {
      apiVersion: 'k8s.ovn.org/v1',
      kind: 'EgressIP',
      metadata: { name: `egressip-obj-${e}` },
      spec: {
        egressIPs: [ip],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        podSelector: { matchLabels: { app: 'client' } },
      },
      status: { items: [{ node: egressNode, egressIP: ip }] },
    });
    for (let i = 0; i < perEip && e * perEip + i < PODS; i++) {
      const k = e * perEip + i;
      const w = workers[k % workers.length];
      const base = (w.id - 1) * 2;
      const host = Math.floor(k / workers.length) + 10;
      const podIp = `10.128.${base + (host >> 8)}.${host & 255}`;
      store.create(GVR.pods, podObj(ns, `client-${i}`, w.name, podIp));
    }
  }
  return store;
}

function podObj(ns: string, name: string, node: string, ip: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'client' } },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

function zoneState(store: MemoryStore, zone: string): ZoneState {
  return {
    zone,
    ipStack: 'ipv4',
    nodes: store.list(GVR.nodes).map((o) => nodeInfo(o)),
    pods: store.list(GVR.pods).map(podInfo),
    namespaces: store.list(GVR.namespaces).map(namespaceInfo),
    eips: store.list(GVR.egressips).map(egressIpInfo),
  };
}

function asActual(rows: ReturnType<typeof desiredState>): ActualState {
  return { rows: rows.map((row, i) => ({ uuid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, row })) };
}

const ms = (t0: number): string => `${(performance.now() - t0).toFixed(1)} ms`;

async function pure(store: MemoryStore): Promise<void> {
  const zone = workers[0].name;
  const zs = zoneState(store, zone);
  const desired = desiredState(zs);
  const converged = asActual(desired);
  const nat = desired.filter((r) => r.table === 'NAT').length;
  const lrp = desired.filter((r) => r.table === 'Logical_Router_Policy' && r.priority === 100).length;
  console.log(
    `pure: ${PODS} pods, ${EIPS} EgressIPs, zone ${zone}: ${desired.length} rows (${nat} NAT incl. GR default SNAT, ${lrp} priority-100 LRPs)`,
  );
  const bench = new Bench({ time: 1000 });
  bench
    .add('desiredState (one zone, from typed views)', () => {
      desiredState(zs);
    })
    .add('zone state from the store + desiredState', () => {
      desiredState(zoneState(store, zone));
    })
    .add('diff vs empty NB (full insert)', () => {
      diffRows(desired, { rows: [] });
    })
    .add('diff vs converged NB (no-op)', () => {
      diffRows(desired, converged);
    })
    .add('desiredState + diff for all 6 zones', () => {
      for (const n of nodes) {
        const d = desiredState(zoneState(store, n.name));
        diffRows(d, { rows: [] });
      }
    });
  await bench.run();
  console.table(bench.table());
}

async function real(store: MemoryStore): Promise<void> {
  const schema = '/usr/share/ovn/ovn-nb.ovsschema';
  try {
    execFileSync('ovsdb-tool', ['--version']);
  } catch {
    console.log('real: skipped (ovsdb-tool not found; install ovn-central)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhk-bench-'));
  const db = path.join(dir, 'nb.db');
  const sock = path.join(dir, 'nb.sock');
  execFileSync('ovsdb-tool', ['create', db, schema]);
  const srv = spawn('ovsdb-server', [`--remote=punix:${sock}`, `--unixctl=${path.join(dir, 'nb.ctl')}`, '--no-chdir', db], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 300 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
    const ctx: SimContext = { store, workdir: dir, nodes, ipStack: 'ipv4', speed: 1, log: () => undefined, services: {} };
    const zone = workers[0].name;
    const mk = () =>
      new ZoneController({ ctx, node: zone, faults: new FaultSwitch(), connect: () => connectNb(sock), log: () => undefined });
    let z = mk();
    let t0 = performance.now();
    await z.start();
    console.log(`real: startup sync into an empty NB (${zone}): ${ms(t0)}, ${z.stats.ops} ops`);
    await z.stop();
    z = mk();
    t0 = performance.now();
    await z.start();
    console.log(`real: restart sync on a converged NB: ${ms(t0)} (${z.stats.ops} ops)`);
    t0 = performance.now();
    store.create(GVR.pods, podObj('egressip-0', 'client-new', zone, '10.128.9.250'));
    await new Promise((r) => setTimeout(r, 1));
    await z.idle();
    console.log(`real: one pod add event -> reconciled: ${ms(t0)} (last reconcile ${z.stats.lastReconcileMs.toFixed(1)} ms)`);
    t0 = performance.now();
    store.mutate(
      GVR.egressips,
      undefined,
      'egressip-obj-1',
      (o) => {
        o.status = { items: [{ node: workers[2].name, egressIP: '192.168.126.101' }] };
      },
      { subresource: 'status' },
    );
    await new Promise((r) => setTimeout(r, 1));
    await z.idle();
    console.log(`real: EgressIP status move (${Math.ceil(PODS / EIPS)} pods) -> reconciled: ${ms(t0)}`);
    const lines = execFileSync('ovn-nbctl', [`--db=unix:${sock}`, 'lr-policy-list', 'ovn_cluster_router'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => /^\s+100 /.test(l)).length;
    const nats = execFileSync('ovn-nbctl', [`--db=unix:${sock}`, 'lr-nat-list', `GR_${zone}`], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.startsWith('snat')).length;
    console.log(`real: ${zone} NB now holds ${lines} priority-100 LRPs and ${nats} SNATs on GR_${zone}`);
    await z.stop();
  } finally {
    srv.kill('SIGTERM');
    await new Promise((r) => srv.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const store = buildStore();
await pure(store);
await real(store);
