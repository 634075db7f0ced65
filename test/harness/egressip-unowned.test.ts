/**
 * Issue 9 item 8 on the embedded cluster, tried as a new user would: the cluster started with `netharness sim`,
 * the EgressIP and its pods made with kubectl, rows made by hand with real `ovn-nbctl` (kubectl exec into the
 * nbdb container of ovnkube-node, as a QE engineer would), then `netharness check egressip --json`. Each
 * hand-made row is found with the node named, with a kind that says ovnkube does not own it; the clean
 * cluster passes first. Public CLI and kubectl only (no import of sim/).
 */
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMcp } from '../support/mcp.ts';
import { kubectlFor, runCli, startDetachedSim, stopSim, until } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { connect } from '../../harness/cluster/connect.ts';
import { execIn } from '../../harness/cluster/exec.ts';
import { NB_READ_ARGV, NbDumpStream, parseNodeDump } from '../../harness/checks/egressip/nb-reader.ts';
import { InfraError } from '../../harness/errors.ts';

const EIP = '192.168.126.110';
const NO_POD_IP = '10.250.77.7';
const OVN_NS = 'openshift-ovn-kubernetes';
const dir = tempDir('nh-unowned-');
const workdir = join(dir, 'sim');
let kubeconfig = '';
const kubectl = kubectlFor(() => kubeconfig);

interface Finding {
  kind: string;
  node?: string;
  egressip?: string;
  namespace?: string;
  pod?: string;
  actual?: string;
  message?: string;
}

const get = (...args: string[]): string => kubectl('get', ...args).stdout.trim();
const ovnkubeNodePod = (node: string): string =>
  get(
    'pods',
    '-n',
    OVN_NS,
    '-l',
    'app=ovnkube-node',
    '--field-selector',
    `spec.nodeName=${node}`,
    '-o',
    'jsonpath={.items[0].metadata.name}',
  );

function nbctl(node: string, ...args: string[]): string {
  const r = kubectl('exec', '-n', OVN_NS, ovnkubeNodePod(node), '-c', 'nbdb', '--', 'ovn-nbctl', ...args);
  if (r.code !== 0) throw new Error(`ovn-nbctl ${args.join(' ')} on ${node}: ${r.stderr}`);
  return r.stdout;
}

const eipNode = (): string => get('egressip', 'eip-own', '-o', 'jsonpath={.status.items[0].node}');
const podIps = (): string[] => get('pods', '-n', 'prod', '-o', 'jsonpath={.items[*].status.podIP}').split(/\s+/).filter(Boolean);

/** `netharness check egressip --json` against the sim: its findings (exit 0 = none, 1 = findings). */
async function check(): Promise<Finding[]> {
  const r = await runCli(['check', 'egressip', '--kubeconfig', kubeconfig, '--no-record', '--concurrency', '4', '--json']);
  if (r.code !== 0 && r.code !== 1) throw new Error(`check egressip exited ${r.code}: ${r.stderr.slice(-800)}`);
  const out = JSON.parse(r.stdout) as { consistent: boolean; findings: Finding[] };
  expect(out.consistent).toBe(out.findings.length === 0);
  expect(r.code).toBe(out.findings.length ? 1 : 0);
  return out.findings;
}

/** A hand-made SNAT <EIP> -> `logicalIp` on GR_<node> while `fn` runs; removed afterwards whatever happens. */
async function withRow<T>(node: string, logicalIp: string, fn: () => Promise<T>): Promise<T> {
  nbctl(node, '--may-exist', 'lr-nat-add', `GR_${node}`, 'snat', EIP, logicalIp);
  try {
    return await fn();
  } finally {
    nbctl(node, '--if-exists', 'lr-nat-del', `GR_${node}`, 'snat', logicalIp);
  }
}

function apply(yaml: string): void {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: yaml, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

const pod = (name: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: prod, labels: { app: web } }
spec: { nodeName: worker-0, containers: [{ name: web, image: quay.io/example/web:1 }] }
`;

describe('EgressIP check on the embedded cluster: rows ovnkube does not own', () => {
  beforeAll(async () => {
    kubeconfig = startDetachedSim(workdir, { speed: 20, nodes: '1+3' });
    await until(
      'ovnkube-node pods Running',
      () =>
        get('pods', '-n', OVN_NS, '-l', 'app=ovnkube-node', '-o', 'jsonpath={.items[*].status.phase}')
          .split(/\s+/)
          .filter((p) => p === 'Running').length === 4,
    );
    for (const n of ['worker-1', 'worker-2']) {
      const r = kubectl('label', 'node', n, 'k8s.ovn.org/egress-assignable=');
      if (r.code !== 0) throw new Error(`label ${n}: ${r.stderr}`);
    }
    apply(
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: { name: prod, labels: { kubernetes.io/metadata.name: prod } }\n',
        ...[0, 1, 2].map((i) => pod(`web-${i}`)),
        `apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata: { name: eip-own }
spec:
  egressIPs: [${EIP}]
  namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: prod } }
  podSelector: { matchLabels: { app: web } }
