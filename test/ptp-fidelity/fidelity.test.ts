/**
 * Fidelity of the embedded cluster's emulated ptp4l against the real one (linuxptp, /usr/sbin/ptp4l).
 * Every run starts two real ptp4l in network namespaces over a veth pair (software timestamping), takes
 * the slave's link down and up, and stops the master's announces, recording the slave port's state
 * sequence and log lines per phase; the emulator is then put through the same events on the embedded
 * cluster (through the CLI and kubectl only) and its daemon log must show the same sequence per phase.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPECTED_SLAVE_STEPS, PHASE_END } from './expected.ts';
import { RealPtpPair, ptp4lVersion } from './real-ptp4l.ts';
import { lineKind, steps, type Phase } from './sequence.ts';
import { EmulatedPtp } from './emulated.ts';

const PHASES: Phase[] = ['startup', 'linkDown', 'linkUp', 'announceStop'];

interface Observed {
  steps: Record<Phase, string[]>;
  /** the masked kinds of every slave line per phase */
  kinds: Record<Phase, Set<string>>;
}

const real: Observed = { steps: {} as Observed['steps'], kinds: {} as Observed['kinds'] };
const pair = new RealPtpPair();

describe('real ptp4l (linuxptp) over a veth pair', () => {
  beforeAll(() => {
    pair.setup();
  });
  afterAll(() => {
    pair.cleanup();
    pair.removeDir();
  });

  it(`port-state sequence per event (${ptp4lVersion()})`, async () => {
    const cut: Record<Phase, [number, number]> = {} as Record<Phase, [number, number]>;
    const endOf = (phase: Phase, from: number) =>
      pair.waitSlave((l) => steps([l.rec], 1)[0] === PHASE_END[phase], 15_000, `'${PHASE_END[phase]}' (${phase})`, from);

    pair.startMaster();
    await pair.startSlave();
    let end = await endOf('startup', 0);
    cut.startup = [0, end + 1];

    // let it settle in SLAVE a moment, then the link goes down
    await new Promise((r) => setTimeout(r, 1000));
    let from = pair.lines.length;
    pair.slaveLink(false);
    end = await endOf('linkDown', from);
    cut.linkDown = [from, end + 1];

    await new Promise((r) => setTimeout(r, 1000));
    from = pair.lines.length;
    pair.slaveLink(true);
    end = await endOf('linkUp', from);
    cut.linkUp = [from, end + 1];

    await new Promise((r) => setTimeout(r, 1000));
    from = pair.lines.length;
    pair.pauseMaster(true);
    end = await endOf('announceStop', from);
    cut.announceStop = [from, end + 1];
    pair.pauseMaster(false);

    for (const ph of PHASES) {
      const ls = pair.lines.slice(...cut[ph]).filter((l) => l.who === 'slave');
      real.steps[ph] = steps(
        ls.map((l) => l.rec),
        1,
      );
      real.kinds[ph] = new Set(ls.map((l) => lineKind(l.raw)));
    }
    // the stored capture is the reference the emulator is held to; a real ptp4l that changed shows here
    expect(real.steps, pair.slaveLog()).toEqual(EXPECTED_SLAVE_STEPS);
  }, 90_000);
});

describe('emulated ptp4l on the embedded cluster, same events', () => {
  const emu = new EmulatedPtp();
  beforeAll(async () => {
    await emu.start();
  }, 180_000);
  afterAll(async () => {
    await emu.stop();
  }, 60_000);

  it('the slave port takes the same steps as the real ptp4l in every phase, with the same log lines', async () => {
    expect(real.steps.announceStop, 'the real-ptp4l test must run first (same file)').toBeDefined();
    const got = await emu.run();
    for (const ph of PHASES) expect({ phase: ph, steps: got.steps[ph] }).toEqual({ phase: ph, steps: real.steps[ph] });
    // every port / link line the emulator prints in a phase is a line real ptp4l prints in that phase
    for (const ph of PHASES) {
      const foreign = [...got.portLineKinds[ph]].filter((k) => !real.kinds[ph].has(k));
      expect({ phase: ph, linesRealPtp4lDoesNotPrint: foreign }).toEqual({ phase: ph, linesRealPtp4lDoesNotPrint: [] });
    }
  }, 240_000);
});
