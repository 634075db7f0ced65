/**
 * `netharness scenario <name|file.ts> [--param k=v]... [--params file.yaml] [--quick]
 *    [--target sim | --kubeconfig PATH [--context C]] [--db PATH] [--json]
 *    [--metrics-profile FILE [--metrics-step 5s] [--prometheus-url URL] [--prometheus-token T]]`
 * `netharness scenario list [--json]`
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { UsageError } from '../errors.ts';
import { createProgress } from '../runner/progress.ts';
import type { TargetOptions } from '../runner/run.ts';
import type { Scenario } from '../runner/scenario.ts';
import type { RunMetricsOptions } from '../metrics/run.ts';

// The runner, the scenarios and their kits (client-node, zod) are loaded by the action, not by `--help`.
const scenarios = () => import('../../scenarios/index.ts');

interface ScenarioCliOptions {
  param: string[];
  params?: string;
  quick?: boolean;
  target?: string;
  kubeconfig?: string;
  context?: string;
  workdir?: string;
  keepSim?: boolean;
  port?: string;
  db?: string;
  json?: boolean;
  quiet?: boolean;
  schema?: boolean;
  metricsProfile?: string;
  metricsStep?: string;
  prometheusUrl?: string;
  prometheusToken?: string;
}

async function resolveScenario(nameOrPath: string): Promise<Scenario> {
  const [{ loadScenario, scenarioNames }, { isScenario }] = await Promise.all([scenarios(), import('../runner/scenario.ts')]);
  const byName = await loadScenario(nameOrPath);
  if (byName) return byName;
  if (/\.(ts|js|mts|mjs)$/.test(nameOrPath) && existsSync(nameOrPath)) {
    const mod = (await import(pathToFileURL(resolve(nameOrPath)).href)) as { default?: unknown };
    if (!isScenario(mod.default)) throw new UsageError(`${nameOrPath} does not default-export scenario(...)`);
    return mod.default;
  }
  throw new UsageError(`unknown scenario '${nameOrPath}'`, `known scenarios: ${scenarioNames().join(', ')} (or a path to a .ts file)`);
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** --metrics-*: the profile is read and validated before the run starts (a bad profile exits 2, nothing recorded). */
async function metricsOptions(o: ScenarioCliOptions): Promise<RunMetricsOptions | undefined> {
  if (!o.metricsProfile) {
    for (const [flag, v] of [
      ['--metrics-step', o.metricsStep],
      ['--prometheus-url', o.prometheusUrl],
      ['--prometheus-token', o.prometheusToken],
    ] as const)
      if (v !== undefined) throw new UsageError(`${flag} needs --metrics-profile`);
    return undefined;
  }
  if (o.prometheusUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(o.prometheusUrl))
    throw new UsageError(`--prometheus-url: expected an http(s):// URL (got '${o.prometheusUrl}')`);
  const { loadMetricsProfile, parseStep } = await import('../metrics/profile.ts');
  return {
    profile: loadMetricsProfile(o.metricsProfile),
    profilePath: o.metricsProfile,
    stepSeconds: o.metricsStep !== undefined ? parseStep(o.metricsStep) : undefined,
    url: o.prometheusUrl,
    token: o.prometheusToken,
  };
}

