/**
 * Signal handling for a run. SIGINT, SIGTERM and SIGHUP (and the launcher's death, see bin/netharness.js)
 * all mean "interrupt":
 *   1st: abort the main phase; steps see `signal` abort, the defers (cleanups) still run on the cleanup signal.
 *   2nd: force: the cleanup signal aborts too (waits inside cleanups end at once), but the remaining cleanups
 *        still run, each with a short deadline, so what the run created on a cluster is still deleted and the
 *        embedded cluster it started is still stopped (that stop runs in its own process group).
 *   3rd: `onExit`: record the run and exit now (the embedded cluster's stop goes on in the background).
 * A repeat within `debounceMs` is the same interrupt: wrappers (npm, tsx, a launcher) may relay the terminal's
 * signal that the process group already delivered, and one Ctrl-C must never read as two.
 */
import { InterruptedError } from '../errors.ts';

export const RUN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface RunSignals {
  /** the signal of the current phase: main until `enterCleanup()`, then the cleanup signal */
  current(): AbortSignal;
  readonly main: AbortSignal;
  /** aborted on the second interrupt */
  readonly cleanup: AbortSignal;
  readonly interrupted: boolean;
  readonly forced: boolean;
  readonly phase: 'main' | 'cleanup';
  /** defers run from here on: they see the cleanup signal, which only a second signal aborts */
  enterCleanup(): void;
  /** deliver an interrupt as if a signal came (the launcher's pipe closing, tests) */
  interrupt(sig: NodeJS.Signals): void;
  /** remove the process handlers and the keep-alive timer */
  dispose(): void;
}

export interface SignalOptions {
  /** install process handlers (tests drive runs without them) */
  install: boolean;
  info: (message: string) => void;
  /** second signal: the cleanups go on without their waits */
  onForce?: (sig: NodeJS.Signals) => void;
  /** third signal: record what can be recorded, then exit */
  onExit: (sig: NodeJS.Signals) => never | void;
  /** repeats within this many ms count once (default 250: relays come within milliseconds, a person's second Ctrl-C later) */
  debounceMs?: number;
  now?: () => number;
}

/** A relayed copy of the run's last signal may land after the run ended (while the summary prints): it is ignored
 * for this long. Later, with nobody else handling it, the signal does what it would do without us. */
const LATE_MS = 2000;
let lastDispose = -Infinity;
let lateGuardInstalled = false;

function installLateGuard(): void {
  if (lateGuardInstalled) return;
  lateGuardInstalled = true;
  const guard = (sig: NodeJS.Signals): void => {
    if (process.listenerCount(sig) > 1) return; // someone else handles it now
    if (Date.now() - lastDispose < LATE_MS) return;
    for (const s of RUN_SIGNALS) process.off(s, guard);
    lateGuardInstalled = false;
    process.kill(process.pid, sig);
  };
  for (const s of RUN_SIGNALS) process.on(s, guard);
}

export function installRunSignals(o: SignalOptions): RunSignals {
  const main = new AbortController();
  const cleanup = new AbortController();
  const now = o.now ?? Date.now;
  const debounceMs = o.debounceMs ?? 250;
  let phase: 'main' | 'cleanup' = 'main';
  let count = 0;
  let last = -Infinity;
  const onSignal = (sig: NodeJS.Signals): void => {
    const t = now();
    if (t - last < debounceMs) return;
    last = t;
    count++;
    if (count === 1) {
      o.info(`${sig}: interrupting; running cleanups (send ${sig} again to skip their waits)`);
      main.abort(new InterruptedError(`interrupted by ${sig}`));
    } else if (count === 2) {
      o.info(`${sig} again: skipping waits; still deleting what this run created and stopping what it started (again to exit now)`);
      cleanup.abort(new InterruptedError(`forced by ${sig}`));
      o.onForce?.(sig);
    } else {
      o.info(`${sig} a third time: exiting now`);
      o.onExit(sig);
    }
  };
  // keep the process alive while a scenario awaits something that holds no handle (a pure promise)
  const keepAlive = setInterval(() => undefined, 1 << 30);
  if (o.install) for (const s of RUN_SIGNALS) process.on(s, onSignal);
  return {
    current: () => (phase === 'main' ? main.signal : cleanup.signal),
    main: main.signal,
    cleanup: cleanup.signal,
    get interrupted() {
      return count > 0;
    },
    get forced() {
      return count > 1;
    },
    get phase() {
      return phase;
    },
    enterCleanup() {
      phase = 'cleanup';
    },
    interrupt: onSignal,
    dispose() {
      if (o.install) {
        lastDispose = Date.now();
        installLateGuard();
        for (const s of RUN_SIGNALS) process.off(s, onSignal);
      }
      clearInterval(keepAlive);
    },
  };
}
