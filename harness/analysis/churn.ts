/**
 * Rule churn across repeated EgressIP checks (the EgressIP analyzer's monitor_ovn_rules): per node, the SNAT and
 * reroute-LRP counts of each tick, the change since the previous tick, and churn: a count that went one way and
 * then back within the last `window` ticks (rules that come and go), which a steady cluster never shows.
 */

export interface NodeCounts {
  snat: number;
  lrp: number;
}

export interface RuleChange {
  node: string;
  rule: 'snat' | 'lrp';
  from: number;
  to: number;
}

export interface ChurnFlag {
  node: string;
  rule: 'snat' | 'lrp';
  /** the counts over the window, oldest first */
  history: number[];
  /** direction reversals in the window */
  reversals: number;
}

export interface Tick {
  tick: number;
  changes: RuleChange[];
  churn: ChurnFlag[];
}

export class ChurnTracker {
  private readonly history = new Map<string, NodeCounts[]>();
  private ticks = 0;
  constructor(readonly window = 5) {}

  /** Adds one tick's per-node counts; nodes missing from a tick count as 0 rules there. */
  add(perNode: Readonly<Record<string, NodeCounts>>): Tick {
    this.ticks++;
    const nodes = new Set([...this.history.keys(), ...Object.keys(perNode)]);
    const changes: RuleChange[] = [];
    const churn: ChurnFlag[] = [];
    for (const node of [...nodes].sort()) {
      // a node first seen now had no rules at the earlier ticks (inside the window)
      const h = this.history.get(node) ?? Array.from({ length: Math.min(this.window - 1, this.ticks - 1) }, () => ({ snat: 0, lrp: 0 }));
      const cur = perNode[node] ?? { snat: 0, lrp: 0 };
      const prev = h.at(-1);
      h.push(cur);
      if (h.length > this.window) h.shift();
      this.history.set(node, h);
      for (const rule of ['snat', 'lrp'] as const) {
        if (prev && prev[rule] !== cur[rule]) changes.push({ node, rule, from: prev[rule], to: cur[rule] });
        const series = h.map((c) => c[rule]);
        const reversals = countReversals(series);
        if (reversals > 0) churn.push({ node, rule, history: series, reversals });
      }
    }
    return { tick: this.ticks, changes, churn };
  }
}

/** Direction reversals in a series, flat steps ignored: [5, 0, 5] has 1, [5, 5, 0] has 0, [1, 2, 1, 2] has 2. */
export function countReversals(series: readonly number[]): number {
  let dir = 0;
  let n = 0;
  for (let i = 1; i < series.length; i++) {
    const d = Math.sign(series[i] - series[i - 1]);
    if (d === 0) continue;
    if (dir !== 0 && d !== dir) n++;
    dir = d;
  }
  return n;
}
