/**
 * Every subcommand, in help order. Each module owns one command and registers it here.
 *
 * A command's module is its definition: names, options, help text, defaults and the flag checks that exit 2, with
 * only commander and small modules imported. Its action `await import()`s the implementation (client-node, the AI
 * SDK, the MCP SDK, ECharts, zod schemas), so `netharness --help` or a usage error does not pay for every command's
 * dependencies (test/cli/lazy-start.test.ts; the help of every command is pinned by test/cli/help-snapshot.test.ts).
 */
import type { Command } from 'commander';
import { registerMcp } from './mcp.ts';
import { registerBundle } from './bundle.ts';
import { registerSim } from './sim.ts';
import { registerBench } from './bench.ts';
import { registerScenario } from './scenario.ts';
import { registerRuns } from './runs.ts';
import { registerCheck } from './check.ts';
import { registerChaos } from '../chaos/command.ts';
import { registerPtp } from './ptp.ts';
import { registerEval } from './eval.ts';
import { registerMetrics } from './metrics.ts';
import { registerReport } from './report.ts';
import { registerCompare } from './compare.ts';
import { registerMonitor } from './monitor.ts';
import { registerMerge } from './merge.ts';

export function registerCommands(program: Command): void {
  registerSim(program);
  registerScenario(program);
  registerRuns(program);
  registerCheck(program);
  registerChaos(program);
  registerMcp(program);
  registerBundle(program);
  registerEval(program);
  registerReport(program);
  registerCompare(program);
  registerMerge(program);
  registerMonitor(program);
  registerPtp(program);
  registerMetrics(program);
  registerBench(program);
}
