/**
 * The watch rules over cloud-event-proxy events (pure, stateful per node): the PTP agent's patterns
 * (aneeshkp/ptp-operator-mcp-server ptp_agent.py, PTPDiagnosticAgent):
 * - FREERUN continuously longer than `freerunMinutes` (5)            -> CRITICAL
 * - more than `maxStateChangesPerHour` (10) notification changes/hour -> WARNING
 * - a metric value (offset) with |value| > `offsetThresholdNs` (100)  -> WARNING
 * - a clock-class change: 6 INFO, >= 248 CRITICAL, else WARNING
 * An alert fires once when its condition starts and again only after the condition cleared.
 */
import { z } from 'zod';

export const WatchRulesConfig = z.strictObject({
  freerunMinutes: z.number().min(0).default(5),
  maxStateChangesPerHour: z.number().int().min(0).default(10),
  offsetThresholdNs: z.number().min(0).default(100),
});
export type WatchRulesConfig = z.infer<typeof WatchRulesConfig>;

export type Severity = 'INFO' | 'WARNING' | 'CRITICAL';

/** One value of a cloud event (`data.values[]`), flattened with its event's envelope. */
export interface PtpEvent {
  node: string;
  /** event type, e.g. event.sync.ptp-status.ptp-state-change */
  type: string;
  /** ResourceAddress, e.g. /cluster/node/worker-0/sync/ptp-status/lock-state */
  resource: string;
  dataType: 'notification' | 'metric' | string;
  value: string;
  /** epoch ms */
  time: number;
  /** how it arrived */
  via: 'event' | 'poll';
  id?: string;
}

export interface Alert {
  rule: 'freerun' | 'state-changes' | 'offset' | 'clock-class';
  severity: Severity;
  summary: string;
  details: string;
  recommendations: string[];
  nodes: string[];
  resource?: string;
  at: string;
}

interface NodeState {
  /** per resource: current notification value and since when */
  current: Map<string, { value: string; since: number }>;
  /** notification change times within the last hour */
  changes: number[];
  fired: Set<string>;
}

/** Resource kind from its address: lock-state, os-clock-sync-state, clock-class, sync-state, gnss-sync-status ... */
export const resourceKind = (resource: string): string => resource.split('/').filter(Boolean).pop() ?? resource;

/** Node name from `/cluster/node/<node>/...` */
export function nodeOfResource(resource: string): string | undefined {
  const m = /\/cluster\/node\/([^/]+)/.exec(resource);
  return m?.[1];
}

/** Flatten a cloud event (REST API v2 payload, redhat-cne/sdk-go pkg/event) into PtpEvents. */
export function eventsFromCloudEvent(ce: unknown, via: PtpEvent['via'], fallbackNode?: string): PtpEvent[] {
  if (!ce || typeof ce !== 'object') return [];
  const e = ce as { id?: unknown; type?: unknown; source?: unknown; time?: unknown; data?: { values?: unknown } };
  const values = Array.isArray(e.data?.values) ? (e.data.values as Record<string, unknown>[]) : [];
  const t = typeof e.time === 'string' ? Date.parse(e.time) : NaN;
  const out: PtpEvent[] = [];
  const src = String(e.source ?? '');
  for (const v of values) {
    const addr = String(v.ResourceAddress ?? v.resource ?? src);
    const node = nodeOfResource(addr) ?? nodeOfResource(src) ?? fallbackNode;
    if (!node) continue;
    // the resource is what the event is about: v2 events name it in `source` (/sync/ptp-status/lock-state) while
    // the values name the interface (/cluster/node/<node>/ens1fx/master, redhat-cne/cloud-event-proxy v2 events)
    const resource = src.startsWith('/sync/') ? `/cluster/node/${node}${src}` : /^\/cluster\/node\/[^/]+\/sync\//.test(src) ? src : addr;
    out.push({
      node,
      type: String(e.type ?? ''),
      resource,
      dataType: String(v.data_type ?? v.dataType ?? ''),
      value: String(v.value ?? ''),
      time: Number.isFinite(t) ? t : Date.now(),
      via,
      id: typeof e.id === 'string' ? e.id : undefined,
    });
  }
  return out;
}

export class WatchRules {
  private nodes = new Map<string, NodeState>();
  constructor(readonly config: WatchRulesConfig = WatchRulesConfig.parse({})) {}

  private state(node: string): NodeState {
    let s = this.nodes.get(node);
    if (!s) {
      s = { current: new Map(), changes: [], fired: new Set() };
      this.nodes.set(node, s);
    }
    return s;
  }

  private once(s: NodeState, key: string, on: boolean, make: () => Alert): Alert[] {
    if (!on) {
      s.fired.delete(key);
      return [];
    }
    if (s.fired.has(key)) return [];
    s.fired.add(key);
    return [make()];
  }

