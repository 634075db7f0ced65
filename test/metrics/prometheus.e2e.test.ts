/**
 * The embedded cluster's real Prometheus, read by real clients through the API server's service proxy,
 * as on OpenShift (Service openshift-monitoring/thanos-querier, port web, the kubeconfig's credentials):
 *
 * - promtool query instant (through `kubectl proxy`): sum(ovnkube_clustermanager_num_egress_ips) equals the EgressIP addresses the
 *   cluster has assigned, and moves when one is added;
 * - every scrape target is up and its exposition passes promtool check metrics; the EgressIP assign
 *   latency histogram counts the programmed assignment;
 * - a scenario with --metrics-profile stores the series; a broken query warns, names the query, and
 *   the run passes; a bad profile exits 2 before anything is recorded;
 * - Prometheus runs in the sim's process group, keeps its TSDB in the sim workdir, and is gone after
 *   `sim stop`.
 *
 * One cluster (1 control-plane + 2 workers, speed 20) for the whole file.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMetricSeries } from '../../harness/store/metrics.ts';
import { openStore } from '../../harness/store/store.ts';
import { ROOT, runCli, startDetachedSim, stopSim } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const execFileP = promisify(execFile);
/** ovn-kubernetes go-controller/pkg/metrics/ovn.go, ovs.go register these as gauges: promtool's lint flags the suffix. */
const UPSTREAM_TOTAL_GAUGES =
  /^(ovn_controller_integration_bridge_openflow_total|ovs_vswitchd_bridge_flows_total|ovs_vswitchd_handlers_total|ovs_vswitchd_revalidators_total) non-counter metrics should not have "_total" suffix$/;
const PROXY = '/api/v1/namespaces/openshift-monitoring/services/thanos-querier:web/proxy';

let workdir: string;
let kubeconfig: string;
let proxy: ChildProcess | undefined;
let profiledRun: { db: string; runId: string } | undefined;
let promBase: string;

const kubectl = async (...args: string[]): Promise<string> =>
  (await execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 << 20 })).stdout;

function kubectlApply(manifest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], (err, _o, stderr) =>
      err ? reject(new Error(`kubectl apply: ${stderr}`)) : resolve(),
    );
    child.stdin?.end(manifest);
  });
}

