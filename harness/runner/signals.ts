/**
 * Signal handling for a run: the first SIGINT/SIGTERM aborts the main phase (steps see `signal` abort and
 * the defers still run, on the cleanup signal); a second one aborts the cleanups too and calls `onForce`,
 * which marks the run and exits immediately.
 */
import { InterruptedError } from '../errors.ts';

export interface RunSignals {
  /** the signal of the current phase: main until `enterCleanup()`, then the cleanup signal */
  current(): AbortSignal;
  readonly main: AbortSignal;
  readonly interrupted: boolean;
  /** defers run from here on: they see the cleanup signal, which only a second signal aborts */
  enterCleanup(): void;
  /** remove the process handlers and the keep-alive timer */
  dispose(): void;
}

export interface SignalOptions {
  /** install process handlers (tests drive runs without them) */
  install: boolean;
  info: (message: string) => void;
  /** second signal: record what can be recorded, then exit */
  onForce: (sig: NodeJS.Signals) => never | void;
}

export function installRunSignals(o: SignalOptions): RunSignals {
  const main = new AbortController();
  const cleanup = new AbortController();
  let phase: 'main' | 'cleanup' = 'main';
  let interrupted = false;
  let count = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    interrupted = true;
    if (count === 1) {
      o.info(`${sig}: interrupting; running cleanups (send ${sig} again to force)`);
      main.abort(new InterruptedError(`interrupted by ${sig}`));
    } else {
      o.info(`${sig} again: forcing exit without the remaining cleanups`);
      cleanup.abort(new InterruptedError(`forced by ${sig}`));
      o.onForce(sig);
    }
  };
  // keep the process alive while a scenario awaits something that holds no handle (a pure promise)
  const keepAlive = setInterval(() => undefined, 1 << 30);
  if (o.install) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return {
    current: () => (phase === 'main' ? main.signal : cleanup.signal),
    main: main.signal,
    get interrupted() {
      return interrupted;
    },
    enterCleanup() {
      phase = 'cleanup';
    },
    dispose() {
      if (o.install) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      clearInterval(keepAlive);
    },
  };
}
