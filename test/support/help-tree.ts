/**
 * The `--help` of every command and subcommand, as `netharness <path> --help` prints it (in process, through
 * `main`, stdout not a terminal: commander's 80-column layout). The paths come from the program itself, so a
 * command added later is listed without editing this file.
 *
 * Run as a script to (re)write the fixture the help test compares with:
 *   node --import tsx test/support/help-tree.ts > test/cli/fixtures/help.json
 */
import type { Command } from 'commander';
import { buildProgram, main } from '../../harness/cli.ts';
import { projectRoot } from '../../harness/constants.ts';

/** stands for the project's absolute path in help text */
export const ROOT_MARK = '<root>';

export interface HelpOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every command path under the program (`[]` is the program itself), depth first in help order; commander's implicit `help` left out. */
export function commandPaths(program: Command = buildProgram()): string[][] {
  const out: string[][] = [];
  const walk = (cmd: Command, path: string[]): void => {
    out.push(path);
    for (const sub of cmd.commands) if (sub.name() !== 'help') walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return out;
}

/** Runs `main([...path, '--help'])` with stdout and stderr captured (not a TTY while it runs). */
async function helpOf(path: string[]): Promise<HelpOutput> {
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  try {
    const code = await main([...path, '--help']);
    // a default under the project root (eval rescore --db) names the checkout: the same text at any path
    return { code, stdout: stdout.split(projectRoot).join(ROOT_MARK), stderr: stderr.split(projectRoot).join(ROOT_MARK) };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
    process.exitCode = undefined;
  }
}

/** `{ "check egressip": { code, stdout, stderr }, ... }` for every command path ("" is the program). */
export async function helpOfEveryCommand(): Promise<Record<string, HelpOutput>> {
  const out: Record<string, HelpOutput> = {};
  for (const path of commandPaths()) out[path.join(' ')] = await helpOf(path);
  return out;
}

if (process.argv[1] && import.meta.url.endsWith('/help-tree.ts') && process.argv[1].endsWith('help-tree.ts')) {
  process.stdout.write(`${JSON.stringify(await helpOfEveryCommand(), null, 2)}\n`);
}
