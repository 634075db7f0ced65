/**
 * Real OVN/OVS per sim node: 3-node bring-up in netns, port binding, flows, ovn-trace, exec env,
 * pod restart keeps the DBs, host restart, event-driven lifecycle, kill -9 recovery, clean stop.
 * Needs root and the ovn-central ovn-host openvswitch-switch packages.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_V4, defaultNodes } from '../../sim/topology.ts';
import type { KubeObject } from '../../sim/types.ts';
import {
  NB_DB,
  OVN_STATE_FILE,
  OvnCluster,
  SB_DB,
  dumpNb,
  fromOvsUuid,
  getOvnNode,
  netnsName,
  clusterIdFor,
  runRootFor,
  toOvsSet,
  namedUuid,
  type OvnStateFile,
} from '../../sim/ovn/index.ts';
import { findPidsByCmdline, isAlive } from '../../sim/ovn/proc.ts';
import { derivedNice, OVN_NICE_ENV } from '../../sim/ovn/node.ts';
import { reapOrphans } from '../../sim/ovn/cluster.ts';
import { fakeCtx } from './fake-ctx.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function netnsList(): string[] {
  try {
    return fs.readdirSync('/run/netns');
  } catch {
    return [];
  }
}

function ovnkubePod(name: string, node: string, phase: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'openshift-ovn-kubernetes', labels: { app: 'ovnkube-node' } },
    spec: { nodeName: node },
    status: { phase },
  };
}

describe('OVN per sim node (3 nodes)', () => {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nh-ovn-test-'));
  const lines: string[] = [];
  const ctx = fakeCtx(workdir, defaultNodes(1, 2), lines);
  let ovn: OvnCluster | undefined;

  const niceBefore = process.env[OVN_NICE_ENV];
  beforeAll(async () => {
    const t0 = Date.now();
    // the derived-state daemons at nice 10 (the default is 0): checked below, restarts included
    process.env[OVN_NICE_ENV] = '10';
    ovn = await OvnCluster.start(ctx, { restartDelayMs: 100 });
    lines.push(`bring-up ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    if (niceBefore === undefined) delete process.env[OVN_NICE_ENV];
    else process.env[OVN_NICE_ENV] = niceBefore;
    await ovn?.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  it('registers services and writes ovn-state.json', () => {
    expect(ctx.services.ovnExec).toBeTypeOf('function');
    expect(ctx.services.ovnLifecycle).toBe(ovn);
    const st = JSON.parse(fs.readFileSync(path.join(workdir, OVN_STATE_FILE), 'utf8')) as OvnStateFile;
    expect(Object.keys(st.nodes)).toEqual(['master-0', 'worker-0', 'worker-1']);
    expect(Object.keys(st.nodes['worker-0'].pids).sort()).toEqual([
      'ovn-controller',
      'ovn-northd',
      'ovs-vswitchd',
      'ovsdb-server',
      'ovsdb-server-nb',
      'ovsdb-server-sb',
    ]);
    expect(fs.readlinkSync(path.join(workdir, 'nodes', 'worker-0', 'run'))).toBe(getOvnNode(ctx, 'worker-0').paths.rundir);
  });

  it('NETHARNESS_SIM_OVN_NICE: default 0, 0..19, anything else is an error naming the variable', () => {
    expect(derivedNice({})).toBe(0);
    expect(derivedNice({ [OVN_NICE_ENV]: '' })).toBe(0);
    expect(derivedNice({ [OVN_NICE_ENV]: '19' })).toBe(19);
    for (const bad of ['-1', '20', '1.5', 'high']) expect(() => derivedNice({ [OVN_NICE_ENV]: bad })).toThrow(OVN_NICE_ENV);
  });

  it('with NETHARNESS_SIM_OVN_NICE=10 the derived-state daemons run at nice 10 (NB and conf.db servers at 0); appctl over the unixctl socket answers like ovn-appctl', async () => {
    const nice = (pid: number | undefined): number => {
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const pids = getOvnNode(ctx, 'worker-0').pids();
    expect(
      Object.fromEntries(
        ['ovn-northd', 'ovsdb-server-sb', 'ovn-controller', 'ovs-vswitchd', 'ovsdb-server-nb', 'ovsdb-server'].map((k) => [
          k,
          nice(pids[k as keyof typeof pids]),
        ]),
      ),
    ).toEqual({
      'ovn-northd': 10,
      'ovsdb-server-sb': 10,
      'ovn-controller': 10,
      'ovs-vswitchd': 10,
      'ovsdb-server-nb': 0,
      'ovsdb-server': 0,
    });
    const n = getOvnNode(ctx, 'worker-0');
    const viaExec = await ctx.services.ovnExec?.('worker-0', ['ovn-appctl', '-t', 'ovn-northd', 'status'], {
      stdout: new Writable({ write: (_c, _e, cb) => cb() }),
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    expect(viaExec?.exitCode).toBe(0);
    expect(await n.appctl('ovn-northd', 'status')).toMatch(/^Status: active/);
    expect(await n.appctl('ovn-controller', 'connection-status')).toMatch(/^connected/);
    await expect(n.appctl('ovn-northd', 'no-such-command')).rejects.toThrow(/not a valid command/);
  });

  it('ovs-vsctl show lists br-int and br-ex (netdev), ip addr shows the node IP on br-ex, default route via the gateway', async () => {
    for (const [name, ip] of [
      ['master-0', '192.168.126.11'],
      ['worker-0', '192.168.126.12'],
      ['worker-1', '192.168.126.13'],
    ]) {
      const n = getOvnNode(ctx, name);
      const show = await n.execCapture(['ovs-vsctl', 'show']);
      expect(show.exitCode).toBe(0);
      expect(show.stdout).toContain('Bridge br-int');
      expect(show.stdout).toContain('Bridge br-ex');
      expect(show.stdout).toContain('datapath_type: netdev');
      const addr = await n.execCapture(['ip', '-4', 'addr', 'show', 'br-ex']);
      expect(addr.stdout).toContain(`inet ${ip}/24`);
      const route = await n.execCapture(['ip', 'route']);
      expect(route.stdout).toContain(`default via ${GATEWAY_V4} dev br-ex`);
      const ext = await n.execCapture(['ovs-vsctl', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-encap-ip', 'external_ids:system-id']);
      expect(ext.stdout.replace(/"/g, '').trim().split('\n')).toEqual([ip, name]);
    }
  });

  it('each node is its own zone: ovn-sbctl show lists only its own chassis', async () => {
    for (const name of ['master-0', 'worker-0', 'worker-1']) {
      const r = await getOvnNode(ctx, name).execCapture(['ovn-sbctl', 'show']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`Chassis ${name}`);
      expect(r.stdout.match(/Chassis /g)).toHaveLength(1);
    }
  });

  it('ovn-controller claims a port bound to an OVS interface; br-int gets flows; ovn-trace answers', async () => {
    const n = getOvnNode(ctx, 'worker-0');
    const nb = await n.nbClient();
    try {
      await nb.transact(NB_DB, [
        {
          op: 'insert',
          table: 'Logical_Switch_Port',
          row: { name: 'ns1_pod1', addresses: toOvsSet(['0a:58:0a:80:02:05 10.128.2.5']) },
          'uuid-name': 'p',
        },
        { op: 'insert', table: 'Logical_Switch', row: { name: 'worker-0', ports: toOvsSet([namedUuid('p')]) } },
      ]);
    } finally {
      await nb.close();
    }
    const add = await n.execCapture([
      'ovs-vsctl',
      'add-port',
      'br-int',
      'pod1',
      '--',
      'set',
      'Interface',
      'pod1',
      'type=internal',
      'external_ids:iface-id=ns1_pod1',
    ]);
    expect(add.stderr).toBe('');
    const sb = await n.sbClient();
    try {
      await until('port binding claimed', async () => {
        const [pb] = await sb.select(SB_DB, 'Port_Binding', [['logical_port', '==', 'ns1_pod1']], ['chassis']);
        return pb !== undefined && fromOvsUuid(pb.chassis) !== undefined;
      });
    } finally {
      await sb.close();
    }
    const show = await n.execCapture(['ovn-sbctl', 'show']);
    expect(show.stdout).toContain('Port_Binding ns1_pod1');
    const flows = await n.execCapture(['ovs-ofctl', 'dump-flows', 'br-int']);
    expect(flows.exitCode).toBe(0);
    expect(flows.stdout.split('\n').length).toBeGreaterThan(50);
    const trace = await n.execCapture([
      'ovn-trace',
      'worker-0',
      'inport == "ns1_pod1" && eth.src == 0a:58:0a:80:02:05 && eth.dst == ff:ff:ff:ff:ff:ff',
    ]);
    expect(trace.exitCode).toBe(0);
    expect(trace.stdout).toContain('ingress(dp="worker-0", inport="ns1_pod1")');
    const dump = await dumpNb(n, ['Logical_Switch', 'Logical_Switch_Port']);
    expect(dump.Logical_Switch.map((r) => r.name)).toEqual(['worker-0']);
    expect(dump.Logical_Switch_Port).toHaveLength(1);
  });

  it('exec environment: appctl targets by name, env vars, missing binary -> 127', async () => {
    const n = getOvnNode(ctx, 'master-0');
    const v = await n.execCapture(['ovs-appctl', '-t', 'ovn-controller', 'version']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain('ovn-controller');
    const st = await n.execCapture(['ovn-appctl', '-t', 'ovn-northd', 'status']);
    expect(st.stdout).toContain('Status: active');
    const nbctl = await n.execCapture(['ovs-appctl', '-t', `${n.paths.rundir}/ovnnb_db.ctl`, 'ovsdb-server/list-dbs']);
    expect(nbctl.stdout).toContain('OVN_Northbound');
    // the image's paths work too
    const real = await n.execCapture(['ovn-appctl', '-t', '/var/run/ovn/ovnnb_db.ctl', 'ovsdb-server/list-dbs']);
    expect(real.stdout).toContain('OVN_Northbound');
    const realDb = await n.execCapture(['ovs-vsctl', '--db=unix:/var/run/openvswitch/db.sock', 'br-exists', 'br-int']);
    expect(realDb.exitCode).toBe(0);
    const sbctl = await n.execCapture(['ovn-sbctl', '--db', 'unix:/run/ovn/ovnsb_db.sock', 'list', 'Chassis']);
    expect(sbctl.stdout).toContain('master-0');
    const log = await n.execCapture(['tail', '-n', '1', '/var/log/ovn/ovn-controller.log']);
    expect(log.stdout).toMatch(/\|/);
    const env = await n.execCapture(['env']);
    expect(env.stdout).toContain(`OVN_NB_DB=unix:${n.nbSocket}`);
    const missing = await n.execCapture(['nosuchbinary', '--help']);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('exec: "nosuchbinary": executable file not found in $PATH');
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const viaService = await ctx.services.ovnExec!('worker-1', ['ovn-nbctl', '--version'], { stdout: sink, stderr: sink });
    expect(viaService.exitCode).toBe(0);
    expect(out).toContain('ovn-nbctl');
  });

  it('stopOvnPod/startOvnPod keeps the NB contents; stopHost/startHost brings br-ex back with the node IP', async () => {
    const n = getOvnNode(ctx, 'worker-1');
    const nb = await n.nbClient();
    await nb.transact(NB_DB, [{ op: 'insert', table: 'Logical_Router', row: { name: 'ovn_cluster_router' } }]);
    await nb.close();
    const before = n.pids();
    await ovn!.stopOvnPod('worker-1');
    expect(n.ovnPodRunning).toBe(false);
    expect(isAlive(before['ovsdb-server-nb']!)).toBe(false);
    expect(isAlive(before['ovn-controller']!)).toBe(false);
    expect(isAlive(before['ovs-vswitchd']!)).toBe(true);
    expect(fs.existsSync(n.nbSocket)).toBe(false);
    const down = await n.execCapture(['ovn-nbctl', '--timeout=2', 'show']);
    expect(down.exitCode).not.toBe(0);
    await ovn!.startOvnPod('worker-1');
    expect((await n.dumpNb(['Logical_Router'])).Logical_Router.map((r) => r.name)).toEqual(['ovn_cluster_router']);

    await ovn!.stopHost('worker-1');
    expect(n.hostRunning).toBe(false);
    expect(isAlive(before['ovs-vswitchd']!)).toBe(false);
    const dead = await n.execCapture(['ip', 'link', 'show', 'br-ex']);
    expect(dead.exitCode).not.toBe(0);
    expect(dead.stderr).toContain('is not running');
    await ovn!.startHost('worker-1');
    await ovn!.startOvnPod('worker-1');
    expect((await n.execCapture(['ip', '-4', 'addr', 'show', 'br-ex'])).stdout).toContain('inet 192.168.126.13/24');
    expect((await n.execCapture(['ovn-sbctl', 'show'])).stdout).toContain('Chassis worker-1');
    expect((await n.dumpNb(['Logical_Router'])).Logical_Router).toHaveLength(1);
  });

  it('a crashed daemon is restarted (as the kubelet / systemd would)', async () => {
    const n = getOvnNode(ctx, 'worker-0');
    const old = n.pids()['ovn-controller']!;
    process.kill(old, 'SIGKILL');
    await until('ovn-controller restarted', () => (n.pids()['ovn-controller'] ?? old) !== old);
    expect(lines.join('\n')).toMatch(/ovn-controller on worker-0 exited unexpectedly \(SIGKILL\); restarting in 100 ms/);
    await until(
      'ovs-appctl reaches the new ovn-controller',
      async () => (await n.execCapture(['ovs-appctl', '-t', 'ovn-controller', 'version'])).exitCode === 0,
    );
  });

  it('a clean exit (ovn-appctl exit) stays down until startOvnPod, which starts only what is missing', async () => {
    const n = getOvnNode(ctx, 'worker-0');
    const nbPid = n.pids()['ovsdb-server-nb'];
    const r = await n.execCapture(['ovn-appctl', '-t', 'ovn-northd', 'exit']);
    expect(r.exitCode).toBe(0);
    await until('northd gone', () => n.pids()['ovn-northd'] === undefined);
    await new Promise((res) => setTimeout(res, 300));
    expect(n.pids()['ovn-northd']).toBeUndefined();
    expect(lines.join('\n')).toContain('ovn-northd on worker-0 exited (exit 0); not restarted');
    await ovn!.startOvnPod('worker-0');
    expect(n.pids()['ovn-northd']).toBeDefined();
    expect(n.pids()['ovsdb-server-nb']).toBe(nbPid);
  });

  it('follows ovnkube-node pods and the rebooting annotation in the store', async () => {
    const n = getOvnNode(ctx, 'master-0');
    ctx.store.create(PODS, ovnkubePod('ovnkube-node-a', 'master-0', 'Running'));
    ctx.store.mutate(PODS, 'openshift-ovn-kubernetes', 'ovnkube-node-a', (p) => (p.metadata.deletionTimestamp = new Date().toISOString()));
    await until('ovn pod stopped', () => !n.ovnPodRunning);
    ctx.store.delete(PODS, 'openshift-ovn-kubernetes', 'ovnkube-node-a');
    ctx.store.create(PODS, ovnkubePod('ovnkube-node-b', 'master-0', 'Pending'));
    await new Promise((r) => setTimeout(r, 100));
    expect(n.ovnPodRunning).toBe(false);
    ctx.store.mutate(PODS, 'openshift-ovn-kubernetes', 'ovnkube-node-b', (p) => (p.status = { phase: 'Running' }));
    await until('ovn pod started', () => n.ovnPodRunning);

    ctx.store.create(NODES, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'master-0', annotations: { 'sim.netharness.io/rebooting': 'true' } },
    });
    await until('host stopped', () => !n.hostRunning && !n.ovnPodRunning);
    ctx.store.mutate(NODES, undefined, 'master-0', (o) => delete o.metadata.annotations!['sim.netharness.io/rebooting']);
    await until('host and pod back', () => n.hostRunning && n.ovnPodRunning);
    expect((await n.execCapture(['ovn-sbctl', 'show'])).stdout).toContain('Chassis master-0');
  });

  it('stop leaves no processes and no netns', async () => {
    const root = ovn!.runRoot;
    const names = [...ovn!.nodes.values()].map((n) => n.netns);
    await ovn!.stop();
    expect(findPidsByCmdline([`${root}/`, `${workdir}/`])).toEqual([]);
    expect(netnsList().filter((x) => names.includes(x))).toEqual([]);
    expect(fs.existsSync(root)).toBe(false);
    expect(ctx.services.ovnExec).toBeUndefined();
  });
});

describe('OVN after kill -9 of the sim', () => {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nh-ovn-crash-'));
  let ovn: OvnCluster | undefined;
  afterAll(async () => {
    await ovn?.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  it('orphans of a dead owner are reaped; the next start with the same workdir cleans its stale state', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'crash-child.ts'), workdir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const sig = await new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    expect(sig).toBe('SIGKILL');
    const m = /READY (\{.*\})/.exec(out);
    expect(m).not.toBeNull();
    const stalePids = Object.values(JSON.parse(m![1]) as Record<string, number>);
    expect(stalePids).toHaveLength(6);
    expect(stalePids.every(isAlive)).toBe(true);
    // also a daemon that died on its own, leaving its pidfile
    process.kill(stalePids[0], 'SIGKILL');
    const cid = clusterIdFor(workdir);
    expect(netnsList()).toContain(netnsName(cid, 1));
    expect(fs.existsSync(path.join(workdir, OVN_STATE_FILE))).toBe(true);

    // any later sim start (whatever its workdir) reaps what a dead owner left in /tmp/nh-<id>
    const lines: string[] = [];
    await reapOrphans((l) => lines.push(l));
    await until('stale daemons gone', () => !stalePids.some(isAlive), 5000);
    expect(netnsList()).not.toContain(netnsName(cid, 1));
    expect(fs.existsSync(runRootFor(cid))).toBe(false);
    const ctx = fakeCtx(workdir, [{ name: 'crash-0', role: 'worker', id: 1 }], lines);
    ovn = await OvnCluster.start(ctx, { watch: false });
    expect(lines.join('\n')).toMatch(/cleaned up stale OVN state/);
    // the dead owner's runtime dir was reaped (by this start or a concurrent one) and replaced by ours
    expect(JSON.parse(fs.readFileSync(path.join(runRootFor(cid), 'owner.json'), 'utf8'))).toMatchObject({
      pid: process.pid,
      workdir: path.resolve(workdir),
    });
    expect(stalePids.some(isAlive)).toBe(false);
    const n = ovn.node('crash-0');
    expect((await n.execCapture(['ovn-sbctl', 'show'])).stdout).toContain('Chassis crash-0');
    await ovn.stop();
    expect(findPidsByCmdline([`${runRootFor(cid)}/`])).toEqual([]);
    expect(netnsList()).not.toContain(netnsName(cid, 1));
  });
});
