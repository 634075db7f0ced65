/**
 * `netharness check list [--json]`, `netharness check egressip|ptp [...]` and, for every other registered check,
 * `netharness check <name> [--param k=v]... [--json]`. Every run is recorded in the results database
 * (runs.kind = 'check'; `--db`, `--no-record`). Exit 0 consistent, 1 findings, 2 error, 130 interrupted.
 */
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.ts';
import type { EgressIPCheckResult } from '../checks/egressip/index.ts';
import type { AnyCheck } from '../checks/registry.ts';
import { renderTable } from '../runner/summary.ts';
import { formatMs } from '../runner/progress.ts';
import { registerPtpCheck } from '../checks/ptp/cli.ts';
import { checkTargetOptions, recordOptionsOf, reportRecorded, type CheckTargetOptions } from '../checks/cli-options.ts';
import { recordCheckRun } from '../checks/record.ts';

// The check implementations (and the registry, which holds them) load client-node: they are imported by the
// actions, and the registry's other checks are added to `check` only when the command line may name one.
const registry = () => import('../checks/registry.ts');

/** `check`'s own subcommands; any other name (or `check --help`) needs the registry's list. */
const BUILT_IN = new Set(['egressip', 'ptp', 'list', 'help']);

interface CheckCliOptions extends CheckTargetOptions {
  json?: boolean;
  concurrency?: string;
  limit?: string;
}

export function renderEgressIPResult(r: EgressIPCheckResult, limit = 200): string {
  const out: string[] = [];
  const c = r.counts;
  out.push(
    `EgressIP consistency: ${r.consistent ? 'CONSISTENT' : `${r.findings.length} FINDINGS`} (${c.eips} EgressIPs, ${c.pods} served pods, ${c.nodes} nodes, ${c.snat} SNATs, ${c.lrp} reroute LRPs) in ${formatMs(r.durationMs)}`,
  );
  if (r.findings.length) {
    const groups = new Map<string, number>();
    for (const f of r.findings) groups.set(`${f.kind}\u0000${f.node ?? '-'}`, (groups.get(`${f.kind}\u0000${f.node ?? '-'}`) ?? 0) + 1);
    out.push(
      '',
      'by kind and node',
      renderTable(
        ['kind', 'node', 'count'],
        [...groups].sort().map(([k, n]) => [...k.split('\u0000'), n]),
      ),
    );
    const sorted = [...r.findings].sort((a, b) => (a.kind + (a.node ?? '')).localeCompare(b.kind + (b.node ?? '')));
    const shown = sorted.slice(0, limit);
    out.push('', `findings${sorted.length > shown.length ? ` (first ${shown.length} of ${sorted.length}; --json for all)` : ''}`);
    out.push(
      renderTable(
        ['kind', 'node', 'egressip', 'pod', 'expected', 'actual'],
        shown.map((f) => [
          f.kind,
          f.node ?? '',
          f.egressip ?? '',
          f.namespace && f.pod ? `${f.namespace}/${f.pod}` : (f.pod ?? ''),
          f.expected ?? '',
          f.actual ?? '',
        ]),
      ),
    );
  }
  return out.join('\n');
}

