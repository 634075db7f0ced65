/**
 * MCP server latency and result sizes on the embedded cluster at scale (default 2000 pods on
 * 1+9 nodes (maxPods 250 per node), all selected by one EgressIP, so the egress node's NB holds ~2000 EgressIP SNATs and
 * every pod node ~250 reroute policies). The sim is started through the CLI, the server is the real
 * `netharness mcp` process over stdio, measured from an MCP SDK client.
 *
 *   npx tsx bench/mcp.bench.ts     (MCP_BENCH_PODS=2000 MCP_BENCH_WORKERS=9 MCP_BENCH_ITER=30)
 *
 * Reports p50/p95 per call and the result size in tokens (chars/4) with the default budget
 * (8192 bytes) and without a budget (10 MiB).
 *
 * Old vs new read path side by side: a second server runs with NETHARNESS_MCP_OVSDB_READ=nbctl (ovn_db_list reads
 * with ovn-nbctl, as before mcp/ovsdb-reader.ts) and every iteration calls both servers, alternating which goes
 * first, so both see the same machine load. The load average is printed per case.
 *
 * Measured once the cluster has settled: the egress node's SNAT count stopped growing, then `ovn-nbctl --wait=hv
 * sync` on every node (northd and ovn-controller done with that NB).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const PODS = Number(process.env.MCP_BENCH_PODS ?? 2000);
const WORKERS = Number(process.env.MCP_BENCH_WORKERS ?? 9);
const ITER = Number(process.env.MCP_BENCH_ITER ?? 30);
const ROOT = join(import.meta.dirname, '..');
const CLI = ['--import', 'tsx', join(ROOT, 'harness/cli.ts')];
const NS = 'openshift-ovn-kubernetes';
/** the SDK's 60 s default request timeout fails calls on a machine loaded by other runs */
const CALL_OPTS = { timeout: 600_000 };

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile(
      cmd,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.slice(0, 5).join(' ')}: ${err.message}\n${stderr}`));
        else resolve(String(stdout));
      },
    );
    if (input !== undefined) p.stdin?.end(input);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const log = (s: string) => process.stderr.write(`mcp-bench: ${s}\n`);

async function main(): Promise<void> {
  const workdir = mkdtempSync(join(tmpdir(), 'nh-mcp-bench-'));
  const clients: Client[] = [];
  try {
    log(`starting sim 1+${WORKERS}`);
    const out = await sh(process.execPath, [...CLI, 'sim', '--detach', '--workdir', workdir, '--nodes', `1+${WORKERS}`]);
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(out)?.[1] ?? join(workdir, 'kubeconfig');
    const env = { KUBECONFIG: kubeconfig };
    const kubectl = (...a: string[]) => sh('kubectl', a, env);
    await kubectl('label', 'node', 'worker-0', 'k8s.ovn.org/egress-assignable=');
    await sh(
      'kubectl',
      ['apply', '-f', '-'],
      env,
      60_000,
      `apiVersion: v1
