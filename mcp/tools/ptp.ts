/**
 * PTP tools (toolset `ptp`): the PTP operator's objects and the linuxptp-daemon of a node, read-only. The
 * tools of the PTP operator MCP server (aneeshkp/ptp-operator-mcp-server: list_ptp_pods, get_daemon_logs,
 * get_proxy_logs, analyze_ptp_faults, get_ptp_metrics, check_ptp_status, get_ptp_configs,
 * get_node_ptp_configs, get_ptp_config, monitor_ptp_events) without its generic exec (exec_ptp_command): commands are fixed argv (curl of the
 * metrics endpoint, pmc GET of allow-listed datasets, cat of the daemon's config files, curl GET of the
 * sidecar's REST API v2 CurrentState) run in linuxptp-daemon-container of the node's linuxptp-daemon pod.
 */
import * as z from 'zod';
import { defineTool, header, nodeTextTool, pageOpts, runNodeCommand, type AnyTool, type ToolContext } from '../registry.ts';
import { pageText } from '../output.ts';
import { ToolError, type K8sObject, type NodeCommand } from '../target.ts';
import { k8sName, nodeArg, outputShape } from '../validate.ts';
import { analyzeText, renderAnalysis } from '../../harness/ptp/analyze.ts';
import { interpretPtpMetrics, renderPtpMetrics } from '../../harness/ptp/metrics.ts';
import { PTP_NAMESPACE } from '../../harness/constants.ts';
import { PMC_DATASETS, pmcArgv } from '../../harness/ptp/pmc.ts';

export const PTP_NS = PTP_NAMESPACE;
export const PTP_DAEMON_CONTAINER = 'linuxptp-daemon-container';
const PTP_API = 'ptp.openshift.io/v1';

/** Config files the daemon writes (pkg/daemon: /var/run/<process>.<N>.config). */
export const PTP_CONFIG_FILES = [0, 1, 2, 3].flatMap((n) => [`ptp4l.${n}.config`, `phc2sys.${n}.config`, `ts2phc.${n}.config`]);
export const CURRENT_STATE_RESOURCES = ['sync-state', 'lock-state', 'os-clock-sync-state', 'clock-class'] as const;
const RESOURCE_PATH: Record<(typeof CURRENT_STATE_RESOURCES)[number], string> = {
  'sync-state': 'sync/sync-status/sync-state',
  'lock-state': 'sync/ptp-status/lock-state',
  'os-clock-sync-state': 'sync/sync-status/os-clock-sync-state',
  'clock-class': 'sync/ptp-status/clock-class',
};

export const metricsArgv = (): string[] => ['curl', '-s', 'localhost:9091/metrics'];
export const currentStateArgv = (node: string, r: (typeof CURRENT_STATE_RESOURCES)[number]): string[] => [
  'curl',
  '-s',
  `localhost:9043/api/ocloudNotifications/v2/cluster/node/${node}/${RESOURCE_PATH[r]}/CurrentState`,
];

async function daemonPod(ctx: ToolContext, node: string): Promise<K8sObject> {
  const pods = await ctx.target.list({ apiVersion: 'v1', kind: 'Pod', namespace: PTP_NS, labelSelector: 'app=linuxptp-daemon' });
  const pod = pods.find((p) => p.spec?.nodeName === node && p.metadata?.labels?.app === 'linuxptp-daemon');
  if (!pod?.metadata?.name)
    throw new ToolError(`no linuxptp-daemon pod (namespace ${PTP_NS}, label app=linuxptp-daemon) on node ${node}; list them with ptp_pods`);
  return pod;
}

function podHealth(p: K8sObject): string {
  const cs = (p.status?.containerStatuses as { name: string; ready?: boolean; restartCount?: number }[] | undefined) ?? [];
  const ready =
    ((p.status?.conditions as { type?: string; status?: string }[] | undefined) ?? []).find((c) => c.type === 'Ready')?.status ?? '?';
  return `${p.metadata?.name} node=${p.spec?.nodeName} phase=${p.status?.phase} Ready=${ready} containers: ${cs.map((c) => `${c.name}${c.ready ? '' : '(not ready)'} restarts=${c.restartCount ?? 0}`).join(', ')}`;
}

