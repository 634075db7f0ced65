/**
 * The MCP server against the embedded cluster (started through the CLI only): real tools over the
 * SDK client (stdio), an EgressIP workload, ≥ 300 attack calls through the real server, and proof
 * that nothing changed: API objects and every node's NB, SB and OVS DB are identical before and
 * after. Then a bundle exported from the sim answers like the live cluster.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectMcp } from '../support/mcp.ts';
import { ATTACKS, VALID_ARGS } from './attacks.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', join(ROOT, 'harness/cli.ts')];
const NS = 'openshift-ovn-kubernetes';
type TextContent = { type: string; text: string };
const textOf = (r: unknown) => (r as { content: TextContent[] }).content[0]?.text ?? '';

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.slice(0, 6).join(' ')}: ${err.message}\n${stderr}`));
        else resolve(String(stdout));
      },
    );
  });
}

/** Columns OVS / OVN daemons update on their own (counters, probes), excluded from the identity check. */
const VOLATILE = new Set(['statistics', 'nb_cfg_timestamp', 'hv_cfg_timestamp', 'sb_cfg_timestamp']);

/** Every table of a DB as normalized JSON (ovsdb-client -f json dump), volatile columns removed. */
function normalizeDump(text: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const line of text.split('\n').filter(Boolean)) {
    const t = JSON.parse(line) as { caption: string; headings: string[]; data: unknown[][] };
    const keep = t.headings.map((h, i) => [h, i] as const).filter(([h]) => !VOLATILE.has(h));
    out[t.caption] = t.data
      .map((row) => Object.fromEntries(keep.map(([h, i]) => [h, row[i]])))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

const API_KINDS =
  'nodes,namespaces,pods,services,configmaps,deployments,daemonsets,replicasets,egressips,ptpconfigs,ptpoperatorconfigs,nodeptpdevices';
const PTP_NS = 'openshift-ptp';

describe('mcp against the embedded cluster', () => {
  let workdir: string;
  let kubeconfig = '';
  let client: Client;
  let bundleDir: string;
  const env = () => ({ KUBECONFIG: kubeconfig });
  const kubectl = (...a: string[]) => sh('kubectl', a, env());

  async function ovnkPods(): Promise<Record<string, string>> {
    const j = JSON.parse(await kubectl('get', 'pods', '-n', NS, '-l', 'app=ovnkube-node', '-o', 'json')) as {
      items: { metadata: { name: string }; spec: { nodeName: string } }[];
    };
    return Object.fromEntries(j.items.map((p) => [p.spec.nodeName, p.metadata.name]));
  }

  async function snapshot(): Promise<Record<string, unknown>> {
    const pods = await ovnkPods();
    const dbs: Record<string, unknown> = {};
    for (const [node, pod] of Object.entries(pods).sort()) {
      for (const [name, c, script] of [
        ['nb', 'nbdb', 'ovsdb-client -f json dump unix:$OVN_RUNDIR/ovnnb_db.sock OVN_Northbound'],
        ['sb', 'sbdb', 'ovsdb-client -f json dump unix:$OVN_RUNDIR/ovnsb_db.sock OVN_Southbound'],
        ['ovs', 'ovn-controller', 'ovsdb-client -f json dump unix:$OVS_RUNDIR/db.sock Open_vSwitch'],
      ]) {
        dbs[`${node}/${name}`] = normalizeDump(await kubectl('exec', '-n', NS, pod, '-c', c, '--', 'sh', '-c', script));
      }
    }
    // PTP: what a write through the ptp tools could change (the config files, the processes and their restarts)
    const ptp: Record<string, unknown> = {};
    const daemons = JSON.parse(await kubectl('get', 'pods', '-n', PTP_NS, '-l', 'app=linuxptp-daemon', '-o', 'json')) as {
      items: { metadata: { name: string }; spec: { nodeName: string } }[];
    };
    for (const d of daemons.items.sort((a, b) => a.spec.nodeName.localeCompare(b.spec.nodeName))) {
      const ex = (...argv: string[]) => kubectl('exec', '-n', PTP_NS, d.metadata.name, '-c', 'linuxptp-daemon-container', '--', ...argv);
      const metrics = await ex('curl', '-s', 'localhost:9091/metrics');
      ptp[`${d.spec.nodeName}/processes`] = metrics
        .split('\n')
        .filter((l) => /^openshift_ptp_process_(status|restart_count)\{/.test(l))
        .sort();
      ptp[`${d.spec.nodeName}/ptp4l.0.config`] = await ex('cat', '/var/run/ptp4l.0.config');
    }
    const api = JSON.parse(await kubectl('get', API_KINDS, '-A', '-o', 'json')) as {
      items: { kind: string; metadata: Record<string, unknown>; spec?: unknown }[];
    };
    const objects = api.items
      .map((o) => ({
        kind: o.kind,
        ns: o.metadata.namespace,
        name: o.metadata.name,
        uid: o.metadata.uid,
        labels: o.metadata.labels,
        annotations: o.metadata.annotations,
        spec: o.spec,
      }))
      .sort((a, b) => `${a.kind}/${a.ns}/${a.name}`.localeCompare(`${b.kind}/${b.ns}/${b.name}`));
    return { dbs, objects, ptp };
  }

  async function stableSnapshot(): Promise<Record<string, unknown>> {
    let prev = await snapshot();
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const cur = await snapshot();
      if (JSON.stringify(cur) === JSON.stringify(prev)) return cur;
      prev = cur;
    }
    return prev;
  }

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'nh-mcp-sim-'));
    const out = await sh(process.execPath, [...CLI, 'sim', '--detach', '--workdir', workdir, '--nodes', '1+2'], {}, 170_000);
    kubeconfig = /export KUBECONFIG=(\S+)/.exec(out)?.[1] ?? join(workdir, 'kubeconfig');
    await kubectl('label', 'node', 'worker-1', 'k8s.ovn.org/egress-assignable=');
    await kubectl('create', 'namespace', 'prod');
    await kubectl('label', 'namespace', 'prod', 'env=prod');
    await kubectl('create', 'deployment', 'web', '-n', 'prod', '--image=nginx', '--replicas=4');
    await sh(
      'sh',
      [
        '-c',
        `cat <<'EOF' | kubectl apply -f -
apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata: {name: eip-prod}
spec:
  egressIPs: [192.168.126.100]
  namespaceSelector: {matchLabels: {env: prod}}
  podSelector: {matchLabels: {app: web}}
EOF`,
      ],
      env(),
    );
    for (let i = 0; i < 60; i++) {
      const pods = await kubectl('get', 'pods', '-n', 'prod', '-o', 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}');
      const eip = await kubectl('get', 'egressip', 'eip-prod', '-o', 'jsonpath={.status.items[*].node}');
      if (pods.split('\n').filter((p) => p === 'Running').length === 4 && eip.includes('worker-1')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    client = await connectMcp(['--kubeconfig', kubeconfig], { name: 'sim-test' });
  }, 180_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    if (workdir) {
      await sh(process.execPath, [...CLI, 'sim', 'stop', '--workdir', workdir]).catch(() => undefined);
      rmSync(workdir, { recursive: true, force: true });
    }
    if (bundleDir) rmSync(join(bundleDir, '..'), { recursive: true, force: true });
  }, 60_000);

  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await client
      .callTool({ name, arguments: args })
      .catch((e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
    return { isError: Boolean(r.isError), text: textOf(r) };
  };

  it('real tools answer on every layer', async () => {
    const nat = await call('ovn_lr_nat_list', { node: 'worker-1', router: 'GR_worker-1' });
    expect(nat.text.match(/snat\s+192\.168\.126\.100/g)?.length).toBe(4);
    const lrp = await call('ovn_lr_policy_list', { node: 'worker-0', grep: '^ *100 ' });
    expect(lrp.text).toMatch(/100\s+ip4\.src == 10\.128\.\d+\.\d+\s+reroute\s+100\.88\.0\.\d+/);
    const list = await call('ovn_db_list', {
      node: 'worker-1',
      db: 'nb',
      table: 'NAT',
      conditions: ['type=snat', 'external_ip="192.168.126.100"'],
      columns: ['logical_ip', 'logical_port', 'external_ids'],
    });
    expect(list.text).toMatch(/4 record\(s\) in NAT/);
    expect(list.text).toMatch(/logical_port\s+: "?k8s-worker-1/);
    expect((await call('ovn_lflow_list', { node: 'worker-0', datapath: 'ovn_cluster_router', grep: 'lr_in_policy' })).text).toMatch(
      /lr_in_policy/,
    );
    expect((await call('ovn_ct_zone_list', { node: 'worker-0' })).text).toMatch(/GR_worker-0/);
    expect((await call('ovs_vsctl_show', { node: 'worker-0' })).text).toMatch(/Bridge br-int/);
    expect((await call('ovs_ofctl_dump_flows', { node: 'worker-0', bridge: 'br-int', table: 0, limit: 5 })).text).toMatch(/table=0/);
    expect((await call('kernel_ip_route', { node: 'worker-0' })).text).toMatch(/default via/);
    expect((await call('kernel_ip_addr', { node: 'worker-0' })).text).toMatch(/br-ex/);
    const status = await call('egressip_status', {});
    expect(status.text).toMatch(/assigned 192\.168\.126\.100 -> worker-1 \(Ready=True\)/);
    const check = await call('egressip_consistency_check', {});
    expect(check.text).toMatch(/CONSISTENT/);
    const pods = JSON.parse(await kubectl('get', 'pods', '-n', NS, '-l', 'app=ovnkube-node', '-o', 'json')) as {
      items: { metadata: { name: string } }[];
    };
    const logs = await call('k8s_pod_logs', {
      namespace: NS,
      name: pods.items[0].metadata.name,
      container: 'ovnkube-controller',
      tail: 50,
    });
    expect(logs.isError).toBe(false);
    const nft = await call('kernel_nft_ruleset', { node: 'worker-0' });
    if (nft.isError) expect(nft.text).toMatch(/nft is not available in container ovnkube-controller on node worker-0/);
  });

  it("ovn_db_list reads with one ovsdb-client select and gives ovn-nbctl's records (NB and SB, list and find)", async () => {
    // two servers without a budget (the paths order rows differently, so pages would differ): the fast read, and
    // the previous read path (NETHARNESS_MCP_OVSDB_READ=nbctl), on the same DBs
    const big = ['--kubeconfig', kubeconfig, '--budget-bytes', String(10 * 1024 * 1024)];
    const [fastClient, old] = await Promise.all([
      connectMcp(big, { name: 'sim-test-fast' }),
      connectMcp(big, { name: 'sim-test-nbctl', env: { ...(process.env as Record<string, string>), NETHARNESS_MCP_OVSDB_READ: 'nbctl' } }),
    ]);
    const callFast = async (args: Record<string, unknown>) => {
      const r = await fastClient.callTool({ name: 'ovn_db_list', arguments: args });
      return { isError: Boolean(r.isError), text: textOf(r) };
    };
    try {
      const recs = (text: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .sort();
      const cases: Record<string, unknown>[] = [
        { node: 'worker-1', db: 'nb', table: 'NAT' },
        { node: 'worker-1', db: 'nb', table: 'NAT', conditions: ['type=snat', 'external_ids:"k8s.ovn.org/owner-type"=EgressIP'] },
        { node: 'worker-1', db: 'nb', table: 'NAT', conditions: ['type=snat'], columns: ['external_ip', 'logical_ip', 'logical_port'] },
        { node: 'worker-0', db: 'nb', table: 'Logical_Router_Policy', conditions: ['priority=100'] },
        {
          node: 'worker-0',
          db: 'nb',
          table: 'Logical_Router_Policy',
          conditions: ['priority>=102'],
          columns: ['priority', 'match', 'action'],
        },
        { node: 'worker-0', db: 'nb', table: 'Logical_Switch_Port', columns: ['name', 'addresses'] },
        { node: 'worker-0', db: 'sb', table: 'Port_Binding', columns: ['logical_port', 'chassis'] },
        { node: 'worker-0', db: 'sb', table: 'Chassis', columns: ['name', 'hostname'] },
      ];
      for (const args of cases) {
        const fast = await callFast({ ...args, format: 'json' });
        const r = await old.callTool({ name: 'ovn_db_list', arguments: { ...args, format: 'json' } });
        expect(fast.isError, fast.text).toBe(false);
        expect(fast.text, JSON.stringify(args)).toMatch(/read as one ovsdb-client select/);
        expect(textOf(r)).not.toMatch(/ovsdb-client/);
        expect(recs(fast.text), JSON.stringify(args)).toEqual(recs(textOf(r)));
        expect(/^(\d+) record/m.exec(fast.text)?.[1]).toBe(/^(\d+) record/m.exec(textOf(r))?.[1]);
      }
      // the EgressIP's SNATs are there for both (the comparison is not of two empty answers)
      const snat = await callFast({ node: 'worker-1', db: 'nb', table: 'NAT', conditions: ['external_ip="192.168.126.100"'] });
      expect(Number(/^(\d+) record/m.exec(snat.text)?.[1])).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all([fastClient.close().catch(() => undefined), old.close().catch(() => undefined)]);
    }
  }, 120_000);

  it('ptp tools answer from the embedded PTP stack (daemon pods, metrics, logs, configs, pmc, CurrentState, analysis)', async () => {
    // the default embedded cluster runs PTP (--ptp oc): ordinary clocks on the workers
    const pods = await call('ptp_pods', {});
    expect(pods.text).toMatch(/node=worker-0 phase=Running/);
    // a freshly started cluster's clocks take a few emulated seconds to lock (longer on a loaded machine)
    let metrics = await call('ptp_metrics', { node: 'worker-0' });
    for (let i = 0; i < 60 && !(/SLAVE/.test(metrics.text) && /LOCKED/.test(metrics.text)); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      metrics = await call('ptp_metrics', { node: 'worker-0' });
    }
    expect(metrics.isError, metrics.text).toBe(false);
    expect(metrics.text).toMatch(/SLAVE/);
    expect(metrics.text).toMatch(/LOCKED/);
    expect((await call('ptp_configs', {})).text).toMatch(/matchList|worker-0/);
    expect((await call('ptp_node_devices', { node: 'worker-0' })).text).toMatch(/ens1f0/);
    expect((await call('ptp_config_file', { node: 'worker-0', file: 'ptp4l.0.config' })).text).toMatch(/\[global\]/);
    expect((await call('ptp_pmc', { node: 'worker-0', dataset: 'PARENT_DATA_SET', config: 0 })).text).toMatch(/gm\.ClockClass\s+6/);
    expect((await call('ptp_current_state', { node: 'worker-0', resource: 'lock-state' })).text).toMatch(/LOCKED/);
    const logs = await call('ptp_daemon_logs', { node: 'worker-0', tail_lines: 500 });
    expect(logs.text).toMatch(/master offset|rms/);
    const analysis = await call('ptp_analyze', { node: 'worker-0' });
    expect(analysis.isError, analysis.text).toBe(false);
    expect(analysis.text).toMatch(/HEALTHY|MINOR/);
  }, 120_000);

  it('≥ 300 attack calls through the real server change nothing (API, NB, SB, OVS DBs identical)', async () => {
    const before = await stableSnapshot();
    const tools = [
      'ovn_db_list',
      'ovn_lr_nat_list',
      'ovn_lr_policy_list',
      'ovn_trace',
      'ovn_ct_zone_list',
      'ovs_ofctl_dump_flows',
      'ovs_ofproto_trace',
      'ovs_dpctl_dump_conntrack',
      'kernel_ip_route',
      'kernel_iptables_save',
      'k8s_get',
      'k8s_list',
      'k8s_pod_logs',
      'ptp_daemon_logs',
      'ptp_metrics',
      'ptp_config_file',
      'ptp_pmc',
      'ptp_current_state',
      'ptp_configs',
    ];
    const base: Record<string, Record<string, unknown>> = {
      ...VALID_ARGS,
      ovn_db_list: { node: 'worker-1', db: 'nb', table: 'NAT', conditions: ['type=snat'] },
      ovn_lr_nat_list: { node: 'worker-1', router: 'GR_worker-1' },
      ovn_lr_policy_list: { node: 'worker-0' },
      ovn_trace: {
        node: 'worker-0',
        datapath: 'worker-0',
        microflow: 'inport == "k8s-worker-0" && ip4.src == 10.128.2.2 && ip4.dst == 8.8.8.8 && ip.ttl == 64',
      },
      ovn_ct_zone_list: { node: 'worker-0' },
      ovs_ofctl_dump_flows: { node: 'worker-0', bridge: 'br-int', table: 0 },
      ovs_ofproto_trace: { node: 'worker-0', bridge: 'br-int', flow: 'in_port=1,ip,nw_src=10.128.2.2,nw_dst=8.8.8.8' },
      ovs_dpctl_dump_conntrack: { node: 'worker-0' },
      kernel_ip_route: { node: 'worker-0' },
      kernel_iptables_save: { node: 'worker-0' },
      k8s_get: { kind: 'EgressIP', name: 'eip-prod' },
      k8s_list: { kind: 'Pod', namespace: 'prod' },
      k8s_pod_logs: { namespace: NS, name: (await ovnkPods())['worker-0'], container: 'ovnkube-controller', tail: 5 },
      ptp_daemon_logs: { node: 'worker-0', tail_lines: 50 },
      ptp_metrics: { node: 'worker-0' },
      ptp_config_file: { node: 'worker-0', file: 'ptp4l.0.config' },
      ptp_pmc: { node: 'worker-0', dataset: 'PARENT_DATA_SET', config: 0 },
      ptp_current_state: { node: 'worker-0', resource: 'lock-state' },
      ptp_configs: {},
    };
    const fieldsOf: Record<string, string[]> = {
      ovn_db_list: ['node', 'table', 'record', 'conditions', 'columns', 'grep'],
      ovn_lr_nat_list: ['node', 'router', 'grep'],
      ovn_lr_policy_list: ['router', 'offset'],
      ovn_trace: ['datapath', 'microflow'],
      ovn_ct_zone_list: ['node'],
      ovs_ofctl_dump_flows: ['bridge', 'table'],
      ovs_ofproto_trace: ['bridge', 'flow'],
      ovs_dpctl_dump_conntrack: ['zone'],
      kernel_ip_route: ['table', 'family'],
      kernel_iptables_save: ['table'],
      k8s_get: ['kind', 'name', 'apiVersion'],
      k8s_list: ['label_selector', 'field_selector', 'namespace'],
      k8s_pod_logs: ['container', 'name', 'since_seconds'],
      ptp_daemon_logs: ['node', 'tail_lines'],
      ptp_metrics: ['node'],
      ptp_config_file: ['file'],
      ptp_pmc: ['dataset', 'config'],
      ptp_current_state: ['resource'],
      ptp_configs: ['name'],
    };
    // Every other payload of each category (the pure suite runs all of them against every tool and field).
    const attacks = ATTACKS.filter((a, i) => i % 2 === 0 && !(typeof a.value === 'string' && a.value.length > 20_000));
    let rejected = 0;
    let harmless = 0;
    for (const tool of tools) {
      for (const field of fieldsOf[tool]) {
        for (const a of attacks) {
          const value = ['conditions', 'columns'].includes(field) && typeof a.value === 'string' ? [a.value] : a.value;
          const r = await call(tool, { ...base[tool], [field]: value });
          if (r.isError) rejected++;
          else harmless++;
        }
      }
    }
    console.log(`sim attacks: ${rejected + harmless} calls, ${rejected} rejected, ${harmless} accepted and harmless`);
    expect(rejected + harmless).toBeGreaterThanOrEqual(300);
    const after = await snapshot();
    const b = before as { dbs: Record<string, Record<string, unknown[]>>; objects: unknown[]; ptp: Record<string, unknown> };
    const a = after as typeof b;
    const diffs: string[] = [];
    for (const k of Object.keys(b.dbs))
      for (const t of Object.keys(b.dbs[k])) if (JSON.stringify(b.dbs[k][t]) !== JSON.stringify(a.dbs[k]?.[t])) diffs.push(`${k} ${t}`);
    if (JSON.stringify(b.objects) !== JSON.stringify(a.objects)) diffs.push('API objects');
    for (const k of Object.keys(b.ptp)) if (JSON.stringify(b.ptp[k]) !== JSON.stringify(a.ptp[k])) diffs.push(`ptp ${k}`);
    expect(diffs).toEqual([]);
    expect(Object.keys(b.dbs)).toHaveLength(9);
    // two PTP workers, each with its processes and config file
    expect(Object.keys(b.ptp)).toHaveLength(4);
    // Negative control: the identity check does see a real write (made here by the test, not the server).
    const pod = (await ovnkPods())['worker-0'];
    await kubectl('exec', '-n', NS, pod, '-c', 'nbdb', '--', 'ovn-nbctl', 'lr-add', 'nh-canary');
    const touched = (await snapshot()) as typeof b;
    expect(JSON.stringify(touched.dbs['worker-0/nb'])).not.toBe(JSON.stringify(b.dbs['worker-0/nb']));
    await kubectl('exec', '-n', NS, pod, '-c', 'nbdb', '--', 'ovn-nbctl', 'lr-del', 'nh-canary');
  }, 600_000);

  it('exports a bundle whose offline answers match the live ones', async () => {
    bundleDir = join(mkdtempSync(join(tmpdir(), 'nh-mcp-bundle-')), 'b');
    await sh(process.execPath, [...CLI, 'bundle', '--kubeconfig', kubeconfig, '--out', bundleDir], {}, 170_000);
    expect(existsSync(join(bundleDir, 'manifest.json'))).toBe(true);
    expect(existsSync(`${bundleDir}.partial-${process.pid}`)).toBe(false);
    const off = await connectMcp(['--bundle', bundleDir], { name: 'bundle' });
    const strip = (s: string) => s.split('\n').slice(1).join('\n');
    for (const [name, args] of [
      ['ovn_lr_nat_list', { node: 'worker-1', router: 'GR_worker-1' }],
      ['ovn_lr_policy_list', { node: 'worker-0' }],
      ['ovn_db_list', { node: 'worker-0', db: 'nb', table: 'Logical_Router_Policy', conditions: ['priority=100'] }],
      ['kernel_ip_route', { node: 'worker-1' }],
    ] as [string, Record<string, unknown>][]) {
      const live = await call(name, args);
      const offline = textOf(await off.callTool({ name, arguments: args }));
      expect(strip(offline), name).toBe(strip(live.text));
    }
    expect(textOf(await off.callTool({ name: 'egressip_consistency_check', arguments: {} }))).toMatch(/CONSISTENT/);
    await off.close();
  }, 200_000);

  it('Ctrl-C during bundle export removes the half-written bundle (exit 130)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nh-mcp-bundle-int-')), 'b');
    const child = spawn(
      process.execPath,
      [
        ...CLI,
        'bundle',
        '--kubeconfig',
        kubeconfig,
        '--out',
        out,
        '--concurrency',
        '1',
        '--log-namespaces',
        `${NS},prod,chaos-mesh,openshift-ovn-kubernetes`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    let partial = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (!partial && /bundle: objects: Pod/.test(err)) {
          partial = `${out}.partial-${child.pid}`;
          child.kill('SIGINT');
          resolve();
        }
      });
      child.once('exit', () => resolve());
    });
    const code = await new Promise<number | null>((resolve) =>
      child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c)),
    );
    expect(code, err).toBe(130);
    expect(err).toMatch(/interrupted; removed/);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(out)).toBe(false);
    rmSync(join(out, '..'), { recursive: true, force: true });
  }, 60_000);
});
