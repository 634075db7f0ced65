/**
 * `check ptp`: per node and profile, PTP processes up, interface roles as configured, clock_state LOCKED,
 * offsets within the profile's thresholds, clock class as expected, and the cloud-event-proxy's
 * CurrentState agreeing with the metrics. Reads (I/O) the PtpConfigs (spec.profile, status.matchList),
 * PtpOperatorConfig `default`, the linuxptp-daemon pods, per pod one exec of `curl -s localhost:9091/metrics`
 * (as the ptp-operator conformance suite does) and, with the event publisher on, the sidecar's CurrentState
 * through the service proxy; nodes read in parallel. Through the MCP server (collectFrom: a read-only source, live or
 * an offline bundle) the same reads, the CurrentState by a curl of localhost:9043 in the daemon container.
 */
import { z } from 'zod';
import type { Check, CheckCollectOptions, ReadOnlySource } from '../types.ts';
import type { Cluster } from '../../cluster/connect.ts';
import { describeApiError } from '../../cluster/exec.ts';
import { mapLimit } from '../../concurrency.ts';
import { InfraError, UsageError } from '../../errors.ts';
import {
  DAEMON_CONTAINER,
  DAEMON_SELECTOR,
  METRICS_ARGV,
  PTP_GROUP,
  PTP_NAMESPACE,
  PTP_VERSION,
  apiRequest,
  currentState,
  currentStateInPodArgv,
  daemonPodsOf,
  eventPublisherEnabled,
  listDaemonPods,
  readMetricsText,
  stateOf,
  type DaemonPod,
  type PodLike,
} from '../../ptp/cluster.ts';
import { interpretPtpMetrics } from '../../ptp/metrics.ts';
import { analyzeText } from '../../ptp/analyze.ts';
import {
  PTP_FINDINGS,
  profileFromSpec,
  type LogFault,
  type PtpFindingKind,
  type PtpNodeObservation,
  type PtpObserved,
  type ProfileSpec,
} from './model.ts';
import { evaluatePtp } from './evaluate.ts';

/** Nodes asked for by name (params.nodes) that run no PTP profile: a usage error the CLI names as its --node flag. */
export class NotPtpNodesError extends UsageError {
  constructor(
    readonly nodes: string[],
    message: string,
  ) {
    super(message);
  }
}

export * from './model.ts';
export { evaluatePtp } from './evaluate.ts';

export const PtpCheckParams = z.strictObject({
  /** only these nodes (default: every node the matchList selects) */
  nodes: z.array(z.string().min(1)).optional(),
  clockClass: z.number().int().min(0).max(255).optional(),
  skipSidecar: z.boolean().optional(),
  /** also read the daemon log of the last N seconds and judge what it shows (transient faults) */
  sinceSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional(),
});

interface PtpConfigObject {
  spec?: { profile?: Record<string, unknown>[] };
  status?: { matchList?: { nodeName?: string; profile?: string }[] };
}

/** What the check reads, from a Cluster (the CLI) or a read-only source (the MCP server). */
interface PtpReads {
  configs(): Promise<PtpConfigObject[]>;
  pods(): Promise<DaemonPod[]>;
  eventPublisher(): Promise<boolean>;
  metricsText(pod: DaemonPod, timeoutMs: number): Promise<string>;
  currentState(node: string, r: 'lockState' | 'osClockSyncState', timeoutMs: number): Promise<unknown>;
  /** the daemon container's log of the last `sinceSeconds` (the CLI; the MCP server has ptp_daemon_logs for it) */
  daemonLog?(pod: DaemonPod, sinceSeconds: number, timeoutMs: number): Promise<string>;
}

