#!/usr/bin/env -S npx tsx
/**
 * `netharness <command>`: one CLI, subcommands registered by the module that owns them.
 * Commander's own errors (unknown option, missing argument) exit 2, like every usage error here.
 */
import { Socket } from 'node:net';
import { Command, CommanderError } from 'commander';
import { ExitCode, formatError, UsageError, InfraError } from './errors.ts';
import { registerCommands } from './commands/index.ts';
import { VERSION } from './constants.ts';

export function buildProgram(): Command {
  const program = new Command('netharness')
    .description(
      'Scale and chaos scenarios, OVN rule-consistency checks, a read-only troubleshooting MCP server and LLM root-cause evals for OpenShift / OVN-Kubernetes networking.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** `--json` asked for: a failure is a JSON object on stdout too (a machine reads it), besides the stderr text. */
function printJsonError(argv: string[], err: unknown, code: number): void {
  if (!argv.includes('--json')) return;
  const e = err as { name?: string; message?: string; hint?: string };
  const kind =
    err instanceof UsageError ? 'usage' : err instanceof InfraError ? 'infra' : err instanceof CommanderError ? 'usage' : 'error';
  const message = err instanceof CommanderError ? err.message.replace(/^error: /, '') : (e.message ?? String(err));
  process.stdout.write(`${JSON.stringify({ error: { kind, message, ...(e.hint ? { hint: e.hint } : {}), exitCode: code } })}\n`);
}

/**
 * Under bin/netharness.js the CLI runs in its own process group and holds the read end of a pipe from the
 * launcher: when the launcher dies (even by kill -9) the pipe closes, and the CLI interrupts itself as on a
 * hang-up (the run's cleanups run; a command without handlers ends as SIGHUP does).
 */
function watchLauncher(): void {
  const fd = Number(process.env.NETHARNESS_LAUNCHER_FD);
  delete process.env.NETHARNESS_LAUNCHER_FD; // not for our children: the fd is not theirs
  if (!Number.isInteger(fd) || fd < 3) return;
  let pipe: Socket;
  try {
    pipe = new Socket({ fd, readable: true, writable: false });
  } catch {
    return;
  }
  let gone = false;
  const onGone = (): void => {
    if (gone) return;
    gone = true;
    process.kill(process.pid, 'SIGHUP');
  };
  pipe.on('end', onGone).on('close', onGone).on('error', onGone);
  pipe.resume();
  pipe.unref();
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      printJsonError(argv, err, ExitCode.error);
      return ExitCode.error;
    }
    process.stderr.write(`${formatError(err)}\n`);
    printJsonError(argv, err, ExitCode.error);
    if (!(err instanceof UsageError || err instanceof InfraError) && process.env.NETHARNESS_DEBUG) console.error(err);
    return ExitCode.error;
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isMain) {
  watchLauncher();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
