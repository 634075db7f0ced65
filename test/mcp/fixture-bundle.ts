/** A small offline bundle for tests: one node (worker-0) with a real NB DB file, captured ofctl output, objects, a log. */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../../mcp/bundle-format.ts';
import { sampleObjects } from './fake-target.ts';

async function makeNbDb(file: string, dir: string): Promise<void> {
  execFileSync('ovsdb-tool', ['create', file, '/usr/share/ovn/ovn-nb.ovsschema']);
  const sock = join(dir, 'w.sock');
  const p = spawn('ovsdb-server', [`--remote=punix:${sock}`, `--unixctl=${join(dir, 'w.ctl')}`, '--no-chdir', file], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
  const nb = (...a: string[]) => execFileSync('ovn-nbctl', [`--db=unix:${sock}`, ...a]);
  nb('lr-add', 'GR_worker-0');
  nb('lr-add', 'ovn_cluster_router');
  for (let i = 0; i < 40; i++) nb('lr-nat-add', 'GR_worker-0', 'snat', '172.18.0.33', `10.128.1.${i + 2}`);
  nb('lr-policy-add', 'ovn_cluster_router', '100', 'ip4.src == 10.128.1.2', 'reroute', '100.88.0.3');
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
}

export async function makeFixtureBundle(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nh-bundle-test-'));
  mkdirSync(join(dir, 'nodes/worker-0/cmd'), { recursive: true });
  mkdirSync(join(dir, 'objects'));
  mkdirSync(join(dir, 'logs/openshift-ovn-kubernetes/ovnkube-node-a'), { recursive: true });
  await makeNbDb(join(dir, 'nodes/worker-0/nb.db'), dir);
  rmSync(join(dir, 'w.sock'), { force: true });
  writeFileSync(
    join(dir, 'nodes/worker-0/cmd/0.txt'),
    'cookie=0x1, table=0, priority=100 actions=drop\ncookie=0x2, table=5, priority=10 actions=normal\n',
  );
  writeFileSync(join(dir, 'logs/openshift-ovn-kubernetes/ovnkube-node-a/ovnkube-controller.log'), 'a\nb\nc\n');
  const objs = sampleObjects();
  const kinds = [...new Set(objs.map((o) => o.kind!))].filter((k) => k !== 'Secret');
  for (const k of kinds) writeFileSync(join(dir, `objects/${k}.json`), JSON.stringify(objs.filter((o) => o.kind === k)));
  const manifest: Manifest = {
    version: 1,
    tool: 'netharness',
    createdAt: new Date().toISOString(),
    source: 'test',
    kinds: kinds.map((k) => ({ kind: k, apiVersion: 'v1', file: `objects/${k}.json`, count: 1 })),
    logs: [
      {
        namespace: 'openshift-ovn-kubernetes',
        pod: 'ovnkube-node-a',
        container: 'ovnkube-controller',
        file: 'logs/openshift-ovn-kubernetes/ovnkube-node-a/ovnkube-controller.log',
        bytes: 6,
      },
    ],
    nodes: {
      'worker-0': {
        pod: 'ovnkube-node-a',
        nbDb: 'nodes/worker-0/nb.db',
        commands: [
          {
            argv: ['ovs-ofctl', 'dump-flows', 'br-int'],
            container: 'ovn-controller',
            file: 'nodes/worker-0/cmd/0.txt',
            exitCode: 0,
            stderr: '',
          },
        ],
      },
    },
    errors: [],
    durationMs: 1,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