  /** Feed one event; returns the alerts it raises. */
  ingest(ev: PtpEvent): Alert[] {
    const s = this.state(ev.node);
    const at = new Date(ev.time).toISOString();
    const out: Alert[] = [];
    const kind = resourceKind(ev.resource);
    if (ev.dataType === 'notification') {
      const cur = s.current.get(ev.resource);
      if (!cur || cur.value !== ev.value) {
        if (cur) s.changes.push(ev.time);
        s.current.set(ev.resource, { value: ev.value, since: ev.time });
      }
      if (ev.value !== 'FREERUN') s.fired.delete(`freerun\u0000${ev.resource}`);
      s.changes = s.changes.filter((t) => t > ev.time - 3_600_000);
      const n = s.changes.length;
      out.push(
        ...this.once(s, 'state-changes', n > this.config.maxStateChangesPerHour, () => ({
          rule: 'state-changes',
          severity: 'WARNING',
          summary: `Frequent PTP state changes on ${ev.node} (${n}/hour)`,
          details: 'Unstable PTP synchronization with frequent state transitions',
          recommendations: [
            'Check network stability and jitter',
            'Verify PTP configuration parameters',
            'Monitor network path to grandmaster',
            'Consider adjusting PTP servo parameters',
          ],
          nodes: [ev.node],
          at,
        })),
      );
    } else if (ev.dataType === 'metric') {
      const v = Number(ev.value);
      if (Number.isFinite(v)) {
        if (kind === 'clock-class' || /clock-class/.test(ev.type)) {
          const key = `clock-class\u0000${ev.resource}`;
          const prev = s.current.get(key);
          if (!prev || prev.value !== String(v)) {
            s.current.set(key, { value: String(v), since: ev.time });
            if (prev)
              out.push({
                rule: 'clock-class',
                severity: v === 6 ? 'INFO' : v >= 248 ? 'CRITICAL' : 'WARNING',
                summary: `Clock class change: ${ev.node} -> class ${v}`,
                details: `PTP clock class changed from ${prev.value} to ${v}. Lower values indicate better synchronization.`,
                recommendations: ['Monitor clock class stability', 'Class 6-8: normal operation', 'Class 248+: poor or no synchronization'],
                nodes: [ev.node],
                resource: ev.resource,
                at,
              });
          }
        } else {
          out.push(
            ...this.once(s, `offset\u0000${ev.resource}`, Math.abs(v) > this.config.offsetThresholdNs, () => ({
              rule: 'offset',
              severity: 'WARNING',
              summary: `High PTP offset on ${ev.node}: ${v} ns (${kind})`,
              details: `Clock offset exceeds the threshold of ${this.config.offsetThresholdNs} ns`,
              recommendations: [
                'Monitor trend - transient spikes may be normal',
                'Check network path quality to grandmaster',
                'Verify hardware timestamping is enabled',
                'Consider PTP servo tuning if persistent',
              ],
              nodes: [ev.node],
              resource: ev.resource,
              at,
            })),
          );
        }
      }
    }
    out.push(...this.tickNode(ev.node, s, ev.time));
    return out;
  }

  /** Time passes: FREERUN durations grow. */
  tick(now: number): Alert[] {
    const out: Alert[] = [];
    for (const [node, s] of this.nodes) out.push(...this.tickNode(node, s, now));
    return out;
  }

  private tickNode(node: string, s: NodeState, now: number): Alert[] {
    const out: Alert[] = [];
    for (const [resource, cur] of s.current) {
      if (resource.startsWith('clock-class\u0000')) continue;
      const minutes = (now - cur.since) / 60_000;
      if (cur.value !== 'FREERUN') continue;
      out.push(
        ...this.once(s, `freerun\u0000${resource}`, minutes > this.config.freerunMinutes, () => ({
          rule: 'freerun',
          severity: 'CRITICAL',
          summary: `Node ${node} in FREERUN for ${minutes.toFixed(1)} minutes (${resourceKind(resource)})`,
          details: 'PTP synchronization lost. Clock is free-running without external reference.',
          recommendations: [
            'Check network connectivity to PTP grandmaster',
            'Verify PTP configuration on the node',
            'Check for hardware issues with NIC timestamping',
            'Review ptp4l daemon logs for errors',
          ],
          nodes: [node],
          resource,
          at: new Date(now).toISOString(),
        })),
      );
    }
    return out;
  }

  /** Per node: latest value per resource kind (the seed agent's /summary). */
  summary(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [node, s] of this.nodes) {
      out[node] = {};
      for (const [resource, cur] of s.current) out[node][resourceKind(resource.replace(/^clock-class\u0000/, ''))] = cur.value;
    }
    return out;
  }
}