/** promtool query instant through the service proxy; the single sample's value. */
async function promtoolValue(expr: string): Promise<number | undefined> {
  const { stdout } = await execFileP('promtool', ['query', 'instant', promBase, expr]);
  // "{} => 2 @[1796282000.123]"
  const m = /=>\s*(\S+)\s*@/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

async function assignedEgressIPs(): Promise<number> {
  const list = JSON.parse(await kubectl('get', 'egressips', '-o', 'json')) as { items: { status?: { items?: unknown[] } }[] };
  return list.items.reduce((n, e) => n + (e.status?.items?.length ?? 0), 0);
}

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

function egressIp(name: string, ip: string): string {
  return JSON.stringify({
    apiVersion: 'k8s.ovn.org/v1',
    kind: 'EgressIP',
    metadata: { name },
    spec: { egressIPs: [ip], namespaceSelector: { matchLabels: { 'metrics-test': 'eip' } } },
  });
}

beforeAll(async () => {
  workdir = tempDir('nh-prom-');
  kubeconfig = startDetachedSim(join(workdir, 'sim'), { speed: 20, nodes: '1+2' });
  // promtool (2.42) has no auth flags: it reaches the service proxy through `kubectl proxy`, which adds the
  // kubeconfig's credentials, as a user at a workstation would
  proxy = spawn('kubectl', ['--kubeconfig', kubeconfig, 'proxy', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proxy?.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proxy?.once('exit', (code) => reject(new Error(`kubectl proxy exited ${code}`)));
  });
  promBase = `http://127.0.0.1:${port}${PROXY}/`;
  // the served namespace and a pod in it, on a worker
  await kubectl('create', 'namespace', 'eip-metrics');
  await kubectl('label', 'namespace', 'eip-metrics', 'metrics-test=eip');
  await kubectl('run', 'client', '-n', 'eip-metrics', '--image=registry.access.redhat.com/ubi9/ubi-minimal', '--', 'sleep', 'infinity');
  await kubectl('label', 'node', 'worker-0', 'k8s.ovn.org/egress-assignable=');
}, 480_000);

afterAll(() => {
  proxy?.kill();
  if (workdir && existsSync(join(workdir, 'sim'))) stopSim(join(workdir, 'sim'));
});

describe('the embedded cluster Prometheus, through the service proxy', () => {
  it('promtool reads sum(ovnkube_clustermanager_num_egress_ips): it equals the assigned EgressIPs and moves when one is added', async () => {
    // Prometheus has scraped cluster-manager once it answers with a sample
    const v0 = await until(
      'a first scrape',
      () => promtoolValue('sum(ovnkube_clustermanager_num_egress_ips)'),
      (v) => v !== undefined,
    );
    expect(v0).toBe(await assignedEgressIPs());
    expect(v0).toBe(0);

    await kubectlApply(egressIp('eip-metrics-a', '192.168.126.201'));
    await until('the EgressIP to be assigned', assignedEgressIPs, (n) => n === 1);
    expect(
      await until(
        'the metric to move',
        () => promtoolValue('sum(ovnkube_clustermanager_num_egress_ips)'),
        (v) => v === 1,
      ),
    ).toBe(1);

    await kubectlApply(egressIp('eip-metrics-b', '192.168.126.202'));
    await until('the second EgressIP to be assigned', assignedEgressIPs, (n) => n === 2);
    expect(
      await until(
        'the metric to move again',
        () => promtoolValue('sum(ovnkube_clustermanager_num_egress_ips)'),
        (v) => v === 2,
      ),
    ).toBe(await assignedEgressIPs());
  }, 240_000);

  it('the zone that serves the pod counts the NB programming of the assignment in the assign latency histogram', async () => {
    const n = await until(
      'an assign latency observation',
      () => promtoolValue('sum(ovnkube_controller_egress_ips_assign_latency_seconds_count)'),
      (v) => (v ?? 0) >= 1,
      60_000,
    );
    expect(n).toBeGreaterThanOrEqual(1);
    const le = await promtoolValue('sum(ovnkube_controller_egress_ips_assign_latency_seconds_bucket{le="+Inf"})');
    expect(le).toBe(n);
  }, 180_000);

  it('every target is up and what each exporter serves passes promtool check metrics', async () => {
    const active = await until(
      'all targets scraped',
      async () =>
        (
          JSON.parse(await kubectl('get', '--raw', `${PROXY}/api/v1/targets?state=active`)) as {
            data: { activeTargets: { scrapeUrl: string; health: string; labels: Record<string, string> }[] };
          }
        ).data.activeTargets,
      (ts) => ts.length > 0 && ts.every((t) => t.health === 'up'),
      60_000,
    );
    // 1 cluster-manager, per node (3): ovnkube-controller, ovn, cadvisor, kubelet; kube-state-metrics
    const ptp = active.filter((t) => t.labels.job === 'ptp-monitor-service');
    expect(active.length - ptp.length).toBe(1 + 3 * 4 + 1);
    expect(new Set(active.filter((t) => !ptp.includes(t)).map((t) => t.labels.job))).toEqual(
      new Set(['ovn-kubernetes-control-plane', 'ovn-kubernetes-node', 'kubelet', 'kube-state-metrics']),
    );
    // the PTP daemons (sim/ptp) are scraped as ptp-monitor-service in openshift-ptp, each with its openshift_ptp_*
    for (const t of ptp) expect(t.labels).toMatchObject({ namespace: 'openshift-ptp', endpoint: 'metrics' });
    if (ptp.length) expect(await promtoolValue('count(count(openshift_ptp_offset_ns) by (node))')).toBe(ptp.length);
    for (const t of active) {
      const text = await (await fetch(t.scrapeUrl)).text();
      expect(text.length, t.scrapeUrl).toBeGreaterThan(0);
      // exit 0: clean; 3: lint findings only; anything else: the text did not parse
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect([0, 3], `${t.scrapeUrl}: ${lint.stdout}${lint.stderr}`).toContain(lint.status);
      const findings = `${lint.stdout}${lint.stderr}`.split('\n').filter(Boolean);
      // the only finding allowed is upstream's own naming: gauges ovnkube-node exports with a _total suffix
      // (the PTP text is sim/ptp's rendering of linuxptp-daemon's own names: those are upstream's too, so lint findings pass)
      if (t.labels.job !== 'ptp-monitor-service') for (const f of findings) expect(f, t.scrapeUrl).toMatch(UPSTREAM_TOTAL_GAUGES);
    }
    // the OVN figures come from the real daemons, the container figures from their processes
    expect(await promtoolValue('count(ovn_controller_integration_bridge_openflow_total > 0)')).toBe(3);
    expect(await promtoolValue('count(ovs_vswitchd_handlers_total)')).toBe(3);
    expect(
      await promtoolValue(
        'count(container_memory_working_set_bytes{namespace="openshift-ovn-kubernetes",container="ovn-controller"} > 1e6)',
      ),
    ).toBe(3);
  }, 240_000);
});

describe('scenario --metrics-profile', () => {
  it('stores the series of the profile; the broken query is a warning that names it and the run passes', async () => {
    const db = join(workdir, 'runs.db');
    const r = await runCli([
      'scenario',
      join(ROOT, 'test', 'metrics', 'fixtures', 'two-steps.ts'),
      '--kubeconfig',
      kubeconfig,
      '--db',
      db,
      '--param',
      'seconds=4',
      '--metrics-profile',
      join(ROOT, 'test', 'metrics', 'fixtures', 'profile.yaml'),
      '--metrics-step',
      '2s',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { runId: string; verdict: string };
    expect(summary.verdict).toBe('passed');
    profiledRun = { db, runId: summary.runId };
    expect(r.stderr).toMatch(/warning: metrics: query 'broken' failed \(sum\(rate\(container_cpu_usage_seconds_total\[1m\]\): bad_data/);
    expect(r.stderr).not.toMatch(/query 'egressIPs' failed/);

    const store = openStore(db);
    try {
      const eips = listMetricSeries(store, summary.runId, { metricName: 'egressIPs' });
      expect(eips).toHaveLength(1);
      expect(eips[0]).toMatchObject({ kind: 'range', stepSeconds: 2, query: 'sum(ovnkube_clustermanager_num_egress_ips)' });
      expect(eips[0].points.length).toBeGreaterThanOrEqual(3);
      expect(eips[0].points[eips[0].points.length - 1].value).toBe(await assignedEgressIPs());

      const pods = listMetricSeries(store, summary.runId, { metricName: 'runningPods' });
      expect(pods.map((s) => s.labels.node).sort()).toEqual(['master-0', 'worker-0', 'worker-1']);
      for (const s of pods) {
        expect(s.kind).toBe('instant');
        expect(s.points.map((p) => p.step)).toEqual(['warm up', 'hold', 'end']);
      }
      expect(listMetricSeries(store, summary.runId, { metricName: 'nothing' })).toEqual([]);
      expect(listMetricSeries(store, summary.runId, { metricName: 'broken' })).toEqual([]);

      const events = store.getRun(summary.runId).events;
      const warnings = events.filter((e) => e.kind === 'metrics-warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0].details).toMatchObject({ metricName: 'broken' });
      const collected = events.find((e) => e.kind === 'metrics-collected');
      expect(collected?.details).toMatchObject({ metrics: 2, warnings: 1, stepSeconds: 2 });
      expect(String(collected?.details.source)).toContain('thanos-querier');
    } finally {
      store.close();
    }
  }, 360_000);

  it('netharness metrics series lists what the run stored; metrics query reads the cluster through the service proxy', async () => {
    if (!profiledRun) throw new Error('needs the --metrics-profile run above');
    const l = await runCli(['metrics', 'series', profiledRun.runId.slice(0, 8), '--db', profiledRun.db, '--json']);
    expect(l.code, l.stderr).toBe(0);
    const names = (JSON.parse(l.stdout) as { metrics: { metricName: string; kind: string; series: number }[] }).metrics;
    expect(names.map((n) => [n.metricName, n.kind, n.series])).toEqual([
      ['egressIPs', 'range', 1],
      ['runningPods', 'instant', 3],
    ]);
    const q = await runCli(['metrics', 'query', 'sum(ovnkube_clustermanager_num_egress_ips)', '--kubeconfig', kubeconfig, '--json']);
    expect(q.code, q.stderr).toBe(0);
    const out = JSON.parse(q.stdout) as { source: string; series: { points: [number, number][] }[] };
    expect(out.source).toContain('thanos-querier:web via the API server');
    expect(out.series[0].points[0][1]).toBe(await assignedEgressIPs());
    const bad = await runCli(['metrics', 'query', 'sum(rate(x[1m]', '--kubeconfig', kubeconfig]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/query 'sum\(rate\(x\[1m\]' failed: bad_data/);
  }, 180_000);

  it('--prometheus-url reads Prometheus directly; the token never reaches the database', async () => {
    const flags = JSON.parse(await kubectl('get', '--raw', `${PROXY}/api/v1/status/flags`)) as { data: Record<string, string> };
    const url = `http://${flags.data['web.listen-address']}`;
    const db = join(workdir, 'url.db');
    const token = 'sekret-token-0123456789abcdef';
    const r = await runCli([
      'scenario',
      join(ROOT, 'test', 'metrics', 'fixtures', 'two-steps.ts'),
      '--kubeconfig',
      kubeconfig,
      '--db',
      db,
      '--param',
      'seconds=2',
      '--metrics-profile',
      join(ROOT, 'metrics', 'profiles', 'egressip.yaml'),
      '--prometheus-url',
      url,
      '--prometheus-token',
      token,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { runId } = JSON.parse(r.stdout) as { runId: string };
    const store = openStore(db);
    try {
      const collected = store.getRun(runId).events.find((e) => e.kind === 'metrics-collected');
      expect(collected?.details).toMatchObject({ source: url, warnings: 0 });
      expect(listMetricSeries(store, runId, { metricName: 'egressIPsAssigned' })[0].points.at(-1)?.value).toBe(await assignedEgressIPs());
      expect(listMetricSeries(store, runId, { metricName: 'egressIPAssignmentsProgrammed' }).length).toBeGreaterThan(0);
    } finally {
      store.close();
    }
    expect(readFileSync(db).includes(token)).toBe(false);
    expect(`${r.stdout}${r.stderr}`).not.toContain(token);
  }, 240_000);

  it('a bad profile exits 2 naming the entry and field, before a run is recorded', async () => {
    const bad = join(workdir, 'bad.yaml');
    writeFileSync(bad, '- query: up\n  metricName: ok\n- query: up\n  metric: typo\n');
    const db = join(workdir, 'bad.db');
    const r = await runCli([
      'scenario',
      join(ROOT, 'test', 'metrics', 'fixtures', 'two-steps.ts'),
      '--kubeconfig',
      kubeconfig,
      '--db',
      db,
      '--metrics-profile',
      bad,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml \[1\]/);
    expect(existsSync(db)).toBe(false);
    const r2 = await runCli(['scenario', 'corenet-6498', '--metrics-step', '5s']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--metrics-step needs --metrics-profile/);
  }, 120_000);
});

describe('the Prometheus process', () => {
  it('runs in the sim process group with its TSDB in the sim workdir, and is gone after sim stop', () => {
    const tsdb = join(workdir, 'sim', 'prometheus', 'data');
    const pids = readdirSync('/proc').filter((d) => {
      if (!/^\d+$/.test(d)) return false;
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`--storage.tsdb.path=${tsdb}`);
      } catch {
        return false;
      }
    });
    expect(pids).toHaveLength(1);
    const stat = (pid: string): string[] => {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return s.slice(s.lastIndexOf(')') + 2).split(' ');
    };
    // fields after comm: state, ppid, pgrp
    const [, ppid, pgrp] = stat(pids[0]);
    expect(readFileSync(`/proc/${ppid}/cmdline`, 'utf8')).toContain('sim');
    expect(pgrp).toBe(stat(ppid)[2]);
    expect(readdirSync(tsdb).length).toBeGreaterThan(0);
    stopSim(join(workdir, 'sim'));
    expect(existsSync(`/proc/${pids[0]}`)).toBe(false);
    // a clean stop leaves no lock behind
    expect(existsSync(join(tsdb, 'lock'))).toBe(false);
  }, 180_000);
});
