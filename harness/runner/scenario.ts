/**
 * Public API of a scenario script (Deno-style). A scenario module default-exports `scenario(meta, fn)`:
 *
 * ```ts
 * import { z } from 'zod';
 * import { scenario } from '../harness/runner/scenario.ts';
 *
 * export default scenario({
 *   name: 'node-reboot',
 *   description: 'reboot a worker and wait for it to come back',
 *   params: z.object({ node: z.string().default(''), iterations: z.number().int().min(1).default(3) }),
 *   quick: { iterations: 1 },
 *   sim: (p) => ({ nodes: '3+3', speed: 20 }),
 * }, async (t, p) => {
 *   await t.step('pick node', async (s) => { s.log('...'); });
 *   t.defer(async () => { /* cleanup: runs on success, failure, SIGINT, SIGTERM *\/ });
 *   await t.check('egressip consistent', async () => ({ ok: true, findings: [] }));
 *   t.record({ name: 'reboot_seconds', value: 42, unit: 's', labels: { node: 'worker-0' } });
 *   t.event({ kind: 'node-reboot', target: 'worker-0', details: {} });
 * });
 * ```
 *
 * The runner (harness/runner/run.ts) owns the lifecycle: params (zod schema with defaults, `--param k=v`,
 * `--params file.yaml`, `--quick`), the cluster (`--target sim` or `--kubeconfig`), step timing, defers,
 * progress output, recording to SQLite and the exit code.
 *
 * Errors inside a scenario:
 * - throw `UsageError` / `InfraError` (harness/errors.ts) for bad input or a broken cluster -> verdict `error`, exit 2;
 * - a failed `t.check(...)` throws `CheckFailedError` (unless `{ soft: true }`) -> verdict `failed`, exit 1;
 * - any other thrown Error is treated as an infra error (exit 2): a scenario bug is not a check verdict;
 * - SIGINT/SIGTERM abort `t.signal` -> verdict `interrupted`, exit 130.
 */
import type { z } from 'zod';
import type { Cluster } from '../cluster/connect.ts';
import type { FindingInput, RunEvent } from '../store/store.ts';
import type { HostShell } from './host.ts';

/** A number the scenario measured (failover time, rule count, ...). */
export interface Measurement {
  name: string;
  value: number;
  /** 's', 'ms', 'count', 'bytes', ... */
  unit: string;
  labels?: Record<string, string>;
  /** ISO time; default now */
  at?: string;
}

/** One inconsistency a check found. `kind` comes from a fixed vocabulary per check. Stored as is. */
export type Finding = FindingInput;

/** What a check function returns. */
export interface CheckOutcome {
  ok: boolean;
  findings?: Finding[];
  /** one line for humans */
  summary?: string;
  /** anything else worth keeping (counts, ...), stored as JSON */
  data?: Record<string, unknown>;
}

export interface CheckOptions {
  /** Record the failure but do not throw (the run still ends `failed`). Default false. */
  soft?: boolean;
}

export type { RunEvent } from '../store/store.ts';

export type StepFn = (s: StepContext) => Promise<void>;

/** The context of a step (and, through TestContext, of the whole run). */
export interface StepContext {
  /** 'iteration 3: reboot egress node' */
  readonly name: string;
  /** names of the enclosing steps, outermost first, ending with this one */
  readonly path: readonly string[];
  readonly runId: string;
  readonly cluster: Cluster;
  /** Aborted on SIGINT/SIGTERM (and when the run is cancelled). Pass it to every wait. */
  readonly signal: AbortSignal;
  /** Progress line (stderr; spinner-aware in a TTY). */
  log(message: string): void;
  /** A nested, timed step. Rejects with the step's error. */
  step(name: string, fn: StepFn): Promise<void>;
  /** Register a cleanup. Defers run LIFO at the end of the run, whatever its outcome (success, failure, SIGINT, SIGTERM). */
  defer(fn: () => Promise<void> | void, name?: string): void;
  record(m: Measurement): void;
  event(e: RunEvent): void;
  /** Run a check, record its status, duration and findings. Throws CheckFailedError when !ok unless `soft`. */
  check(name: string, fn: () => Promise<CheckOutcome> | CheckOutcome, opts?: CheckOptions): Promise<CheckOutcome>;
  /** `kubectl <args>` against the run's cluster (kubeconfig + context); resolves stdout, rejects with InfraError. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** zx's `$` for the rare host command: logged with exit status and duration, killed on Ctrl-C (./host.ts). */
  readonly $: HostShell;
}