/** The faults of a daemon log, one entry per kind, config and process. */
export function logFaultsOf(text: string): LogFault[] {
  const a = analyzeText(text);
  const by = new Map<string, LogFault>();
  for (const f of a.faults) {
    // phc2sys lines carry the ptp4l config's tag: the process tells them apart
    const k = `${f.kind}|${f.config ?? ''}|${f.process ?? ''}`;
    const cur = by.get(k);
    if (cur) cur.count++;
    else by.set(k, { kind: f.kind, config: f.config, process: f.process, count: 1, first: f.text.slice(0, 300) });
  }
  return [...by.values()];
}

async function collectWith(r: PtpReads, params: z.infer<typeof PtpCheckParams>, opts: CheckCollectOptions): Promise<PtpObserved> {
  const configs = await r.configs();
  const profiles: ProfileSpec[] = configs.flatMap((c) => (c.spec?.profile ?? []).map(profileFromSpec));
  const byNode = new Map<string, Set<string>>();
  for (const c of configs)
    for (const m of c.status?.matchList ?? [])
      if (m.nodeName && m.profile) {
        if (!byNode.has(m.nodeName)) byNode.set(m.nodeName, new Set());
        byNode.get(m.nodeName)!.add(m.profile);
      }
  const [pods, eventPublisher] = await Promise.all([r.pods(), r.eventPublisher()]);
  const podOf = new Map(pods.map((p) => [p.node, p]));
  let nodes = [...byNode.keys()].sort();
  if (params.nodes?.length) {
    // a node asked for by name that runs no PTP profile is a mistake to name, not a node that passes
    const notPtp = params.nodes.filter((n) => !byNode.has(n));
    if (notPtp.length)
      throw new NotPtpNodesError(
        notPtp,
        `node ${notPtp.join(', ')}: no PtpConfig profile applies to ${notPtp.length > 1 ? 'them' : 'it'} (status.matchList ${nodes.length ? `selects ${nodes.join(', ')}` : 'selects no node'})`,
      );
    nodes = nodes.filter((n) => params.nodes!.includes(n));
  }
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const observed = await mapLimit(
    nodes,
    opts.concurrency ?? 8,
    async (node): Promise<PtpNodeObservation> => {
      const pod = podOf.get(node);
      const o: PtpNodeObservation = { node, pod, profileNames: [...byNode.get(node)!].sort() };
      if (!pod) return o;
      try {
        o.metrics = interpretPtpMetrics(await r.metricsText(pod, timeoutMs));
      } catch (err) {
        o.metricsError = (err as Error).message;
      }
      if (eventPublisher && !params.skipSidecar) {
        try {
          const [lock, os] = await Promise.all([
            r.currentState(node, 'lockState', timeoutMs),
            r.currentState(node, 'osClockSyncState', timeoutMs),
          ]);
          o.sidecar = { lockState: stateOf(lock).value, osClockSyncState: stateOf(os).value };
        } catch (err) {
          o.sidecar = { error: (err as Error).message };
        }
      }
      if (params.sinceSeconds !== undefined) {
        const sinceSeconds = params.sinceSeconds;
        if (!r.daemonLog) o.log = { sinceSeconds, faults: [], error: 'this source cannot read pod logs (use ptp_daemon_logs)' };
        else
          try {
            o.log = { sinceSeconds, faults: logFaultsOf(await r.daemonLog(pod, sinceSeconds, timeoutMs)) };
          } catch (err) {
            o.log = { sinceSeconds, faults: [], error: (err as Error).message };
          }
      }
      return o;
    },
    opts.signal,
  );
  // an interrupted map leaves the nodes it did not start empty: not an observation to judge
  if (opts.signal?.aborted) throw new InfraError('interrupted');
  return { profiles, nodes: observed, eventPublisher, unprofiledDaemonNodes: pods.filter((p) => !byNode.has(p.node)).map((p) => p.node) };
}

