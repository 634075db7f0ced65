/**
 * Every subcommand, in help order. Each module owns one command and registers it here.
 */
import type { Command } from 'commander';
import { registerNotBuilt } from './not-built.ts';
import { registerBench } from './bench.ts';
import { registerScenario } from './scenario.ts';
import { registerRuns } from './runs.ts';

export function registerCommands(program: Command): void {
  // Registered by later issues as they land; until then they say so and exit 2.
  registerNotBuilt(program, 'sim', 'start, stop and inspect the embedded cluster', 'issue 2 (embedded cluster API)');
  registerScenario(program);
  registerRuns(program);
  registerNotBuilt(program, 'check', 'run a consistency check against a cluster', 'issue 4 (EgressIP consistency check)');
  registerNotBuilt(program, 'mcp', 'serve the read-only troubleshooting MCP server', 'issue 6 (MCP server)');
  registerNotBuilt(program, 'bundle', 'export an offline troubleshooting bundle', 'issue 6 (MCP server)');
  registerNotBuilt(program, 'eval', 'score LLM root-cause analyses against known answers', 'a later issue (evals)');
  registerNotBuilt(program, 'report', 'render HTML / Markdown / JSON / JUnit reports from the database', 'a later issue (reports)');
  registerBench(program);
}
