/**
 * A small must-gather in the layout `oc adm must-gather -- gather_network_logs` writes (see mcp/must-gather.ts
 * for the upstream sources): one image directory with `oc adm inspect` lists and per-object files, pod logs
 * with RFC 3339 timestamps (current and previous), and network_logs/ovnk_database_store.tar.gz holding each
 * ovnkube-node pod's NB (standalone, with rows) and SB (a raft cluster file) DB. Built from real DB files
 * (ovsdb-tool + ovn-nbctl against a throwaway ovsdb-server).
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

const NODES = ['worker-0', 'worker-1'];
const podOf = (node: string) => `ovnkube-node-${node === 'worker-0' ? 'k7x2p' : 'q9w4d'}`;

async function makeNb(file: string, scratch: string, node: string): Promise<void> {
  execFileSync('ovsdb-tool', ['create', file, '/usr/share/ovn/ovn-nb.ovsschema']);
  const sock = join(scratch, `${node}.sock`);
  const p = spawn('ovsdb-server', [`--remote=punix:${sock}`, `--unixctl=${join(scratch, `${node}.ctl`)}`, '--no-chdir', file], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
  const nb = (...a: string[]) => execFileSync('ovn-nbctl', [`--db=unix:${sock}`, ...a]);
  nb('lr-add', `GR_${node}`);
  nb('lr-add', 'ovn_cluster_router');
  nb('ls-add', node);
  nb('lsp-add', node, `k8s-${node}`);
  if (node === 'worker-0') nb('lr-nat-add', `GR_${node}`, 'snat', '172.18.0.100', '10.128.2.5');
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
}

const y = (file: string, v: unknown) => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, YAML.stringify(v));
};

/** Returns the must-gather output directory (must-gather.local.N) — the path a user passes to --bundle. */
export async function makeMustGather(): Promise<string> {
  const top = mkdtempSync(join(tmpdir(), 'nh-mustgather-test-'));
  const out = join(top, 'must-gather.local.5839201746');
  const root = join(out, 'quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-3f1c0de9');
  const scratch = join(top, 'scratch');
  mkdirSync(scratch, { recursive: true });
  const ts = '2025-06-02T09:14:03.123456789Z';
  for (const node of NODES)
    y(join(root, 'cluster-scoped-resources/core/nodes', `${node}.yaml`), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node, labels: { 'kubernetes.io/hostname': node, 'k8s.ovn.org/egress-assignable': '' } },
      status: { conditions: [{ type: 'Ready', status: node === 'worker-1' ? 'False' : 'True', reason: 'KubeletReady' }] },
    });
  y(join(root, 'cluster-scoped-resources/k8s.ovn.org/egressips/egressip-web.yaml'), {
    apiVersion: 'k8s.ovn.org/v1',
    kind: 'EgressIP',
    metadata: { name: 'egressip-web' },
    spec: { egressIPs: ['172.18.0.100'], namespaceSelector: { matchLabels: { team: 'web' } } },
    status: { items: [{ egressIP: '172.18.0.100', node: 'worker-0' }] },
  });
  const ns = 'openshift-ovn-kubernetes';
  const pods = NODES.map((node) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podOf(node), namespace: ns, labels: { app: 'ovnkube-node' } },
    spec: { nodeName: node, containers: [{ name: 'ovnkube-controller' }, { name: 'nbdb' }, { name: 'sbdb' }] },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'ovnkube-controller', ready: node !== 'worker-1', restartCount: node === 'worker-1' ? 4 : 0 }],
    },
  }));
  // `oc adm inspect` writes the list without kind on the items (kind from the List)
  y(join(root, 'namespaces', ns, 'core/pods.yaml'), { apiVersion: 'v1', kind: 'PodList', items: pods.map(({ kind: _k, ...p }) => p) });
  y(join(root, 'namespaces', ns, 'core/events.yaml'), {
    apiVersion: 'v1',
    kind: 'EventList',
    items: [
      {
        metadata: { name: 'worker-1.17f0', namespace: ns },
        involvedObject: { kind: 'Node', name: 'worker-1' },
        reason: 'NodeNotReady',
        message: 'Node worker-1 status is now: NodeNotReady',
        type: 'Normal',
      },
    ],
  });
  y(join(root, 'namespaces/web/core/secrets.yaml'), {
    apiVersion: 'v1',
    kind: 'SecretList',
    items: [{ metadata: { name: 'token', namespace: 'web' }, data: { token: 'c2VjcmV0LWNhbmFyeQ==' } }],
  });
  for (const p of pods) {
    const pdir = join(root, 'namespaces', ns, 'pods', p.metadata.name);
    y(join(pdir, `${p.metadata.name}.yaml`), p);
    const logs = join(pdir, 'ovnkube-controller/ovnkube-controller/logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'current.log'), `${ts} I0602 09:14:03.1 1 ovnkube.go:599] Starting ovnkube on ${p.spec.nodeName}\n`);
    if (p.spec.nodeName === 'worker-1')
      writeFileSync(join(logs, 'previous.log'), `${ts} panic: runtime error: invalid memory address or nil pointer dereference\n`);
  }
  // network_logs/ovnk_database_store.tar.gz (gather_network_logs_basics, interconnect mode)
  const store = join(scratch, 'ovnk_database_store');
  mkdirSync(store, { recursive: true });
  for (const node of NODES) {
    await makeNb(join(store, `${podOf(node)}_nbdb`), scratch, node);
    execFileSync('ovsdb-tool', [
      'create-cluster',
      join(store, `${podOf(node)}_sbdb`),
      '/usr/share/ovn/ovn-sb.ovsschema',
      'tcp:127.0.0.1:6644',
    ]);
  }
  mkdirSync(join(root, 'network_logs'), { recursive: true });
  execFileSync('tar', ['-czf', join(root, 'network_logs/ovnk_database_store.tar.gz'), '-C', scratch, 'ovnk_database_store']);
  writeFileSync(join(root, 'network_logs/cluster_scale'), 'services amount: 4\npods amount: 12\n');
  rmSync(scratch, { recursive: true, force: true });
  writeFileSync(join(out, 'timestamp'), `${ts}\n`);
  return out;
}

/**
 * A replay entry `<incidents>/<id>/` made of the fixture must-gather and a hand-written incident.yaml (worker-1's
 * kubelet stopped): what `eval --target bundles:<incidents>` replays.
 */
export async function writeMustGatherIncident(incidents: string, id: string): Promise<void> {
  const mg = await makeMustGather();
  cpSync(mg, join(incidents, id), { recursive: true });
  rmSync(join(mg, '..'), { recursive: true, force: true });
  writeFileSync(
    join(incidents, id, 'incident.yaml'),
    `id: ${id}
title: pods on one worker stopped getting network changes
tags: { layer: k8s, difficulty: easy }
question: New pods scheduled to worker-1 stay without network and its ovnkube pod is not ready. Find the root cause.
truth:
  category: k8s/node-down
  entities:
    - kind: node
      name: worker-1
  mechanism:
    items:
      - id: notready
        text: the node is NotReady (kubelet stopped)
        any: [notready, not ready, kubelet stop*]
  remediation:
    items:
      - id: kubelet
        text: start the kubelet again / reboot the node
        any: ['restart*|start* kubelet', 'reboot* node|worker-1']
`,
  );
}
