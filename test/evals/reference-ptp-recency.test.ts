/**
 * The reference agent's clockcheck survey on PTP nodes: clockcheck warnings stay in a daemon log after their cause
 * is gone (chronyd stopped on one node, the next fault on another). The agent must blame the node whose warnings
 * are current, against that node's own log (ptp4l/phc2sys stamp lines with the node's CLOCK_MONOTONIC), not the
 * first node that ever warned. ptp_daemon_logs is the real tool (its tail, grep and analysis) on a fake target
 * whose logs are made here; the other tools answer "healthy" by hand.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../evals/agents/reference/playbook.ts';
import type { Tools } from '../../evals/agents/reference/mcp.ts';
import { ALL_TOOLS } from '../../mcp/tools/index.ts';
import { DEFAULT_BUDGET_BYTES } from '../../mcp/output.ts';
import type { ToolContext } from '../../mcp/registry.ts';
import type { K8sObject, LogQuery } from '../../mcp/target.ts';
import { FakeTarget } from '../mcp/fake-target.ts';

const NODES = ['worker-0', 'worker-1', 'worker-2'];
const daemonLogs = ALL_TOOLS.find((t) => t.name === 'ptp_daemon_logs')!;
const CFG = 'ptp4l.0.config';
const PHC2SYS_WARN = 'clockcheck: clock frequency changed unexpectedly!';
const PTP4L_WARN = 'clockcheck: clock jumped backward or running slower than expected!';

interface Warning {
  process: 'ptp4l' | 'phc2sys';
  /** seconds before the end of the log */
  before: number;
}

/** `seconds` of a node's daemon log ending at `base + seconds`: offset lines each second and the given warnings. */
function nodeLog(base: number, seconds: number, warnings: Warning[]): string[] {
  const lines: string[] = [];
  for (let s = 0; s <= seconds; s++) {
    const at = (base + s).toFixed(3);
    lines.push(`ptp4l[${at}]: [${CFG}:6] master offset        -12 s2 freq  -1234 path delay       512`);
    lines.push(`phc2sys[${at}]: [${CFG}:6] CLOCK_REALTIME phc offset        8 s2 freq   +321 delay    504`);
    for (const w of warnings)
      if (w.before === seconds - s) lines.push(`${w.process}[${at}]: [${CFG}:4] ${w.process === 'ptp4l' ? PTP4L_WARN : PHC2SYS_WARN}`);
  }
  return lines;
}

class LogTarget extends FakeTarget {
  constructor(private readonly byPod: Map<string, string[]>) {
    super(
      NODES.map((node): K8sObject => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `linuxptp-daemon-${node}`, namespace: 'openshift-ptp', labels: { app: 'linuxptp-daemon' } },
        spec: { nodeName: node },
        status: { phase: 'Running' },
      })),
    );
  }
  override async logs(q: LogQuery): Promise<string> {
    const lines = this.byPod.get(q.pod) ?? [];
    return lines.slice(-(q.tailLines ?? lines.length)).join('\n');
  }
}

const statusText = NODES.map(
  (n) =>
    `linuxptp-daemon-${n} node=${n} phase=Running Ready=True containers: linuxptp-daemon-container restarts=0\n  ptp4l ens1f0=SLAVE clock=LOCKED offset ptp4l 12 phc2sys 8 class 6`,
).join('\n');