const pods = defineTool({
  name: 'ptp_pods',
  toolset: 'ptp',
  title: 'PTP daemon pods and their health',
  description:
    'The linuxptp-daemon pods in openshift-ptp (one per PTP node): node, phase, Ready, containers (linuxptp-daemon-container, cloud-event-proxy, kube-rbac-proxy) with readiness and restart counts. Start here to see which nodes run PTP.',
  shape: { ...outputShape },
  reads: [{ group: '', resource: 'pods', namespace: PTP_NS }],
  async run(ctx, a) {
    const list = await ctx.target.list({ apiVersion: 'v1', kind: 'Pod', namespace: PTP_NS, labelSelector: 'app=linuxptp-daemon' });
    const ps = list.filter((p) => p.metadata?.labels?.app === 'linuxptp-daemon');
    const text = ps.length ? ps.map(podHealth).join('\n') : `no linuxptp-daemon pods in ${PTP_NS} (is the PTP operator installed?)`;
    return { text: pageText(text, pageOpts(ctx, a)).text };
  },
});

const logShape = {
  node: nodeArg(),
  tail_lines: z.number().int().min(1).max(100_000).optional().describe('Last N lines (default 2000).'),
  since_minutes: z.number().int().min(1).max(10_080).optional().describe('Only lines from the last N minutes.'),
  previous: z.boolean().optional().describe("The previous (crashed) container's log."),
  ...outputShape,
};
type LogArgs = { node: string; tail_lines?: number; since_minutes?: number; previous?: boolean };
const LOG_READS = [
  { group: '', resource: 'pods', namespace: PTP_NS },
  { group: '', resource: 'pods/log', namespace: PTP_NS },
];

/** The log of one container of the node's linuxptp-daemon pod (last 2000 lines unless asked otherwise). */
async function daemonPodLog(ctx: ToolContext, a: LogArgs, container: string): Promise<{ pod: K8sObject; text: string }> {
  const pod = await daemonPod(ctx, a.node);
  const text = await ctx.target.logs({
    namespace: PTP_NS,
    pod: pod.metadata!.name!,
    container,
    tailLines: a.tail_lines ?? 2000,
    sinceSeconds: a.since_minutes ? a.since_minutes * 60 : undefined,
    previous: a.previous,
  });
  return { pod, text };
}

const daemonLogs = defineTool({
  name: 'ptp_daemon_logs',
  toolset: 'ptp',
  title: 'linuxptp-daemon log of a node, with its analysis',
  description:
    'The linuxptp-daemon-container log of the node (klog lines and the raw ptp4l/phc2sys/ts2phc lines per config) headed by an analysis: port transitions and counts per state, offsets per process/config (samples, max |offset|, rms), clock-class changes, faults (FAULTY, holdover, tx timestamp timeouts, clock jumps, offsets out of range, process restarts) and a health score HEALTHY/MINOR/MODERATE/CRITICAL. Example: {node:"worker-0", grep:"FAULTY|offset"}.',
  shape: logShape,
  reads: LOG_READS,
  async run(ctx, a) {
    const { pod, text } = await daemonPodLog(ctx, a, PTP_DAEMON_CONTAINER);
    const analysis = renderAnalysis(analyzeText(text));
    const page = pageText(text, pageOpts(ctx, a, { budgetBytes: Math.max(1024, ctx.budgetBytes - analysis.length - 200) }));
    return { text: `# ${pod.metadata!.name}/${PTP_DAEMON_CONTAINER} on ${a.node}\n${analysis}\n\n=== log ===\n${page.text}` };
  },
});

const sidecarLogs = defineTool({
  name: 'ptp_sidecar_logs',
  toolset: 'ptp',
  title: 'cloud-event-proxy log of a node',
  description:
    'The cloud-event-proxy sidecar\'s log in the node\'s linuxptp-daemon pod: published events (sync-state, lock-state, os-clock-sync-state, clock-class), subscriptions, REST API errors. Example: {node:"worker-0", grep:"HOLDOVER|FREERUN|error"}.',
  shape: logShape,
  reads: LOG_READS,
  async run(ctx, a) {
    const { pod, text } = await daemonPodLog(ctx, a, 'cloud-event-proxy');
    return { text: `# ${pod.metadata!.name}/cloud-event-proxy on ${a.node}\n${pageText(text, pageOpts(ctx, a)).text}` };
  },
});

