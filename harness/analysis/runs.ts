/**
 * What a stored run measured, grouped for reports, compare and trend (pure over a RunDetail): per-iteration rows
 * (failover, convergence, ...), per-node rule counts, and samples per measurement.
 */
import type { MeasurementRow, RunDetail } from '../store/store.ts';

export interface IterationRow {
  /** the disruption / variant (measurement label `scenario`), '' when absent */
  group: string;
  iteration: number;
  /** measurement name -> value (the first one recorded for the iteration) */
  values: Record<string, number>;
  node?: string;
}

export interface NodeRuleCount {
  group: string;
  /** the iteration, or null for a setup-phase count */
  iteration: number | null;
  phase: string;
  node: string;
  snat: number;
  lrp: number;
}

/** The per-iteration measurements of a scenario run (labels.iteration set), in order. */
export function iterationRows(measurements: readonly MeasurementRow[]): IterationRow[] {
  const rows = new Map<string, IterationRow>();
  for (const m of measurements) {
    const it = m.labels.iteration;
    if (it === undefined || (m.labels.node !== undefined && (m.name === 'snat_rules' || m.name === 'lrp_rules'))) continue;
    const group = m.labels.scenario ?? '';
    const key = `${group}\u0000${it}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { group, iteration: Number(it), values: {} }));
    if (r.values[m.name] === undefined) r.values[m.name] = m.value;
    if (m.labels.node && !r.node) r.node = m.labels.node;
  }
  return [...rows.values()];
}

/** The per-node SNAT / reroute-policy counts the EgressIP check recorded (snat_rules / lrp_rules with a node label). */
export function nodeRuleCounts(measurements: readonly MeasurementRow[]): NodeRuleCount[] {
  const out = new Map<string, NodeRuleCount>();
  for (const m of measurements) {
    if ((m.name !== 'snat_rules' && m.name !== 'lrp_rules') || !m.labels.node) continue;
    const group = m.labels.scenario ?? '';
    const iteration = m.labels.iteration === undefined ? null : Number(m.labels.iteration);
    const phase = m.labels.phase ?? (iteration === null ? '' : 'iteration');
    const key = `${group}\u0000${iteration}\u0000${phase}\u0000${m.labels.node}`;
    let r = out.get(key);
    if (!r) out.set(key, (r = { group, iteration, phase, node: m.labels.node, snat: 0, lrp: 0 }));
    if (m.name === 'snat_rules') r.snat = m.value;
    else r.lrp = m.value;
  }
  return [...out.values()];
}

export interface MeasurementSamples {
  /** `name` or `group/name` when the measurement carries a scenario label */
  key: string;
  name: string;
  group: string;
  unit: string;
  values: number[];
}

/** Samples per measurement (name x group), node-level rule counts excluded (they are per node, not per run). */
export function measurementSamples(d: Pick<RunDetail, 'measurements'>): MeasurementSamples[] {
  const out = new Map<string, MeasurementSamples>();
  for (const m of d.measurements) {
    if ((m.name === 'snat_rules' || m.name === 'lrp_rules') && m.labels.node) continue;
    const group = m.labels.scenario ?? m.labels.phase ?? m.labels.group ?? '';
    const key = group ? `${group}/${m.name}` : m.name;
    let s = out.get(key);
    if (!s) out.set(key, (s = { key, name: m.name, group, unit: m.unit, values: [] }));
    s.values.push(m.value);
  }
  return [...out.values()];
}
