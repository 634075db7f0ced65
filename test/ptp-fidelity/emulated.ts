/**
 * The emulated side of the fidelity test: an embedded cluster started through the CLI (`netharness sim
 * --detach`, PTP on by default: an emulated grandmaster feeding ordinary clocks on the workers), driven only
 * the way a user drives a real one: kubectl logs of linuxptp-daemon-container, `ip link set <if> down|up`
 * in a privileged debug pod on the node (the conformance suite's PortEngine), and the grandmaster's loss
 * through the fault library's ConfigMap (the grandmaster is outside the node).
 */
import type { PtpLogRecord } from '../../harness/ptp/log.ts';
import { PtpSimCluster, sleep } from '../ptp-sim-faults/ptp-sim.ts';
import { PHASE_END } from './expected.ts';
import { lineKind, stepOf, type Phase } from './sequence.ts';

export const GM_LOSS_FAULT = 'ptp-grandmaster-loss';

export interface EmulatedRun {
  steps: Record<Phase, string[]>;
  /** masked kinds of the port / link lines of the slave port, per phase */
  portLineKinds: Record<Phase, Set<string>>;
}

type Line = { raw: string; rec?: PtpLogRecord };

export class EmulatedPtp {
  readonly c = new PtpSimCluster({ nodes: '1+1', speed: 10 });

  start(): Promise<void> {
    return this.c.start();
  }

  /** The slave port: the port of the profile's slave interface (found in the startup lines, kept for the phases). */
  private port?: number;

  private slavePort(recs: Line[]): number | undefined {
    for (const { rec } of recs) if (rec?.process === 'ptp4l' && rec.type === 'port' && rec.iface === this.c.iface) return rec.port;
    return undefined;
  }

  /**
   * The daemon log's lines up to the first `end` step of the slave port: the whole log (startup), or those after
   * `mark` (a c.logMark() time, read back with kubectl logs --since-time), so a phase starts at a time, not a line count.
   */
  private async waitFor(end: string, mark: string | undefined, timeoutMs: number, what: string): Promise<{ recs: Line[]; port: number }> {
    const stop = performance.now() + timeoutMs;
    for (;;) {
      const recs = mark === undefined ? await this.c.logs() : await this.c.logsSince(mark);
      this.port ??= this.slavePort(recs);
      const port = this.port;
      if (port !== undefined) {
        const i = recs.findIndex((r) => stepOf(r.rec, port) === end);
        if (i >= 0) return { recs: recs.slice(0, i + 1), port };
      }
      if (performance.now() > stop)
        throw new Error(
          `emulated ptp4l on ${this.c.node}: no '${end}' (${what}) within ${timeoutMs} ms; log tail:\n${recs
            .slice(-30)
            .map((r) => r.raw)
            .join('\n')}`,
        );
      await sleep(200);
    }
  }

  async run(): Promise<EmulatedRun> {
    const out: EmulatedRun = { steps: {} as EmulatedRun['steps'], portLineKinds: {} as EmulatedRun['portLineKinds'] };
    const take = (ph: Phase, part: Line[], port: number) => {
      out.steps[ph] = part.map((r) => stepOf(r.rec, port)).filter((s): s is string => s !== undefined);
      out.portLineKinds[ph] = new Set(part.filter((r) => stepOf(r.rec, port) !== undefined).map((r) => lineKind(r.raw)));
    };
    let w = await this.waitFor(PHASE_END.startup, undefined, 120_000, 'startup');
    // startup: from the port's first line
    const first = w.recs.findIndex((r) => r.rec?.type === 'port' && r.rec.process === 'ptp4l' && r.rec.port === w.port);
    take('startup', w.recs.slice(Math.max(0, first)), w.port);

    let mark = await this.c.logMark();
    await this.c.onNode(`ip link set ${this.c.iface} down`);
    w = await this.waitFor(PHASE_END.linkDown, mark, 60_000, 'link down');
    take('linkDown', w.recs, w.port);

    mark = await this.c.logMark();
    await this.c.onNode(`ip link set ${this.c.iface} up`);
    w = await this.waitFor(PHASE_END.linkUp, mark, 60_000, 'link up');
    take('linkUp', w.recs, w.port);

    mark = await this.c.logMark();
    await this.c.fault(GM_LOSS_FAULT, 'on');
    try {
      w = await this.waitFor(PHASE_END.announceStop, mark, 60_000, 'grandmaster loss');
      take('announceStop', w.recs, w.port);
    } finally {
      await this.c.fault(GM_LOSS_FAULT, 'off');
    }
    return out;
  }

  stop(): Promise<void> {
    return this.c.stop();
  }
}