const metrics = defineTool({
  name: 'ptp_metrics',
  toolset: 'ptp',
  title: 'PTP metrics of a node, parsed',
  description:
    '`curl -s localhost:9091/metrics` in linuxptp-daemon-container, interpreted: process status and restarts, interface roles (SLAVE/MASTER/FAULTY/LISTENING/PASSIVE), clock states (LOCKED/FREERUN/HOLDOVER; note the daemon encoding writes 0 for HOLDOVER too), offsets (999999 marks a FAULTY slave port), clock class, thresholds. raw:true returns the openshift_ptp_* lines. Example: {node:"worker-0"}.',
  shape: { node: nodeArg(), raw: z.boolean().optional().describe('Return the raw openshift_ptp_* metric lines.'), ...outputShape },
  exec: PTP_NS,
  plan: (a) => ({ node: a.node, container: PTP_DAEMON_CONTAINER, argv: metricsArgv() }),
  async run(ctx, a) {
    const cmd: NodeCommand = { node: a.node, container: PTP_DAEMON_CONTAINER, argv: metricsArgv() };
    const out = await runNodeCommand(ctx, cmd);
    const body = a.raw
      ? out.stdout
          .split('\n')
          .filter((l) => l.startsWith('openshift_ptp_'))
          .join('\n')
      : renderPtpMetrics(interpretPtpMetrics(out.stdout));
    return { text: `${header(cmd, out)}\n${pageText(body, pageOpts(ctx, a)).text}` };
  },
});

const configs = defineTool({
  name: 'ptp_configs',
  toolset: 'ptp',
  title: 'PtpConfig profiles and which nodes they apply to',
  description:
    'PtpConfig objects in openshift-ptp: each profile (interface, ptp4lOpts, phc2sysOpts, ts2phcOpts, ptp4lConf, ptpClockThreshold), recommend rules (profile, priority, match nodeLabel/nodeName) and status.matchList (node -> applied profile). A node missing from matchList runs no profile. Example: {grep:"matchList|interface"}.',
  shape: { name: k8sName('name').optional().describe('Only this PtpConfig.'), ...outputShape },
  reads: [{ group: 'ptp.openshift.io', resource: 'ptpconfigs', namespace: PTP_NS }],
  async run(ctx, a) {
    let list = await ctx.target.list({ apiVersion: PTP_API, kind: 'PtpConfig', namespace: PTP_NS });
    if (a.name) list = list.filter((o) => o.metadata?.name === a.name);
    const slim = list.map((o) => ({
      name: o.metadata?.name,
      spec: o.spec,
      matchList: (o.status as { matchList?: unknown } | undefined)?.matchList ?? [],
    }));
    return { text: pageText(JSON.stringify(slim, null, 1), pageOpts(ctx, a)).text };
  },
});

const devices = defineTool({
  name: 'ptp_node_devices',
  toolset: 'ptp',
  title: 'PTP-capable NICs per node (NodePtpDevice)',
  description:
    'NodePtpDevice objects: per node the PTP-capable devices with hardwareInfo (PCI address, vendor/device ID, firmware, driver, link status/speed). Use it to see whether the interface a profile names exists and can timestamp. Example: {node:"worker-0"}.',
  shape: { node: nodeArg().optional(), ...outputShape },
  reads: [{ group: 'ptp.openshift.io', resource: 'nodeptpdevices', namespace: PTP_NS }],
  async run(ctx, a) {
    let list = await ctx.target.list({ apiVersion: PTP_API, kind: 'NodePtpDevice', namespace: PTP_NS });
    if (a.node) list = list.filter((o) => o.metadata?.name === a.node);
    const slim = list.map((o) => ({ node: o.metadata?.name, devices: (o.status as { devices?: unknown } | undefined)?.devices ?? [] }));
    return { text: pageText(JSON.stringify(slim, null, 1), pageOpts(ctx, a)).text };
  },
});

const configFile = nodeTextTool({
  name: 'ptp_config_file',
  toolset: 'ptp',
  title: 'A config file the daemon wrote for a process',
  description:
    '`cat /var/run/<file>` in linuxptp-daemon-container: the ptp4l / phc2sys / ts2phc config the daemon generated from the profile (interfaces sections, slaveOnly/masterOnly, tx_timestamp_timeout, summary_interval ...). Example: {node:"worker-0", file:"ptp4l.0.config"}.',
  shape: {
    node: nodeArg(),
    file: z.enum(PTP_CONFIG_FILES as [string, ...string[]]).describe('ptp4l.N.config, phc2sys.N.config or ts2phc.N.config (N 0-3).'),
    ...outputShape,
  },
  exec: PTP_NS,
  plan: (a) => ({ node: a.node, container: PTP_DAEMON_CONTAINER, argv: ['cat', `/var/run/${a.file}`] }),
});

