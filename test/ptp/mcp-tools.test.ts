import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_TOOLS, selectTools } from '../../mcp/tools/index.ts';
import { readOnlyArgvProblem } from '../../mcp/argv-guard.ts';
import type { ToolContext } from '../../mcp/registry.ts';
import type { K8sObject, NodeCommand } from '../../mcp/target.ts';
import { FakeTarget } from '../mcp/fake-target.ts';
import { checkTool } from '../../mcp/tools/analysis.ts';
import { runCheckOnTarget } from '../../mcp/consistency.ts';
import { ptpCheck } from '../../harness/checks/ptp/index.ts';
import type { AnyCheck } from '../../harness/checks/registry.ts';

const fx = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

const objects: K8sObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'linuxptp-daemon-abcde', namespace: 'openshift-ptp', labels: { app: 'linuxptp-daemon' } },
    spec: { nodeName: 'worker-0' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'linuxptp-daemon-container', ready: true, restartCount: 0 },
        { name: 'cloud-event-proxy', ready: true, restartCount: 1 },
      ],
    },
  },
  {
    apiVersion: 'ptp.openshift.io/v1',
    kind: 'PtpConfig',
    metadata: { name: 'oc', namespace: 'openshift-ptp' },
    spec: { profile: [{ name: 'oc-slave', interface: 'ens1f0', ptp4lOpts: '-2 -s' }] },
    status: { matchList: [{ nodeName: 'worker-0', profile: 'oc-slave' }] },
  },
];

function outputs(cmd: NodeCommand) {
  if (cmd.argv[0] === 'curl' && cmd.argv[2].endsWith('/metrics')) return { stdout: fx('metrics-cep.txt') };
  if (cmd.argv[0] === 'curl') return { stdout: '{"id":"x","data":{"values":[{"data_type":"notification","value":"HOLDOVER"}]}}' };
  if (cmd.argv[0] === 'pmc') return { stdout: 'sending: GET PARENT_DATA_SET\n\tgrandmasterClockClass 6\n' };
  return { stdout: '[global]\nslaveOnly 1\n' };
}

const ctx = (): ToolContext & { target: FakeTarget } => ({
  target: new FakeTarget(objects, outputs, fx('daemon-oc.log')),
  budgetBytes: 16384,
  timeoutMs: 1000,
});
const tool = (n: string) => ALL_TOOLS.find((t) => t.name === n)!;

