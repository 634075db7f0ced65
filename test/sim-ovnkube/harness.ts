/** Runtime test harness: real ovsdb-server NB per zone, MemoryStore, zone controllers. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStore } from '../../sim/api/store.ts';
import type { KubeObject, SimContext, SimNodeSpec } from '../../sim/types.ts';
import { nodeAddressing } from '../../sim/topology.ts';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { FaultSwitch } from '../../sim/ovnkube/faults.ts';
import { ZoneController } from '../../sim/ovnkube/zone-controller.ts';
import { connectNb } from '../../sim/ovnkube/nb-conn.ts';

export function newStore(): MemoryStore {
  const store = new MemoryStore();
  store.registry.add({
    group: 'k8s.ovn.org',
    version: 'v1',
    resource: 'egressips',
    kind: 'EgressIP',
    listKind: 'EgressIPList',
    singular: 'egressip',
    namespaced: false,
    shortNames: ['eip'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
    strategicPatch: false,
  });
  return store;
}

export class NbServer {
  proc: ChildProcess | undefined;
  constructor(
    readonly dir: string,
    readonly name: string,
  ) {}
  get sock(): string {
    return path.join(this.dir, `${this.name}.sock`);
  }
  get db(): string {
    return path.join(this.dir, `${this.name}.db`);
  }
  async start(): Promise<void> {
    if (!fs.existsSync(this.db)) execFileSync('ovsdb-tool', ['create', this.db, '/usr/share/ovn/ovn-nb.ovsschema']);
    this.proc = spawn(
      'ovsdb-server',
      [
        `--remote=punix:${this.sock}`,
        `--unixctl=${path.join(this.dir, `${this.name}.ctl`)}`,
        '--no-chdir',
        `--log-file=${path.join(this.dir, `${this.name}.log`)}`,
        this.db,
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200 && !fs.existsSync(this.sock); i++) await new Promise((r) => setTimeout(r, 10));
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await done;
  }
  nbctl(...args: string[]): string {
    return execFileSync('ovn-nbctl', [`--db=unix:${this.sock}`, ...args], { encoding: 'utf8' });
  }
}

export interface Env {
  dir: string;
  store: MemoryStore;
  ctx: SimContext;
  faults: FaultSwitch;
  servers: Map<string, NbServer>;
  zones: Map<string, ZoneController>;
  logs: Map<string, string[]>;
  startZone(node: string, onBroken?: () => void): Promise<ZoneController>;
  stopZone(node: string): Promise<void>;
  restartZone(node: string): Promise<ZoneController>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function makeEnv(nodes: SimNodeSpec[], ipStack: SimContext['ipStack'] = 'ipv4'): Promise<Env> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhk-'));
  const store = newStore();
  const faults = new FaultSwitch();
  const ctx: SimContext = { store, workdir: dir, nodes, ipStack, speed: 50, log: () => undefined, services: {} };
  const servers = new Map<string, NbServer>();
  const zones = new Map<string, ZoneController>();
  const logs = new Map<string, string[]>();
  for (const n of nodes) {
    const s = new NbServer(dir, n.name);
    await s.start();
    servers.set(n.name, s);
    logs.set(n.name, []);
    const a = nodeAddressing(n, ipStack);
    store.create(GVR.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        labels: { 'kubernetes.io/hostname': n.name, 'k8s.ovn.org/egress-assignable': '' },
        annotations: {
          'k8s.ovn.org/node-id': String(n.id),
          'k8s.ovn.org/node-primary-ifaddr': JSON.stringify({ ipv4: a.nodeIp.v4, ipv6: a.nodeIp.v6 }),
          'k8s.ovn.org/host-cidrs': JSON.stringify([a.nodeIp.v4, a.nodeIp.v6].filter(Boolean)),
        },
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  const env: Env = {
    dir,
    store,
    ctx,
    faults,
    servers,
    zones,
    logs,
    async startZone(node, onBroken) {
      const srv = servers.get(node);
      if (!srv) throw new Error(node);
      const z = new ZoneController({
        ctx,
        node,
        faults,
        connect: () => connectNb(srv.sock, 5000),
        log: (l) => logs.get(node)?.push(l),
        onBroken,
      });
      zones.set(node, z);
      await z.start();
      return z;
    },
    async stopZone(node) {
      await zones.get(node)?.stop();
      zones.delete(node);
    },
    async restartZone(node) {
      await env.stopZone(node);
      return env.startZone(node);
    },
    async idle() {
      await new Promise((r) => setTimeout(r, 10));
      for (const z of zones.values()) await z.idle();
    },
    async close() {
      for (const z of zones.values()) await z.stop();
      for (const s of servers.values()) await s.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

export function nsObj(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export function podObj(
  ns: string,
  name: string,
  node: string,
  ip: string | string[],
  labels: Record<string, string> = { app: 'web' },
  phase = 'Running',
): KubeObject {
  const ips = Array.isArray(ip) ? ip : [ip];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] },
    status: { phase, podIP: ips[0], podIPs: ips.map((i) => ({ ip: i })) },
  };
}

export function eipObj(
  name: string,
  ips: string[],
  nsName: string,
  status: { node: string; egressIP: string }[] = [],
  sel?: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'k8s.ovn.org/v1',
    kind: 'EgressIP',
    metadata: { name },
    spec: {
      egressIPs: ips,
      namespaceSelector: sel ?? { matchLabels: { 'kubernetes.io/metadata.name': nsName } },
      podSelector: { matchLabels: { app: 'web' } },
    },
    status: { items: status },
  };
}

export function setEipStatus(store: MemoryStore, name: string, items: { node: string; egressIP: string }[]): void {
  store.mutate(
    GVR.egressips,
    undefined,
    name,
    (o) => {
      o.status = { items };
    },
    { subresource: 'status' },
  );
}

/** lines of lr-policy-list with priority 100 */
export function reroutes(s: NbServer): string[] {
  return s
    .nbctl('lr-policy-list', 'ovn_cluster_router')
    .split('\n')
    .filter((l) => /^\s+100 /.test(l));
}

export function eipSnats(s: NbServer, router: string, eip: string): string[] {
  return s
    .nbctl('lr-nat-list', router)
    .split('\n')
    .filter((l) => l.startsWith('snat') && l.includes(eip));
}