export type Target = { kind: 'sim'; workdir: string } | { kind: 'kubeconfig'; path: string; context?: string };

/** A table for the end-of-run summary (printed, and written to summary.md / summary.json). */
export interface SummaryTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** The run-level context handed to the scenario function. */
export interface TestContext<P = unknown> extends StepContext {
  readonly params: P;
  readonly target: Target;
  /** True when run with --quick. */
  readonly quick: boolean;
  /** results/runs/<uuid>/ : a directory for artifacts of this run. */
  readonly artifactsDir: string;
  /** Add (or replace, by title) a table of the end-of-run summary. */
  summarize(table: SummaryTable): void;
}

/** How the runner should start the embedded cluster for `--target sim`. */
export interface SimOptions {
  /** `--nodes` of `netharness sim` (e.g. '3+3') */
  nodes?: string;
  ipStack?: 'ipv4' | 'ipv6' | 'dual';
  /** wall-clock waits inside the sim are divided by this */
  speed?: number;
}

/**
 * A scenario's needs of the cluster, from its params. The runner checks them against the target before a run
 * row, a run directory or a cluster object exists (a live cluster's worker nodes, the embedded cluster's
 * `--nodes`): a need the target cannot meet is a usage error naming the param, not a failure mid-run.
 */
export interface ClusterNeeds {
  /** at least `atLeast` worker nodes, because of the param `param` (0: no need) */
  workers?: { atLeast: number; param: string };
}

// zod v4 object schema; params must be fully defaulted (every field `.default(...)` or optional).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ParamsSchema = z.ZodObject<any>;

export interface ScenarioMeta<S extends ParamsSchema> {
  name: string;
  description?: string;
  params: S;
  /** Overrides applied with --quick (before --params/--param). */
  quick?: Partial<z.input<S>>;
  /** Cluster shape when the runner starts the embedded cluster (params are already validated). */
  sim?: (p: z.output<S>, quick: boolean) => SimOptions;
  /** What the params need of the cluster, checked by the runner before anything is recorded or created. */
  requires?: (p: z.output<S>) => ClusterNeeds;
  /** A one-line summary of the run for the end-of-run table; default none. */
  tags?: string[];
}

export type ScenarioFn<P> = (t: TestContext<P>, p: P) => Promise<void>;

export interface Scenario<S extends ParamsSchema = ParamsSchema> {
  readonly kind: 'netharness.scenario';
  readonly meta: ScenarioMeta<S>;
  readonly fn: ScenarioFn<z.output<S>>;
}

/** Thrown by `t.check` when a check fails (not soft). Verdict `failed`, exit 1. */
export class CheckFailedError extends Error {
  override name = 'CheckFailedError';
  constructor(
    readonly check: string,
    readonly outcome: CheckOutcome,
  ) {
    super(
      `check '${check}' failed${outcome.summary ? `: ${outcome.summary}` : ''}${outcome.findings?.length ? ` (${outcome.findings.length} findings)` : ''}`,
    );
  }
}

/** Re-exported for scenario authors; the class lives in harness/errors.ts. */
export { InterruptedError } from '../errors.ts';

export function scenario<S extends ParamsSchema>(meta: ScenarioMeta<S>, fn: ScenarioFn<z.output<S>>): Scenario<S> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(meta.name)) throw new Error(`scenario name '${meta.name}' must be lowercase kebab-case`);
  return { kind: 'netharness.scenario', meta, fn };
}

export function isScenario(x: unknown): x is Scenario {
  return !!x && typeof x === 'object' && (x as { kind?: unknown }).kind === 'netharness.scenario';
}