/** The playbook's tools: ptp_daemon_logs for real on `logs` (per node), the rest canned for a healthy cluster. */
function tools(logs: Record<string, string[]>): Tools & { asked: Record<string, unknown>[] } {
  const byPod = new Map(Object.entries(logs).map(([node, l]) => [`linuxptp-daemon-${node}`, l]));
  const ctx: ToolContext = { target: new LogTarget(byPod), budgetBytes: DEFAULT_BUDGET_BYTES, timeoutMs: 10_000 };
  const canned: Record<string, string> = {
    ptp_status: statusText,
    ptp_pmc: 'PARENT_DATA_SET\n  gm.ClockClass 6\n  gm.ClockAccuracy 0x21',
  };
  const t = {
    calls: 0,
    asked: [] as Record<string, unknown>[],
    left: 100,
    async call(name: string, args: Record<string, unknown> = {}) {
      t.calls++;
      if (name === 'k8s_list') {
        const out: Record<string, string> = {
          Node: NODES.map((n) => `${n}  Ready=True  roles=worker`).join('\n'),
          Namespace: 'default\nopenshift-ptp\nopenshift-ovn-kubernetes',
          Pod: NODES.map((n) => `openshift-ovn-kubernetes/ovnkube-node-${n}  phase=Running  node=${n}  ready=8/8  restarts=0  age=5m`).join(
            '\n',
          ),
        };
        return { text: out[String(args.kind)] ?? '', isError: false };
      }
      if (name === 'ptp_daemon_logs') {
        t.asked.push(args);
        const r = await daemonLogs.call(ctx, args);
        return { text: r.text, isError: r.isError === true };
      }
      if (name in canned) return { text: canned[name]!, isError: false };
      return { text: `no such tool ${name}`, isError: true };
    },
  };
  return t as unknown as Tools & { asked: Record<string, unknown>[] };
}

const question = 'The system clock of a PTP node shows bursts of offset against PTP time every so often. Find the root cause.';

describe('reference agent: the clockcheck warnings that are current', () => {
  it('chronyd stopped on worker-0 a minute ago, running on worker-2: worker-2 (not the first node that warned)', async () => {
    const t = tools({
      // worker-0's last phc2sys warning is 60 s old; worker-2 warned 2 s ago; each node on its own monotonic clock
      'worker-0': nodeLog(
        2_188_000,
        150,
        [60, 68, 76].map((before) => ({ process: 'phc2sys', before })),
      ),
      'worker-1': nodeLog(912_000, 150, []),
      'worker-2': nodeLog(
        48_000,
        150,
        [2, 10].map((before) => ({ process: 'phc2sys', before })),
      ),
    });
    const d = await diagnose(t, question);
    expect(d.category, d.mechanism).toBe('ptp/misconfiguration');
    expect(d.entities).toEqual(['worker-2', 'chronyd']);
    // it read every node's warnings before choosing
    expect(new Set(t.asked.filter((a) => a.grep === 'clockcheck').map((a) => a.node))).toEqual(new Set(NODES));
  });

  it('a stale ptp4l warning on one node and current phc2sys warnings on another: chronyd on the current one', async () => {
    const t = tools({
      'worker-0': nodeLog(2_188_000, 150, [{ process: 'ptp4l', before: 90 }]),
      'worker-1': nodeLog(912_000, 150, [{ process: 'phc2sys', before: 1 }]),
      'worker-2': nodeLog(48_000, 150, []),
    });
    const d = await diagnose(t, question);
    expect(d.category, d.mechanism).toBe('ptp/misconfiguration');
    expect(d.entities).toEqual(['worker-1', 'chronyd']);
  });

  it('current ptp4l warnings (CPU starvation) win over phc2sys warnings that stopped', async () => {
    const t = tools({
      'worker-0': nodeLog(2_188_000, 150, [{ process: 'phc2sys', before: 40 }]),
      'worker-1': nodeLog(912_000, 150, []),
      'worker-2': nodeLog(48_000, 150, [{ process: 'ptp4l', before: 3 }]),
    });
    const d = await diagnose(t, question);
    expect(d.category, d.mechanism).toBe('ptp/clock-offset');
    expect(d.entities).toEqual(['worker-2', 'ptp4l']);
  });

  it('no node warns: healthy', async () => {
    const t = tools({ 'worker-0': nodeLog(1000, 50, []), 'worker-1': nodeLog(2000, 50, []), 'worker-2': nodeLog(3000, 50, []) });
    const d = await diagnose(t, question);
    expect(d.category, d.mechanism).toBe('healthy');
  });
});