`,
      ].join('---\n'),
    );
    await until('EgressIP assigned, pods with IPs', () => eipNode() !== '' && podIps().length === 3);
    await until('the check to pass on the clean cluster', async () => (await check()).length === 0, 180_000);
  }, 420_000);

  afterAll(() => stopSim(workdir), 90_000);

  it('the clean cluster passes', async () => {
    expect(await check()).toEqual([]);
  }, 240_000);

  it("the check's streamed exec: the same bytes as the collected stdout, parsed to the same rows; a throwing handler fails the exec", async () => {
    const cluster = connect({ kubeconfig });
    const node = eipNode();
    const target = { namespace: OVN_NS, pod: ovnkubeNodePod(node), container: 'nbdb' };
    const whole = await execIn(cluster, target, [...NB_READ_ARGV], { timeoutMs: 60_000 });
    const chunks: Buffer[] = [];
    const stream = new NbDumpStream(node);
    const streamed = await execIn(cluster, target, [...NB_READ_ARGV], {
      timeoutMs: 60_000,
      onStdout: (c) => {
        chunks.push(Buffer.from(c));
        stream.push(c);
      },
    });
    expect([whole.exitCode, streamed.exitCode, streamed.stdout]).toEqual([0, 0, '']);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(whole.stdout);
    const rows = stream.done();
    expect(rows.nat.length).toBeGreaterThan(0);
    expect(rows).toEqual(parseNodeDump(node, whole.stdout));
    const failed = await execIn(cluster, target, [...NB_READ_ARGV], {
      timeoutMs: 60_000,
      onStdout: () => {
        throw new Error('handler broke');
      },
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(InfraError);
    expect((failed as Error).message).toMatch(/reading its output failed: handler broke/);
  }, 120_000);

  it("execs of one kubeconfig resume the first connection's TLS session (no full handshake per exec)", async () => {
    const cluster = connect({ kubeconfig });
    const target = { namespace: OVN_NS, pod: ovnkubeNodePod(eipNode()), container: 'nbdb' };
    const connectTls = tls.connect;
    const reused: boolean[] = [];
    tls.connect = ((...args: Parameters<typeof tls.connect>) => {
      const s = connectTls(...args);
      s.once('secureConnect', () => reused.push(s.isSessionReused()));
      return s;
    }) as typeof tls.connect;
    try {
      for (let i = 0; i < 4; i++) {
        const out = await execIn(cluster, target, ['echo', `n${i}`], { timeoutMs: 60_000 });
        expect([out.exitCode, out.stdout]).toEqual([0, `n${i}\n`]);
      }
    } finally {
      tls.connect = connectTls;
    }
    expect(reused).toHaveLength(4);
    // the session ticket arrives after the first handshake; every later exec resumes one
    expect(reused.slice(1)).toEqual([true, true, true]);
  }, 120_000);

  it('lr-nat-add GR_<egress node> snat <EgressIP> <an IP no pod has>: unowned-snat on the egress node', async () => {
    const node = eipNode();
    const f = await withRow(node, NO_POD_IP, check);
    expect(f.map((x) => x.kind)).toEqual(['unowned-snat']);
    expect(f[0].node).toBe(node);
    expect(f[0].egressip).toBe('eip-own');
    expect(f[0].actual).toContain(NO_POD_IP);
  }, 240_000);

  it('a hand-made SNAT for a served pod on a non-egress node: unowned-snat naming that node and pod', async () => {
    const ip = podIps()[0];
    const f = await withRow('worker-0', ip, check);
    expect(f.map((x) => x.kind)).toEqual(['unowned-snat']);
    expect(f[0].node).toBe('worker-0');
    expect(f[0].namespace).toBe('prod');
    expect(f[0].pod).toMatch(/^web-\d$/);
  }, 240_000);

  it('a deleted SNAT re-added by hand with the right IPs but no external_ids: unowned-snat, not missing-snat', async () => {
    const node = eipNode();
    const ip = podIps()[1];
    nbctl(node, 'lr-nat-del', `GR_${node}`, 'snat', ip);
    const gone = await check();
    expect(gone.map((x) => x.kind)).toContain('missing-snat');
    nbctl(node, '--may-exist', 'lr-nat-add', `GR_${node}`, 'snat', EIP, ip);
    const f = await check();
    expect(f.map((x) => x.kind)).not.toContain('missing-snat');
    const u = f.filter((x) => x.kind === 'unowned-snat');
    expect(u).toHaveLength(1);
    expect(u[0].node).toBe(node);
    expect(u[0].message).toMatch(/as expected, but has no ovnkube external_ids/);
  }, 240_000);

  it('the MCP egressip_consistency_check (netharness mcp over stdio) reports the same hand-made row with its node', async () => {
    const node = eipNode();
    const client = await connectMcp(['--kubeconfig', kubeconfig], { name: 'unowned-test' });
    try {
      const r = await withRow(node, NO_POD_IP, () => client.callTool({ name: 'egressip_consistency_check', arguments: {} }));
      const text = (r.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
      // the row the previous test re-added by hand stays (ovnkube never removes an unowned row): look at this one
      const lines = text.split('\n').filter((l) => /^[a-z]+(-[a-z]+)+ node=/.test(l) && l.includes(NO_POD_IP));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^unowned-snat node=${node} `));
      expect(lines[0]).toContain(NO_POD_IP);
    } finally {
      await client.close().catch(() => undefined);
    }
  }, 240_000);
});