export function registerCheck(program: Command): void {
  const check = program.command('check').description('run a consistency check against a cluster');
  check
    .command('list')
    .description('the registered checks, their params and finding kinds (from harness/checks/registry.ts)')
    .option('--json', 'machine-readable list on stdout')
    .action(async (o: { json?: boolean }) => {
      const { listChecks } = await registry();
      const rows = listChecks().map((c) => ({ name: c.name, description: c.description, findingKinds: { ...c.findingKinds } }));
      if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else
        process.stdout.write(
          `${renderTable(
            ['check', 'finding kinds', 'description'],
            rows.map((r) => [r.name, Object.keys(r.findingKinds).join(', '), r.description]),
          )}\n`,
        );
    });
  checkTargetOptions(
    check
      .command('egressip')
      .description(
        "EgressIP rule consistency: expected SNATs / reroute LRPs / no-reroute rules / address sets (from the API) vs every node's NB DB",
      ),
  )
    .option('--json', 'machine-readable result on stdout')
    .option('--concurrency <n>', 'nodes read in parallel (default 8)')
    .option('--limit <n>', 'findings listed in human output (default 200)')
    .action(async (o: CheckCliOptions) => {
      const concurrency = o.concurrency === undefined ? 8 : Number(o.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
        throw new UsageError(`--concurrency: expected an integer 1..256, got '${o.concurrency}'`);
      const limit = o.limit === undefined ? 200 : Number(o.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit: expected a non-negative integer, got '${o.limit}'`);
      const [{ connect }, { checkEgressIP, egressipCheckResult }] = await Promise.all([
        import('../cluster/connect.ts'),
        import('../checks/egressip/index.ts'),
      ]);
      const cluster = connect({ kubeconfig: o.kubeconfig, context: o.context });
      const { value: r, runId } = await recordCheckRun(
        recordOptionsOf(o, 'egressip', { concurrency }),
        () => checkEgressIP(cluster, { concurrency }),
        egressipCheckResult,
      );
      if (o.json) process.stdout.write(`${JSON.stringify({ ...r, ...(runId ? { runId } : {}) }, null, 2)}\n`);
      else process.stdout.write(`${renderEgressIPResult(r, limit)}\n`);
      reportRecorded(runId);
      process.exitCode = r.consistent ? ExitCode.ok : ExitCode.checkFailed;
    });
  registerPtpCheck(check);
  // every other registered check gets the generic command: `check <name> [--param k=v] [--json]`, added before
  // `check` reads its operands when they may name one (`check --help` lists them too)
  program.hook('preSubcommand', async (_program, sub) => {
    if (sub !== check) return;
    // the command line as parsed (commander keeps it as rawArgs; not in its typings): the word after `check`
    const raw = (program as unknown as { rawArgs: string[] }).rawArgs;
    const name = raw[raw.indexOf('check') + 1];
    if (name !== undefined && BUILT_IN.has(name)) return;
    const { listChecks } = await registry();
    for (const c of listChecks())
      if (!BUILT_IN.has(c.name) && !check.commands.some((x) => x.name() === c.name)) registerGenericCheck(check, c);
  });
  check.addHelpText(
    'after',
    '\nEvery run is recorded in the results database (netharness runs list --kind check).\nExit codes: 0 consistent, 1 findings, 2 error, 130 interrupted.',
  );
}

/** `check <name> [--param k=v]... [--json]` for a registered check without a command of its own. */
function registerGenericCheck(check: Command, c: AnyCheck): void {
  checkTargetOptions(check.command(c.name).description(c.description))
    .option('--param <k=v>', 'a check param (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'the CheckResult on stdout')
    .action(async (o: CheckTargetOptions & { param: string[]; json?: boolean }) => {
      const params: Record<string, unknown> = {};
      for (const kv of o.param) {
        const i = kv.indexOf('=');
        if (i < 1) throw new UsageError(`--param: expected k=v, got '${kv}'`);
        const raw = kv.slice(i + 1);
        // numbers and booleans as JSON; anything else as a string
        let v: unknown = raw;
        try {
          v = JSON.parse(raw);
        } catch {
          /* a plain string */
        }
        params[kv.slice(0, i)] = v;
      }
      const [{ connect }, { parseCheckParams, runCheck }] = await Promise.all([
        import('../cluster/connect.ts'),
        import('../checks/run.ts'),
      ]);
      const cluster = connect({ kubeconfig: o.kubeconfig, context: o.context });
      // params are validated before anything is recorded (a usage error leaves no run behind)
      parseCheckParams(c, params);
      const { value: r, runId } = await recordCheckRun(
        recordOptionsOf(o, c.name, params),
        () => runCheck(c, cluster, params),
        (x) => x,
      );
      if (o.json) process.stdout.write(`${JSON.stringify({ ...r, ...(runId ? { runId } : {}) }, null, 2)}\n`);
      else {
        process.stdout.write(`${r.summary.headline}\n`);
        if (r.findings.length)
          process.stdout.write(
            `${renderTable(
              ['kind', 'subject', 'node', 'message'],
              r.findings.map((f) => [f.kind, f.subject, f.node ?? '', f.message]),
            )}\n`,
          );
      }
      reportRecorded(runId);
      process.exitCode = r.passed ? ExitCode.ok : ExitCode.checkFailed;
    });
}