const pmc = nodeTextTool({
  name: 'ptp_pmc',
  toolset: 'ptp',
  title: 'pmc GET of a PTP dataset',
  description:
    '`pmc -u -b 0 -f /var/run/ptp4l.N.config \'GET <dataset>\'`: ptp4l\'s management data over its UDS. CURRENT_DATA_SET (offsetFromMaster, meanPathDelay, stepsRemoved), PARENT_DATA_SET (grandmaster identity and clockClass), TIME_STATUS_NP (master_offset, gmPresent), PORT_DATA_SET (portState per port). Only GET of these datasets. Example: {node:"worker-0", dataset:"PARENT_DATA_SET"}.',
  shape: {
    node: nodeArg(),
    dataset: z.enum(PMC_DATASETS).describe(`One of ${PMC_DATASETS.join(', ')}.`),
    config: z.number().int().min(0).max(3).optional().describe('ptp4l instance N of /var/run/ptp4l.N.config (default 0).'),
    ...outputShape,
  },
  exec: PTP_NS,
  plan: (a) => ({ node: a.node, container: PTP_DAEMON_CONTAINER, argv: pmcArgv(a.dataset, a.config ?? 0) }),
});

const currentStateTool = nodeTextTool({
  name: 'ptp_current_state',
  toolset: 'ptp',
  title: "cloud-event-proxy's CurrentState of a node",
  description:
    'GET /api/ocloudNotifications/v2/cluster/node/<node>/<resource>/CurrentState of the node\'s cloud-event-proxy (REST API v2, port 9043, from inside the pod): the state the sidecar publishes (LOCKED/HOLDOVER/FREERUN, the clock class). Compare with ptp_metrics: after a sidecar restart the two can disagree. Example: {node:"worker-0", resource:"lock-state"}.',
  shape: {
    node: nodeArg(),
    resource: z.enum(CURRENT_STATE_RESOURCES).describe('sync-state, lock-state, os-clock-sync-state or clock-class.'),
    ...outputShape,
  },
  exec: PTP_NS,
  plan: (a) => ({ node: a.node, container: PTP_DAEMON_CONTAINER, argv: currentStateArgv(a.node, a.resource) }),
});

const analyze = defineTool({
  name: 'ptp_analyze',
  toolset: 'ptp',
  title: 'PTP diagnosis of a node (pod, metrics, log analysis, sidecar state, profile)',
  description:
    "One call combining the others for a node: its linuxptp-daemon pod's health, the profile matchList applies to it, the parsed metrics, the daemon log analysis (faults and health score) and the sidecar's lock-state CurrentState. Use it first when a node's clock is suspect. Example: {node:\"worker-0\"}.",
  shape: {
    node: nodeArg(),
    tail_lines: z.number().int().min(1).max(100_000).optional().describe('Log lines analysed (default 5000).'),
    ...outputShape,
  },
  reads: [
    { group: 'ptp.openshift.io', resource: 'ptpconfigs', namespace: PTP_NS },
    { group: '', resource: 'pods', namespace: PTP_NS },
    { group: '', resource: 'pods/log', namespace: PTP_NS },
  ],
  exec: PTP_NS,
  async run(ctx, a) {
    const parts: string[] = [`# PTP analysis of ${a.node}`];
    const pod = await daemonPod(ctx, a.node);
    parts.push(`pod: ${podHealth(pod)}`);
    try {
      const cfgs = await ctx.target.list({ apiVersion: PTP_API, kind: 'PtpConfig', namespace: PTP_NS });
      const ml = cfgs.flatMap((c) =>
        ((c.status as { matchList?: { nodeName?: string; profile?: string }[] } | undefined)?.matchList ?? []).filter(
          (m) => m.nodeName === a.node,
        ),
      );
      parts.push(`profile: ${ml.map((m) => m.profile).join(', ') || 'none (no PtpConfig matchList entry for this node)'}`);
    } catch (err) {
      parts.push(`profile: unavailable (${(err as Error).message})`);
    }
    const step = async (name: string, fn: () => Promise<string>) => {
      try {
        parts.push(await fn());
      } catch (err) {
        parts.push(`${name}: unavailable (${(err as Error).message.slice(0, 300)})`);
      }
    };
    await step('metrics', async () =>
      renderPtpMetrics(
        interpretPtpMetrics((await runNodeCommand(ctx, { node: a.node, container: PTP_DAEMON_CONTAINER, argv: metricsArgv() })).stdout),
      ),
    );
    await step('log', async () =>
      renderAnalysis(
        analyzeText(
          await ctx.target.logs({
            namespace: PTP_NS,
            pod: pod.metadata!.name!,
            container: PTP_DAEMON_CONTAINER,
            tailLines: a.tail_lines ?? 5000,
          }),
        ),
      ),
    );
    await step('sidecar', async () => {
      const out = await runNodeCommand(ctx, {
        node: a.node,
        container: PTP_DAEMON_CONTAINER,
        argv: currentStateArgv(a.node, 'lock-state'),
      });
      const v = /"value"\s*:\s*"([A-Z-]+)"/.exec(out.stdout)?.[1];
      return `sidecar lock-state CurrentState: ${v ?? out.stdout.slice(0, 200)}`;
    });
    return { text: pageText(parts.join('\n\n'), pageOpts(ctx, a)).text };
  },
});

