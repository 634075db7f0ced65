#!/usr/bin/env -S npx tsx
/**
 * `netharness <command>`: one CLI, subcommands registered by the module that owns them.
 * Commander's own errors (unknown option, missing argument) exit 2, like every usage error here.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, formatError, UsageError, InfraError, NotBuiltError } from './errors.ts';
import { registerCommands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('netharness')
    .description(
      'Scale and chaos scenarios, OVN rule-consistency checks, a read-only troubleshooting MCP server and LLM root-cause evals for OpenShift / OVN-Kubernetes networking.',
    )
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.error;
    }
    if (err instanceof NotBuiltError) {
      process.stderr.write(`${err.message}\n`);
      return ExitCode.error;
    }
    process.stderr.write(`${formatError(err)}\n`);
    if (!(err instanceof UsageError || err instanceof InfraError) && process.env.NETHARNESS_DEBUG) console.error(err);
    return ExitCode.error;
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isMain) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