kind: Namespace
metadata: {name: scale, labels: {env: scale}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: scale}
spec:
  replicas: ${PODS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
---
apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata: {name: eip-scale}
spec:
  egressIPs: [192.168.126.200]
  namespaceSelector: {matchLabels: {env: scale}}
  podSelector: {matchLabels: {app: web}}
`,
    );
    const t0 = Date.now();
    let running = 0;
    let prevRunning = -1;
    let still = 0;
    for (let i = 0; i < 600; i++) {
      // a loaded machine times a poll out now and then (TLS handshake timeout): poll again
      const names = await kubectl('get', 'pods', '-n', 'scale', '--field-selector=status.phase=Running', '-o', 'name').catch(
        (err: Error) => (log(`poll failed, retrying: ${err.message.split('\n')[0]}`), undefined),
      );
      if (names === undefined) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      running = names.split('\n').filter(Boolean).length;
      if (running >= PODS) break;
      still = running === prevRunning ? still + 1 : 0;
      prevRunning = running;
      if (still >= 15) break; // no progress for 15 s (e.g. node capacity): measure what runs
      if (i % 10 === 0) log(`pods running ${running}/${PODS}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    log(`${running} pods running after ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const connect = async (budget?: number, env: Record<string, string> = {}) => {
      const c = new Client({ name: 'bench', version: '0' });
      await c.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [...CLI, 'mcp', '--kubeconfig', kubeconfig, ...(budget ? ['--budget-bytes', String(budget)] : [])],
          cwd: ROOT,
          stderr: 'ignore',
          env: { ...(process.env as Record<string, string>), ...env },
        }),
      );
      clients.push(c);
      return c;
    };
    const budgeted = await connect();
    const unlimited = await connect(10 * 1024 * 1024);
    // the previous read path (ovn-nbctl for ovn_db_list), same budget, measured alternately with `budgeted`
    const oldPath = await connect(undefined, { NETHARNESS_MCP_OVSDB_READ: 'nbctl' });
    const pods = JSON.parse(await kubectl('get', 'pods', '-n', NS, '-l', 'app=ovnkube-node', '-o', 'json')) as {
      items: { metadata: { name: string }; spec: { nodeName: string } }[];
    };
    const egressPod = pods.items.find((p) => p.spec.nodeName === 'worker-0')!.metadata.name;
    // Wait until the egress node's NB has converged (SNAT count stops growing).
    let last = -1;
    for (let i = 0; i < 120; i++) {
      const r = (await unlimited.callTool(
        {
          name: 'ovn_db_list',
          arguments: { node: 'worker-0', db: 'nb', table: 'NAT', conditions: ['type=snat'], columns: ['logical_ip'], limit: 1 },
        },
        undefined,
        CALL_OPTS,
      )) as { content: { text: string }[] };
      const n = Number(/(\d+) record/.exec(r.content[0].text)?.[1] ?? 0);
      if (n === last && n >= running) break;
      last = n;
      await new Promise((res) => setTimeout(res, 2000));
    }
    log(`egress node NB: ${last} SNAT rows`);
    // Then until every node's northd and ovn-controller have caught up with that NB (they work on the same 2 cores
    // for seconds after the NB settles; measured during that, every call reads slower): `--wait=hv sync` bumps
    // nb_cfg and returns once the node's ovn-controller has installed it.
    const tSync = Date.now();
    await Promise.all(
      pods.items.map((p) =>
        kubectl('exec', '-n', NS, p.metadata.name, '-c', 'nbdb', '--', 'ovn-nbctl', '--wait=hv', '--timeout=300', 'sync'),
      ),
    );
    log(`OVN caught up on ${pods.items.length} nodes (ovn-nbctl --wait=hv sync) in ${((Date.now() - tSync) / 1000).toFixed(1)} s`);

    const cases: [string, string, Record<string, unknown>][] = [
      ['ovn_db_list NAT (egress node)', 'ovn_db_list', { node: 'worker-0', db: 'nb', table: 'NAT' }],
      [
        'ovn_db_list find NAT columns+grep',
        'ovn_db_list',
        {
          node: 'worker-0',
          db: 'nb',
          table: 'NAT',
          conditions: ['type=snat'],
          columns: ['external_ip', 'logical_ip'],
          grep: '10\\.128\\.2\\.',
        },
      ],
      ['lr-policy-list (pod node)', 'ovn_lr_policy_list', { node: 'worker-1' }],
      ['pod logs (ovnkube-controller, egress node)', 'k8s_pod_logs', { namespace: NS, name: egressPod, container: 'ovnkube-controller' }],
      ['k8s_list pods (2000)', 'k8s_list', { kind: 'Pod', namespace: 'scale' }],
      ['egressip_consistency_check', 'egressip_consistency_check', {}],
    ];
    const rows: string[] = [];
    for (const [label, name, args] of cases) {
      const size = async (c: Client) => {
        const r = (await c.callTool({ name, arguments: args }, undefined, CALL_OPTS)) as { content: { text: string }[]; isError?: boolean };
        if (r.isError) throw new Error(`${name}: ${r.content[0].text}`);
        return r.content[0].text.length;
      };
      const sB = await size(budgeted);
      const sU = await size(unlimited);
      const sOld = await size(oldPath);
      const times: number[] = [];
      const oldTimes: number[] = [];
      const timed = async (c: Client, into: number[]) => {
        const t = performance.now();
        const r = (await c.callTool({ name, arguments: args }, undefined, CALL_OPTS)) as { isError?: boolean; content: { text: string }[] };
        into.push(performance.now() - t);
        if (r.isError) throw new Error(`${name}: ${r.content[0].text}`);
      };
      const load0 = loadavg()[0];
      for (let i = 0; i < ITER; i++) {
        // alternate the order so neither path always runs right after the other
        if (i % 2) {
          await timed(oldPath, oldTimes);
          await timed(budgeted, times);
        } else {
          await timed(budgeted, times);
          await timed(oldPath, oldTimes);
        }
      }
      const load = `${load0.toFixed(1)}-${loadavg()[0].toFixed(1)}`;
      rows.push(
        `| ${label} | ${pct(times, 50).toFixed(0)} | ${pct(times, 95).toFixed(0)} | ${pct(oldTimes, 50).toFixed(0)} | ${pct(oldTimes, 95).toFixed(0)} | ${Math.ceil(sB / 4)} | ${Math.ceil(sOld / 4)} | ${Math.ceil(sU / 4)} | ${load} |`,
      );
      log(rows[rows.length - 1]);
    }
    // 50 concurrent k8s_list calls on one server: they share its one API client (pooled keep-alive connections)
    {
      const args = { kind: 'Pod', namespace: 'scale' };
      const times: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          const t = performance.now();
          await budgeted.callTool({ name: 'k8s_list', arguments: args }, undefined, CALL_OPTS);
          times.push(performance.now() - t);
        }),
      );
      rows.push(
        `| k8s_list pods, 50 concurrent calls | ${pct(times, 50).toFixed(0)} | ${pct(times, 95).toFixed(0)} | - | - | - | - | - | ${loadavg()[0].toFixed(1)} |`,
      );
      log(rows[rows.length - 1]);
    }
    process.stdout.write(
      `\nMCP bench: ${running} pods on 1+${WORKERS} nodes, ${last} SNATs on the egress node, ${ITER} iterations per call and path, alternating (stdio, SDK client; old path: NETHARNESS_MCP_OVSDB_READ=nbctl)\n\n`,
    );
    process.stdout.write(
      '| call | p50 ms | p95 ms | old path p50 ms | old path p95 ms | tokens (8 KiB budget) | old path tokens | tokens (no budget) | load avg (1 min) |\n|---|---|---|---|---|---|---|---|---|\n',
    );
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await sh(process.execPath, [...CLI, 'sim', 'stop', '--workdir', workdir]).catch(() => undefined);
    rmSync(workdir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`mcp-bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 2;
});