const status = defineTool({
  name: 'ptp_status',
  toolset: 'ptp',
  title: 'PTP status of every PTP node',
  description:
    'For every linuxptp-daemon pod: node, pod health and one line of metrics (process status, interface roles, clock states, offsets, clock class) read with `curl -s localhost:9091/metrics` in linuxptp-daemon-container. The whole-cluster view; then use ptp_analyze on a node that looks wrong.',
  shape: { ...outputShape },
  reads: [{ group: '', resource: 'pods', namespace: PTP_NS }],
  exec: PTP_NS,
  async run(ctx, a) {
    const list = (await ctx.target.list({ apiVersion: 'v1', kind: 'Pod', namespace: PTP_NS, labelSelector: 'app=linuxptp-daemon' })).filter(
      (p) => p.metadata?.labels?.app === 'linuxptp-daemon' && typeof p.spec?.nodeName === 'string',
    );
    if (!list.length) return { text: `no linuxptp-daemon pods in ${PTP_NS} (is the PTP operator installed?)` };
    const lines = await Promise.all(
      list.map(async (p) => {
        const node = String(p.spec!.nodeName);
        try {
          const out = await runNodeCommand(ctx, { node, container: PTP_DAEMON_CONTAINER, argv: metricsArgv() });
          return `${podHealth(p)}
  ${renderPtpMetrics(interpretPtpMetrics(out.stdout)).split('\n').join('\n  ')}`;
        } catch (err) {
          return `${podHealth(p)}
  metrics unavailable: ${(err as Error).message.slice(0, 200)}`;
        }
      }),
    );
    return { text: pageText(lines.join('\n'), pageOpts(ctx, a)).text };
  },
});

const events = defineTool({
  name: 'ptp_events',
  toolset: 'ptp',
  title: 'Kubernetes events about PTP',
  description:
    'Kubernetes Events in openshift-ptp and any event whose object or message names ptp / linuxptp (pod restarts, failed scheduling, config errors), newest last. Example: {since_minutes:60}.',
  shape: {
    since_minutes: z.number().int().min(1).max(10_080).optional().describe('Only events from the last N minutes (default 60).'),
    ...outputShape,
  },
  reads: [{ group: '', resource: 'events', namespace: PTP_NS }],
  async run(ctx, a) {
    const since = Date.now() - (a.since_minutes ?? 60) * 60_000;
    const evs = (await ctx.target.list({ apiVersion: 'v1', kind: 'Event', namespace: PTP_NS })).filter((e) => {
      const t = Date.parse(String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? ''));
      const obj = (e.involvedObject ?? {}) as { kind?: string; name?: string };
      return (
        (Number.isNaN(t) || t >= since) &&
        (/ptp/i.test(String(obj.name ?? '')) || /ptp/i.test(String(e.message ?? '')) || e.metadata?.namespace === PTP_NS)
      );
    });
    const text = evs
      .map((e) => {
        const obj = (e.involvedObject ?? {}) as { kind?: string; name?: string };
        return `${String(e.lastTimestamp ?? e.eventTime ?? '')} ${String(e.type ?? '')} ${String(e.reason ?? '')} ${obj.kind}/${obj.name}: ${String(e.message ?? '')}${e.count ? ` (x${String(e.count)})` : ''}`;
      })
      .join('\n');
    return { text: pageText(text || `no PTP events in the last ${a.since_minutes ?? 60} minutes`, pageOpts(ctx, a)).text };
  },
});

export const ptpTools: AnyTool[] = [
  pods,
  status,
  daemonLogs,
  sidecarLogs,
  metrics,
  configs,
  devices,
  configFile,
  pmc,
  currentStateTool,
  events,
  analyze,
];
