/**
 * The run part of `netharness eval` (harness/commands/eval.ts registers it): options, usage errors
 * (exit 2, naming the option), progress on stderr, `--json` on stdout, the exit code.
 */
import type { Command } from 'commander';
import { UsageError } from '../../harness/errors.ts';
import { renderTable } from '../../harness/runner/summary.ts';
import { DEFAULT_BUDGETS, SIM_SPEED } from './defaults.ts';
import type { EvalOptions, EvalResult } from './run.ts';
import { parseShard } from '../merge-shard.ts';

interface RunFlags {
  suite?: string;
  cases?: string;
  agent: string;
  agentParam: string[];
  repeat: string;
  seed: string;
  target: string;
  kubeconfig?: string;
  context?: string;
  mcpConfig?: string;
  maxSteps: string;
  maxToolCalls: string;
  maxTokens: string;
  maxSeconds: string;
  retries: string;
  speed: string;
  json?: boolean;
  db?: string;
  shard?: string;
  capture?: string;
}

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${name}: expected an integer ${min}..${max}, got '${v}'`);
  return n;
}

export function parseRunFlags(f: RunFlags): EvalOptions {
  if (f.suite && f.cases) throw new UsageError('--suite and --cases: give one of them');
  if (f.target !== 'sim' && f.target !== 'kubeconfig' && !f.target.startsWith('bundles:'))
    throw new UsageError(`--target: sim, kubeconfig or bundles:DIR, got '${f.target}'`);
  if (f.target === 'bundles:') throw new UsageError('--target bundles:DIR needs the directory (bundles:results/bundles)');
  if (f.target.startsWith('bundles:') && (f.kubeconfig || f.capture))
    throw new UsageError(`--target bundles: replays offline: ${f.kubeconfig ? '--kubeconfig' : '--capture'} does not apply`);
  if (f.target === 'kubeconfig' && !f.kubeconfig) throw new UsageError('--target kubeconfig needs --kubeconfig PATH');
  if (f.context && !f.kubeconfig) throw new UsageError('--context needs --kubeconfig');
  const agentParams: Record<string, string> = {};
  for (const p of f.agentParam) {
    const i = p.indexOf('=');
    if (i < 1) throw new UsageError(`--agent-param: expected key=value, got '${p}'`);
    agentParams[p.slice(0, i)] = p.slice(i + 1);
  }
  return {
    suite: f.suite,
    cases: f.cases,
    agent: f.agent,
    agentParams,
    repeat: int('--repeat', f.repeat, 1, 1000),
    seed: int('--seed', f.seed, 0, 2 ** 32 - 1),
    target: f.kubeconfig
      ? { kind: 'kubeconfig', path: f.kubeconfig, context: f.context }
      : { kind: 'sim', speed: int('--speed', f.speed, 1, 1000) },
    mcpConfig: f.mcpConfig,
    budgets: {
      maxSteps: int('--max-steps', f.maxSteps, 1, 100_000),
      maxToolCalls: int('--max-tool-calls', f.maxToolCalls, 0, 100_000),
      maxTokens: int('--max-tokens', f.maxTokens, 1, 1_000_000_000),
      maxSeconds: int('--max-seconds', f.maxSeconds, 1, 86_400),
    },
    retries: int('--retries', f.retries, 0, 10),
    dbPath: f.db,
    ...(f.shard ? { shard: parseShard(f.shard) } : {}),
    ...(f.capture ? { capture: f.capture } : {}),
  };
}

function renderResult(r: EvalResult): string {
  const rows = r.trials.map((t) => [
    t.case,
    t.repeat,
    t.status === 'scored' ? (t.budget ? 'over budget' : t.passed ? 'passed' : 'failed') : t.status,
    t.scores?.overall ?? '-',
    t.scores?.detection ?? '-',
    t.scores?.localization ?? '-',
    t.scores?.category ?? '-',
    t.scores?.mechanism ?? '-',
    t.scores?.remediation ?? '-',
    t.safety ? (t.safety.ok ? 'ok' : `${t.safety.violations.length} violation(s)`) : '-',
    t.effort.toolCalls,
    t.attempts,
  ]);
  const s = r.summary;
  return [
    renderTable(['case', '#', 'result', 'overall', 'detect', 'local', 'categ', 'mech', 'remed', 'safety', 'calls', 'attempts'], rows),
    s
      ? `${s.passed}/${s.scored} passed (${s.trials} trials, ${s.infra} infra, ${s.interrupted} interrupted, ${s.retriedAttempts} attempts retried); overhead per trial p50 ${s.overheadMs.total?.p50 ?? '-'} ms, p95 ${s.overheadMs.total?.p95 ?? '-'} ms`
      : '',
    r.runId ? `run ${r.runId} (netharness runs show ${r.runId.slice(0, 8)})` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerEvalRun(ev: Command): void {
  // `eval list --cases X` must keep its --cases: options after a subcommand belong to it, which commander
  // does only with positional options on every parent (the program's own are --version and --help only)
  ev.enablePositionalOptions();
  ev.parent?.enablePositionalOptions();
  ev.option('--suite <name>', "cases whose layer or tag is NAME ('all': every case; the default)")
    .option('--cases <glob>', 'case files (a glob, directory or file; default evals/cases/*.yaml)')
    .option('--agent <name>', 'the agent (evals/agents/registry.ts)', 'reference')
    .option('--agent-param <k=v>', 'a parameter for the agent (repeatable)', collect, [])
    .option('--repeat <n>', 'trials per case', '1')
    .option('--seed <s>', 'run seed: each trial draws its targets from (seed, case, repeat)', '1')
    .option(
      '--target <t>',
      'sim (an embedded cluster sized for the suite), kubeconfig, or bundles:DIR (replay captured bundles / must-gathers offline)',
      'sim',
    )
    .option('--kubeconfig <path>', 'a live cluster (only liveSafe cases run)')
    .option('--context <name>', 'kubeconfig context')
    .option(
      '--mcp-config <file>',
      'MCP servers for the agent: {"mcpServers": {name: {command, args, env} | {url}}} (default: netharness mcp on the target)',
    )
    .option('--max-steps <n>', 'budget: model steps per trial', String(DEFAULT_BUDGETS.maxSteps))
    .option('--max-tool-calls <n>', 'budget: tool calls per trial', String(DEFAULT_BUDGETS.maxToolCalls))
    .option('--max-tokens <n>', 'budget: tokens per trial', String(DEFAULT_BUDGETS.maxTokens))
    .option('--max-seconds <n>', 'budget: agent seconds per trial', String(DEFAULT_BUDGETS.maxSeconds))
    .option('--retries <n>', 'extra attempts of a trial after an infrastructure error', '2')
    .option('--speed <n>', 'sim speed factor (waits are divided by it)', String(SIM_SPEED))
    .option('--json', 'print {runId, trials, summary} on stdout')
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--shard <i/n>', 'run part i of n of the selected cases (a deterministic split; join the DBs with `netharness merge`)')
    .option('--capture <dir>', 'write an offline bundle per trial after its gate into DIR (replay with --target bundles:DIR)')
    .action(async (f: RunFlags) => {
      const opts = parseRunFlags(f);
      const bundles = f.target.startsWith('bundles:') ? f.target.slice('bundles:'.length) : undefined;
      // the runner and the replay (client-node, the agents, the MCP SDK) are loaded by the action, not by `--help`
      const r = bundles
        ? await (await import('../replay/run.ts')).runReplay({ ...opts, bundles })
        : await (await import('./run.ts')).runEval(opts);
      if (f.json)
        process.stdout.write(
          `${JSON.stringify({ runId: r.runId ?? null, trials: r.trials, summary: r.summary ?? null, ...(r.error ? { error: r.error } : {}) }, null, 2)}\n`,
        );
      else if (r.runId) process.stdout.write(`${renderResult(r)}\n`);
      process.exitCode = r.exitCode;
    });
}