export function registerScenario(program: Command): void {
  const cmd = program
    .command('scenario')
    .description('run a scenario (corenet-6498, node-reboot, ovn-pod-restart, ...) against the embedded cluster or a kubeconfig')
    .argument('<name>', "scenario name (see 'netharness scenario list') or path to a scenario .ts file")
    .option('--param <k=v>', 'override a param (repeatable); coerced to the param type', collect, [])
    .option('--params <file>', 'YAML file with a mapping of params')
    .option('--quick', 'the small profile of the scenario')
    .addOption(new Option('--target <target>', 'where to run: sim starts the embedded cluster and stops it after').choices(['sim']))
    .option('--kubeconfig <path>', 'run against the cluster of this kubeconfig instead of the embedded cluster')
    .option('--context <name>', 'kubeconfig context')
    .option('--workdir <dir>', 'sim workdir (default results/sim/run-<id>)')
    .option('--keep-sim', 'leave the embedded cluster running after the run')
    .option('--port <n>', 'sim API port')
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--json', 'print a machine-readable summary on stdout (progress stays on stderr)')
    .option('--quiet', 'no progress output')
    .option('--schema', "print the JSON Schema of the scenario's params (for editors) and exit")
    .option(
      '--metrics-profile <file>',
      'collect this metrics profile (kube-burner format, e.g. metrics/profiles/egressip.yaml) from Prometheus over the run',
    )
    .option('--metrics-step <duration>', 'resolution of the range queries (5s, 30s, 1m; default run duration / 200, 2s..30s)')
    .option('--prometheus-url <url>', 'Prometheus / Thanos base URL (default: thanos-querier route, else the service proxy)')
    .option(
      '--prometheus-token <token>',
      'bearer token for --prometheus-url (or NETHARNESS_PROMETHEUS_TOKEN; default: the kubeconfig user)',
    )
    .action(async (name: string, o: ScenarioCliOptions) => {
      if (name === 'list') {
        const [{ loadScenario, scenarioNames }, { describeParams }] = await Promise.all([scenarios(), import('../runner/params.ts')]);
        const rows: { name: string; description: string; params: ReturnType<typeof describeParams> }[] = [];
        for (const n of scenarioNames()) {
          const s = await loadScenario(n);
          if (s) rows.push({ name: n, description: s.meta.description ?? '', params: describeParams(s.meta.params) });
        }
        if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else {
          for (const r of rows) {
            process.stdout.write(`${r.name}  ${r.description}\n`);
            for (const p of r.params)
              process.stdout.write(`    --param ${p.name}=<${p.expected}>  (default ${JSON.stringify(p.default)})\n`);
          }
        }
        return;
      }
      if (o.schema) {
        const scn = await resolveScenario(name);
        const { paramsJsonSchema } = await import('../runner/schema.ts');
        process.stdout.write(`${JSON.stringify(paramsJsonSchema(scn.meta.name, scn.meta.description, scn.meta.params), null, 2)}\n`);
        return;
      }
      if (o.kubeconfig && o.target === 'sim') throw new UsageError('--target sim and --kubeconfig are exclusive');
      if (o.context && !o.kubeconfig) throw new UsageError('--context needs --kubeconfig');
      if (o.port !== undefined && (!/^\d+$/.test(o.port) || Number(o.port) < 1 || Number(o.port) > 65535))
        throw new UsageError(`--port: expected a TCP port 1..65535, got '${o.port}'`);
      if (o.port !== undefined && o.kubeconfig) throw new UsageError('--port is for the embedded cluster, not with --kubeconfig');
      if (o.workdir !== undefined && o.kubeconfig) throw new UsageError('--workdir is for the embedded cluster, not with --kubeconfig');
      const scn = await resolveScenario(name);
      const target: TargetOptions = o.kubeconfig
        ? { kind: 'kubeconfig', path: o.kubeconfig, context: o.context }
        : { kind: 'sim', workdir: o.workdir, keep: o.keepSim, port: o.port ? Number(o.port) : undefined };
      if (o.kubeconfig && !existsSync(o.kubeconfig)) throw new UsageError(`--kubeconfig: no file at ${o.kubeconfig}`);
      const metrics = await metricsOptions(o);
      const progress = createProgress({ quiet: o.quiet });
      const { runScenario, renderSummaryText } = await import('../runner/run.ts');
      const res = await runScenario(scn, {
        params: { file: o.params, pairs: o.param },
        quick: o.quick,
        target,
        dbPath: o.db,
        progress,
        metrics,
      });
      // nothing ran: the error is the first (and only) thing said, no empty summary (cli.ts adds --json's error object)
      if (res.earlyError !== undefined) throw res.earlyError;
      if (o.json) process.stdout.write(`${JSON.stringify(res.summary, null, 2)}\n`);
      if (!o.quiet) process.stderr.write(`\n${renderSummaryText(res.summary)}\n`);
      process.exitCode = res.exitCode;
    });
  cmd.addHelpText(
    'after',
    '\nExit codes: 0 passed, 1 a check failed, 2 infra or usage error, 130 interrupted.\nList scenarios and their params: netharness scenario list',
  );
}
