/**
 * The step recorder: one code path that times a named piece of work, records it as a step in the store,
 * reports it on the progress output and classifies its error. Steps (`t.step`), defers (cleanups, LIFO)
 * and checks (`t.check`) all go through it.
 */
import { InfraError, InterruptedError, UsageError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { Progress } from './progress.ts';
import { CheckFailedError, type CheckOptions, type CheckOutcome, type StepContext, type StepFn } from './scenario.ts';

export type StepEnd = 'failed' | 'error' | 'interrupted';

export function errMessage(err: unknown): string {
  if (err instanceof UsageError || err instanceof InfraError) return `${err.message}${err.hint ? ` (hint: ${err.hint})` : ''}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface StepRecorder {
  /** run `fn` as step `name` under `parentPath`; rethrows its error after recording it */
  step(parentPath: readonly string[], parentId: number | undefined, name: string, fn: StepFn): Promise<void>;
  /** register a cleanup (runs LIFO in `runDefers`, whatever happened); `forcedGraceMs`: how long it may go on
   * once the run is forced (default 15 s) */
  defer(fn: () => Promise<void> | void, name?: string, o?: { forcedGraceMs?: number }): void;
  /** run the cleanups, each recorded as step `cleanup: <name>`; returns the first cleanup error */
  runDefers(): Promise<unknown>;
  /** record a check's outcome; throws CheckFailedError when it failed (unless soft) */
  check(stepId: number | undefined, name: string, fn: () => Promise<CheckOutcome> | CheckOutcome, o?: CheckOptions): Promise<CheckOutcome>;
  /** true once any check failed (soft ones included) */
  readonly checkFailed: boolean;
  /** finish the steps still running (an interrupted run exits without waiting for them): none stays 'running' */
  abandonOpenSteps(error: string): void;
}

export interface RecorderOptions {
  store: Store;
  runId: string;
  progress: Progress;
  /** the current phase's abort signal */
  signal: () => AbortSignal;
  /** the context a step function receives */
  context: (path: readonly string[], stepId: number) => StepContext;
  /** aborted when the run is forced: every cleanup from then on gets its grace period, then is cut short */
  forced?: AbortSignal;
}

const DEFAULT_FORCED_GRACE_MS = 15_000;

/** `fn()`, but once `forced` aborts it may only go on for `graceMs` more. */
async function withForcedGrace<T>(fn: () => Promise<T> | T, forced: AbortSignal | undefined, graceMs: number, name: string): Promise<T> {
  if (!forced) return fn();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, rej) => {
    const start = (): void => {
      timer = setTimeout(() => rej(new InterruptedError(`${name}: cut short ${graceMs / 1000} s after the forced interrupt`)), graceMs);
      timer.unref();
    };
    if (forced.aborted) start();
    else forced.addEventListener('abort', (onAbort = start), { once: true });
  });
  cut.catch(() => undefined);
  try {
    return await Promise.race([Promise.resolve().then(fn), cut]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) forced.removeEventListener('abort', onAbort);
  }
}

export function createStepRecorder(o: RecorderOptions): StepRecorder {
  const { store, runId, progress } = o;
  const defers: { fn: () => Promise<void> | void; name: string; graceMs: number }[] = [];
  const open = new Map<number, number>();
  // an error is printed once, at the innermost step it crossed
  const reported = new WeakSet<object>();
  let checkFailed = false;

  const statusOf = (err: unknown): StepEnd => {
    if (err instanceof InterruptedError || o.signal().aborted || (err instanceof Error && err.name === 'AbortError')) return 'interrupted';
    if (err instanceof CheckFailedError) return 'failed';
    return 'error';
  };

  /** the one timed, recorded unit of work */
  async function timed(
    path: string[],
    parentId: number | undefined,
    run: (stepId: number) => Promise<void> | void,
    status: (err: unknown) => StepEnd,
    printAlways = false,
  ) {
    const stepId = store.startStep(runId, { path, parentId });
    progress.stepStart(path);
    const t0 = performance.now();
    open.set(stepId, t0);
    try {
      await run(stepId);
      if (!open.delete(stepId)) return; // abandoned meanwhile: already recorded
      const ms = performance.now() - t0;
      store.finishStep(stepId, { status: 'passed', durationMs: ms });
      progress.stepEnd(path, 'passed', ms);
    } catch (err) {
      if (!open.delete(stepId)) throw err;
      const ms = performance.now() - t0;
      const st = status(err);
      const first = printAlways || !(err && typeof err === 'object' && reported.has(err));
      store.finishStep(stepId, { status: st, durationMs: ms, error: errMessage(err) });
      progress.stepEnd(path, st, ms, first ? errMessage(err) : undefined);
      if (err && typeof err === 'object') reported.add(err);
      throw err;
    }
  }

  return {
    get checkFailed() {
      return checkFailed;
    },
    async step(parentPath, parentId, name, fn) {
      if (o.signal().aborted) throw new InterruptedError();
      const path = [...parentPath, name];
      await timed(path, parentId, (stepId) => fn(o.context(path, stepId)), statusOf);
    },
    defer(fn, name, d = {}) {
      defers.push({ fn, name: name ?? `cleanup ${defers.length + 1}`, graceMs: d.forcedGraceMs ?? DEFAULT_FORCED_GRACE_MS });
    },
    abandonOpenSteps(error) {
      for (const [stepId, t0] of open) store.finishStep(stepId, { status: 'interrupted', durationMs: performance.now() - t0, error });
      open.clear();
    },
    async runDefers() {
      let first: unknown;
      while (defers.length) {
        const d = defers.pop();
        if (!d) break;
        try {
          // a failing cleanup is an error whatever the signal says: the cluster may be left dirty
          await timed(
            [`cleanup: ${d.name}`],
            undefined,
            () => withForcedGrace(d.fn, o.forced, d.graceMs, `cleanup: ${d.name}`),
            () => 'error',
            true,
          );
        } catch (err) {
          first ??= err;
        }
      }
      return first;
    },
    async check(stepId, name, fn, co = {}) {
      const t0 = performance.now();
      let outcome: CheckOutcome;
      try {
        outcome = await fn();
      } catch (err) {
        const ms = performance.now() - t0;
        if (!(err instanceof InterruptedError) && !o.signal().aborted) {
          store.recordCheck(runId, { name, status: 'error', durationMs: ms, stepId, summary: errMessage(err) });
          progress.check(name, false, ms, `error: ${errMessage(err)}`);
        }
        throw err;
      }
      const ms = performance.now() - t0;
      store.recordCheck(runId, {
        name,
        status: outcome.ok ? 'passed' : 'failed',
        durationMs: ms,
        stepId,
        summary: outcome.summary,
        data: outcome.data,
        findings: outcome.findings,
      });
      progress.check(name, outcome.ok, ms, outcome.summary);
      if (!outcome.ok) {
        checkFailed = true;
        if (!co.soft) throw new CheckFailedError(name, outcome);
      }
      return outcome;
    },
  };
}
