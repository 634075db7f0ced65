/**
 * `check ptp`: per node and profile, PTP processes up, interface roles as configured, clock_state LOCKED,
 * offsets within the profile's thresholds, clock class as expected, and the cloud-event-proxy's
 * CurrentState agreeing with the metrics. Reads (I/O) the PtpConfigs (spec.profile, status.matchList),
 * PtpOperatorConfig `default`, the linuxptp-daemon pods, per pod one exec of `curl -s localhost:9091/metrics`
 * (as the ptp-operator conformance suite does) and, with the event publisher on, the sidecar's CurrentState
 * through the service proxy; nodes read in parallel.
 */
import { z } from 'zod';
import type { Check, CheckCollectOptions } from '../types.ts';
import type { Cluster } from '../../cluster/connect.ts';
import { describeApiError } from '../../cluster/exec.ts';
import { InfraError } from '../../errors.ts';
import {
  PTP_GROUP,
  PTP_NAMESPACE,
  PTP_VERSION,
  currentState,
  eventPublisherEnabled,
  listDaemonPods,
  readMetricsText,
  stateOf,
} from '../../ptp/cluster.ts';
import { interpretPtpMetrics } from '../../ptp/metrics.ts';
import {
  PTP_FINDINGS,
  profileFromSpec,
  type PtpFindingKind,
  type PtpNodeObservation,
  type PtpObserved,
  type ProfileSpec,
} from './model.ts';
import { evaluatePtp } from './evaluate.ts';

export * from './model.ts';
export { evaluatePtp } from './evaluate.ts';

export const PtpCheckParams = z.strictObject({
  /** only these nodes (default: every node the matchList selects) */
  nodes: z.array(z.string().min(1)).optional(),
  clockClass: z.number().int().min(0).max(255).optional(),
  skipSidecar: z.boolean().optional(),
});

interface PtpConfigObject {
  spec?: { profile?: Record<string, unknown>[] };
  status?: { matchList?: { nodeName?: string; profile?: string }[] };
}

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
      while (i < items.length) {
        if (signal?.aborted) throw new InfraError('interrupted');
        const k = i++;
        out[k] = await fn(items[k]);
      }
    }),
  );
  return out;
}

export async function collectPtp(
  cluster: Cluster,
  params: z.infer<typeof PtpCheckParams>,
  opts: CheckCollectOptions = {},
): Promise<PtpObserved> {
  let configs: PtpConfigObject[];
  try {
    const res = (await cluster.custom.listNamespacedCustomObject({
      group: PTP_GROUP,
      version: PTP_VERSION,
      namespace: PTP_NAMESPACE,
      plural: 'ptpconfigs',
    })) as { items?: PtpConfigObject[] };
    configs = res.items ?? [];
  } catch (err) {
    throw new InfraError(
      `list PtpConfigs in ${PTP_NAMESPACE}: ${describeApiError(err)}`,
      'is the PTP operator installed (ptpconfigs.ptp.openshift.io)?',
    );
  }
  const profiles: ProfileSpec[] = configs.flatMap((c) => (c.spec?.profile ?? []).map(profileFromSpec));
  const byNode = new Map<string, Set<string>>();
  for (const c of configs)
    for (const m of c.status?.matchList ?? [])
      if (m.nodeName && m.profile) {
        if (!byNode.has(m.nodeName)) byNode.set(m.nodeName, new Set());
        byNode.get(m.nodeName)!.add(m.profile);
      }
  const [pods, eventPublisher] = await Promise.all([listDaemonPods(cluster), eventPublisherEnabled(cluster)]);
  const podOf = new Map(pods.map((p) => [p.node, p]));
  let nodes = [...byNode.keys()].sort();
  if (params.nodes?.length) nodes = nodes.filter((n) => params.nodes!.includes(n));
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const observed = await pool(
    nodes,
    opts.concurrency ?? 8,
    async (node): Promise<PtpNodeObservation> => {
      const pod = podOf.get(node);
      const o: PtpNodeObservation = { node, pod, profileNames: [...byNode.get(node)!].sort() };
      if (!pod) return o;
      try {
        o.metrics = interpretPtpMetrics(await readMetricsText(cluster, pod.pod, timeoutMs));
      } catch (err) {
        o.metricsError = (err as Error).message;
      }
      if (eventPublisher && !params.skipSidecar) {
        try {
          const [lock, os] = await Promise.all([
            currentState(cluster, node, 'lockState', timeoutMs),
            currentState(cluster, node, 'osClockSyncState', timeoutMs),
          ]);
          o.sidecar = { lockState: stateOf(lock).value, osClockSyncState: stateOf(os).value };
        } catch (err) {
          o.sidecar = { error: (err as Error).message };
        }
      }
      return o;
    },
    opts.signal,
  );
  return { profiles, nodes: observed, eventPublisher, unprofiledDaemonNodes: pods.filter((p) => !byNode.has(p.node)).map((p) => p.node) };
}

export const ptpCheck: Check<typeof PtpCheckParams, PtpObserved, PtpFindingKind> = {
  name: 'ptp',
  description:
    'PTP clock state per node and profile: processes up, roles as configured, clock_state LOCKED, offsets within thresholds, clock class, sidecar CurrentState = metrics',
  findingKinds: PTP_FINDINGS,
  params: PtpCheckParams,
  collect: collectPtp,
  evaluate: (o, p) => evaluatePtp(o, p),
  summarise(o, findings) {
    const bad = new Set(findings.map((f) => f.node).filter(Boolean));
    const locked = o.nodes.filter(
      (n) => n.metrics?.clockStates.some((c) => c.process === 'ptp4l') && n.metrics.clockStates.every((c) => c.state === 'LOCKED'),
    ).length;
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