describe('MCP ptp toolset', () => {
  it('is a toolset of its own, selectable', () => {
    const names = selectTools({ toolsets: ['ptp'] }).map((t) => t.name);
    expect(names).toEqual([
      'ptp_pods',
      'ptp_status',
      'ptp_daemon_logs',
      'ptp_sidecar_logs',
      'ptp_metrics',
      'ptp_configs',
      'ptp_node_devices',
      'ptp_config_file',
      'ptp_pmc',
      'ptp_current_state',
      'ptp_events',
      'ptp_analyze',
    ]);
  });

  it('daemon logs come with the analysis (health score, faults)', async () => {
    const c = ctx();
    const r = await tool('ptp_daemon_logs').call(c, { node: 'worker-0' });
    expect(r.isError).toBeFalsy();
    expect(r.text).toMatch(/PTP log analysis: MINOR \(7 faults\)/);
    expect(c.target.calls.find((x) => x.op === 'logs')?.args).toMatchObject({
      namespace: 'openshift-ptp',
      pod: 'linuxptp-daemon-abcde',
      container: 'linuxptp-daemon-container',
    });
  });

  it('metrics are parsed; commands run in linuxptp-daemon-container with allow-listed argv', async () => {
    const c = ctx();
    const r = await tool('ptp_metrics').call(c, { node: 'worker-0' });
    expect(r.text).toMatch(/ptp4l ens1f0=FAULTY/);
    expect(r.text).toMatch(/HOLDOVER/);
    const e = c.target.calls.find((x) => x.op === 'nodeExec')!.args as NodeCommand;
    expect(e).toEqual({ node: 'worker-0', container: 'linuxptp-daemon-container', argv: ['curl', '-s', 'localhost:9091/metrics'] });
  });

  it('ptp_analyze combines pod, profile, metrics, log analysis and the sidecar state', async () => {
    const r = await tool('ptp_analyze').call(ctx(), { node: 'worker-0' });
    expect(r.text).toMatch(/profile: oc-slave/);
    expect(r.text).toMatch(/PTP metrics \(cloud-event-proxy encoding/);
    expect(r.text).toMatch(/PTP log analysis: MINOR/);
    expect(r.text).toMatch(/sidecar lock-state CurrentState: HOLDOVER/);
  });

  it('ptp_status covers every daemon pod', async () => {
    const r = await tool('ptp_status').call(ctx(), {});
    expect(r.text).toMatch(/linuxptp-daemon-abcde node=worker-0 phase=Running Ready=True/);
    expect(r.text).toMatch(/interface roles: ptp4l ens1f0=FAULTY/);
  });

  it('an unknown node is a clear error, not a crash', async () => {
    const r = await tool('ptp_daemon_logs').call(ctx(), { node: 'worker-9' });
    expect(r).toMatchObject({ isError: true });
    expect(r.text).toMatch(/no linuxptp-daemon pod .* on node worker-9/);
  });

  it('pmc only GETs allow-listed datasets; only fixed config files are read', () => {
    expect(tool('ptp_pmc').parse({ node: 'w', dataset: 'SET PRIORITY1' }).ok).toBe(false);
    expect(tool('ptp_config_file').parse({ node: 'w', file: '../../etc/shadow' }).ok).toBe(false);
    expect(tool('ptp_pmc').plan!({ node: 'w', dataset: 'TIME_STATUS_NP', config: 1 }).argv).toEqual([
      'pmc',
      '-u',
      '-b',
      '0',
      '-f',
      '/var/run/ptp4l.1.config',
      'GET TIME_STATUS_NP',
    ]);
  });

  it('the argv guard refuses anything but the PTP reads', () => {
    for (const bad of [
      ['curl', '-s', 'http://evil.example/x'],
      ['curl', '-X', 'POST', 'localhost:9091/metrics'],
      ['curl', '-s', 'localhost:9091/metrics', 'localhost:9091/metrics'],
      ['curl', '-s', '-d', '@/etc/shadow', 'localhost:9043/api/ocloudNotifications/v2/subscriptions'],
      ['pmc', '-u', '-b', '0', 'SET PRIORITY1 1'],
      ['pmc', '-u', '-b', '1', 'GET CURRENT_DATA_SET'],
      ['pmc', '-u', '-b', '0', '-f', '/etc/passwd', 'GET CURRENT_DATA_SET'],
      ['cat', '/etc/shadow'],
      ['cat', '/var/run/ptp4l.0.config', '/etc/shadow'],
    ])
      expect(readOnlyArgvProblem(bad), bad.join(' ')).toBeDefined();
    for (const ok of [
      ['curl', '-s', 'localhost:9091/metrics'],
      ['curl', '-s', 'localhost:9043/api/ocloudNotifications/v2/cluster/node/worker-0/sync/ptp-status/lock-state/CurrentState'],
      ['pmc', '-u', '-b', '0', '-f', '/var/run/ptp4l.0.config', 'GET PARENT_DATA_SET'],
      ['cat', '/var/run/ts2phc.1.config'],
    ])
      expect(readOnlyArgvProblem(ok), ok.join(' ')).toBeUndefined();
  });
});

describe('MCP ptp_check (the check ptp unit through the read-only source)', () => {
  const withPublisher: K8sObject[] = [
    ...objects,
    {
      apiVersion: 'ptp.openshift.io/v1',
      kind: 'PtpOperatorConfig',
      metadata: { name: 'default', namespace: 'openshift-ptp' },
      spec: { ptpEventConfig: { enableEventPublisher: true, apiVersion: '2.0' } },
    },
  ];
  const run = async (out: typeof outputs, args: Record<string, unknown> = {}) => {
    const target = new FakeTarget(withPublisher, out, '');
    const r = await checkTool(ptpCheck as unknown as AnyCheck).call(
      { target, budgetBytes: 16384, timeoutMs: 1000, consistencyCheck: runCheckOnTarget },
      args,
    );
    return { r, target };
  };

  it('is generated from the check registry as ptp_check (analysis toolset) with its reads and exec namespace', () => {
    const t = selectTools({ toolsets: ['analysis'] }).find((x) => x.name === 'ptp_check');
    expect(t).toBeDefined();
    expect(ALL_TOOLS.filter((x) => x.name === 'ptp_check')).toHaveLength(1);
  });

  it('names node, profile and kind for a FAULTY node; reads metrics and CurrentState by allow-listed curl in the daemon container', async () => {
    const { r, target } = await run(outputs, { format: 'json' });
    const j = JSON.parse(r.text) as { passed: boolean; findings: { kind: string; node: string; labels?: { profile?: string } }[] };
    expect(j.passed).toBe(false);
    expect([...new Set(j.findings.map((f) => f.kind))].sort()).toEqual([
      'clock-class-unexpected',
      'clock-not-locked',
      'offset-out-of-range',
      'port-faulty',
      'sidecar-state-mismatch',
    ]);
    for (const f of j.findings) expect([f.node, f.labels?.profile]).toEqual(['worker-0', 'oc-slave']);
    const execs = target.calls.filter((c) => c.op === 'nodeExec').map((c) => (c.args as NodeCommand).argv.join(' '));
    expect(execs.sort()).toEqual([
      'curl -s localhost:9043/api/ocloudNotifications/v2/cluster/node/worker-0/sync/ptp-status/lock-state/CurrentState',
      'curl -s localhost:9043/api/ocloudNotifications/v2/cluster/node/worker-0/sync/sync-status/os-clock-sync-state/CurrentState',
      'curl -s localhost:9091/metrics',
    ]);
    for (const c of target.calls.filter((x) => x.op === 'nodeExec'))
      expect((c.args as NodeCommand).container).toBe('linuxptp-daemon-container');
  });

  it('a healthy node passes (text form: the headline and the counts line)', async () => {
    const healthy = (cmd: NodeCommand) =>
      cmd.argv[2].endsWith('/metrics')
        ? {
            stdout: fx('metrics-daemon.txt')
              .replaceAll('worker-1', 'worker-0')
              .replace(/.*phc2sys.*\n?/g, ''),
          }
        : { stdout: '{"id":"x","data":{"values":[{"data_type":"notification","value":"LOCKED"}]}}' };
    const { r } = await run(healthy);
    expect(r.isError).toBeFalsy();
    expect(r.text).toMatch(/^PTP: HEALTHY \(1 PTP nodes, 1 profiles, 1 locked, event publisher on\)/);
    expect(r.text).toMatch(/nodes 1, profiles 1, locked 1, with findings 0/);
  });

  it('a sidecar that answers no JSON is sidecar-unavailable, not a crash; without the check runner the tool says so', async () => {
    const broken = (cmd: NodeCommand) =>
      cmd.argv[2].endsWith('/metrics') ? { stdout: fx('metrics-cep.txt') } : { stdout: '404 page not found' };
    const { r } = await run(broken, { format: 'json' });
    expect((JSON.parse(r.text) as { findings: { kind: string; message: string }[] }).findings).toContainEqual(
      expect.objectContaining({ kind: 'sidecar-unavailable', message: expect.stringMatching(/not JSON: 404 page not found/) }),
    );
    const bare = await checkTool(ptpCheck as unknown as AnyCheck).call(ctx(), {});
    expect(bare).toMatchObject({ isError: true });
    expect(bare.text).toMatch(/ptp_check is not available on this server/);
  });
});