/** The CLI's collect: API reads, one metrics exec per daemon pod, the sidecar through the service proxy. */
export async function collectPtp(
  cluster: Cluster,
  params: z.infer<typeof PtpCheckParams>,
  opts: CheckCollectOptions = {},
): Promise<PtpObserved> {
  return collectWith(
    {
      async configs() {
        try {
          const res = (await cluster.custom.listNamespacedCustomObject({
            group: PTP_GROUP,
            version: PTP_VERSION,
            namespace: PTP_NAMESPACE,
            plural: 'ptpconfigs',
          })) as { items?: PtpConfigObject[] };
          return res.items ?? [];
        } catch (err) {
          throw new InfraError(
            `list PtpConfigs in ${PTP_NAMESPACE}: ${describeApiError(err)}`,
            'is the PTP operator installed (ptpconfigs.ptp.openshift.io)?',
          );
        }
      },
      pods: () => listDaemonPods(cluster),
      eventPublisher: () => eventPublisherEnabled(cluster),
      metricsText: (pod, timeoutMs) => readMetricsText(cluster, pod.pod, timeoutMs),
      currentState: (node, res, timeoutMs) => currentState(cluster, node, res, timeoutMs),
      async daemonLog(pod, sinceSeconds, timeoutMs) {
        const path = `/api/v1/namespaces/${PTP_NAMESPACE}/pods/${encodeURIComponent(pod.pod)}/log?container=${DAEMON_CONTAINER}&sinceSeconds=${sinceSeconds}`;
        const r = await apiRequest(cluster, 'GET', path, { timeoutMs });
        if (r.status !== 200) throw new InfraError(`GET the log of ${PTP_NAMESPACE}/${pod.pod}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        return r.body;
      },
    },
    params,
    opts,
  );
}

const API = `${PTP_GROUP}/${PTP_VERSION}`;

/**
 * The MCP server's collect, through its read-only source (live or an offline bundle): the same reads, the metrics
 * and the sidecar's CurrentState by exec in linuxptp-daemon-container (curl of localhost:9091 / :9043; the server's
 * argv guard allows exactly these), so `ptp_check` gives the verdict `netharness check ptp` gives.
 */
export async function collectPtpFrom(
  src: ReadOnlySource,
  params: z.infer<typeof PtpCheckParams>,
  opts: CheckCollectOptions = {},
): Promise<PtpObserved> {
  const list = async (kind: string, apiVersion = API, labelSelector?: string) => {
    try {
      return await src.list({ apiVersion, kind, namespace: PTP_NAMESPACE, ...(labelSelector ? { labelSelector } : {}) });
    } catch (err) {
      throw new InfraError(`list ${kind} in ${PTP_NAMESPACE} (${src.where}): ${(err as Error).message}`, 'is the PTP operator installed?');
    }
  };
  const inPod = async (node: string, argv: string[], timeoutMs: number) => {
    try {
      return await src.nodeExec(node, DAEMON_CONTAINER, argv, { timeoutMs });
    } catch (err) {
      throw new InfraError(`${argv.join(' ')} in ${DAEMON_CONTAINER} on ${node}: ${(err as Error).message}`);
    }
  };
  return collectWith(
    {
      configs: async () => (await list('PtpConfig')) as PtpConfigObject[],
      pods: async () =>
        daemonPodsOf(
          ((await list('Pod', 'v1', DAEMON_SELECTOR)) as PodLike[]).filter((p) => p.metadata?.labels?.app === 'linuxptp-daemon'),
        ),
      eventPublisher: async () => {
        const cfg = (await list('PtpOperatorConfig').catch(() => [])).find((o) => o.metadata?.name === 'default');
        return (
          (cfg?.spec as { ptpEventConfig?: { enableEventPublisher?: boolean } } | undefined)?.ptpEventConfig?.enableEventPublisher === true
        );
      },
      metricsText: (pod, timeoutMs) => inPod(pod.node, METRICS_ARGV, timeoutMs),
      currentState: async (node, res, timeoutMs) => {
        const body = await inPod(node, currentStateInPodArgv(node, res), timeoutMs);
        try {
          return JSON.parse(body) as unknown;
        } catch {
          throw new InfraError(`CurrentState of ${node} ${res}: not JSON: ${body.slice(0, 200)}`);
        }
      },
    },
    params,
    opts,
  );
}

export const ptpCheck: Check<typeof PtpCheckParams, PtpObserved, PtpFindingKind> = {
  name: 'ptp',
  description:
    'PTP clock state per node and profile: processes up, roles as configured, clock_state LOCKED, offsets within thresholds, clock class, sidecar CurrentState = metrics',
  findingKinds: PTP_FINDINGS,
  params: PtpCheckParams,
  collect: collectPtp,
  collectFrom: (src, params, opts) => collectPtpFrom(src, params, opts),
  mcp: {
    tool: 'ptp_check',
    title: 'Check PTP clock state per node and profile (harness check)',
    description:
      "Runs the harness's PTP check (the verdict `netharness check ptp` gives): for every node the PtpConfig matchList selects, reads the linuxptp-daemon metrics (curl localhost:9091/metrics in linuxptp-daemon-container) and, with the event publisher on, the cloud-event-proxy's lock-state / os-clock-sync-state CurrentState, and lists what is wrong per node and profile: processes down or missing, interface roles other than configured (a PASSIVE backup port next to a SLAVE port is fine), FAULTY ports, clock_state not LOCKED, offsets outside the profile's thresholds, an unexpected clock class (default 6), the sidecar disagreeing with the metrics, the system clock not synced on a node where no profile runs phc2sys. Use it first for any PTP question, then ptp_analyze / ptp_daemon_logs / ptp_pmc on the nodes it names. Example: {} or {nodes:[\"worker-0\"]}.",
    nodes: true,
    details: (s) => [
      `nodes ${s.counts.nodes}, profiles ${s.counts.profiles}, locked ${s.counts.locked_nodes}, with findings ${s.counts.nodes_with_findings}`,
    ],
    reads: [
      { group: PTP_GROUP, resource: 'ptpconfigs', namespace: PTP_NAMESPACE },
      { group: PTP_GROUP, resource: 'ptpoperatorconfigs', namespace: PTP_NAMESPACE },
      { group: '', resource: 'pods', namespace: PTP_NAMESPACE },
    ],
    exec: PTP_NAMESPACE,
  },
  evaluate: (o, p) => evaluatePtp(o, p),
  summarise(o, findings) {
    const bad = new Set(findings.map((f) => f.node).filter(Boolean));
    const locked = o.nodes.filter(
      (n) => n.metrics?.clockStates.some((c) => c.process === 'ptp4l') && n.metrics.clockStates.every((c) => c.state === 'LOCKED'),
    ).length;
    // PTP off (`sim --ptp none`) or not configured: nothing to judge; passed (exit 0) as `check egressip` with no
    // EgressIPs, and the headline says so rather than HEALTHY
    if (o.nodes.length === 0 && findings.length === 0)
      return {
        headline: `PTP: nothing to check: no PtpConfig profile applies to any node (${o.profiles.length} profiles, ${o.unprofiledDaemonNodes.length} linuxptp-daemon pods; PTP is off or not configured)`,
        counts: {
          nodes: 0,
          profiles: o.profiles.length,
          locked_nodes: 0,
          nodes_with_findings: 0,
          findings: 0,
          unprofiled_daemon_nodes: o.unprofiledDaemonNodes.length,
        },
      };
    return {
      headline: `PTP: ${findings.length ? `${findings.length} FINDINGS on ${bad.size} node(s)` : 'HEALTHY'} (${o.nodes.length} PTP nodes, ${o.profiles.length} profiles, ${locked} locked, event publisher ${o.eventPublisher ? 'on' : 'off'})`,
      counts: {
        nodes: o.nodes.length,
        profiles: o.profiles.length,
        locked_nodes: locked,
        nodes_with_findings: bad.size,
        findings: findings.length,
        unprofiled_daemon_nodes: o.unprofiledDaemonNodes.length,
      },
    };
  },
};

export default ptpCheck;
