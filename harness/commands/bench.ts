/**
 * `netharness bench [names...]`: runs the tinybench suites in bench/*.bench.ts, one child process
 * each (so one suite's servers and memory do not skew the next), and prints their tables.
 */
import { readdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { projectRoot } from '../constants.ts';

export function listSuites(dir = join(projectRoot, 'bench')): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => basename(f, '.bench.ts'))
    .sort();
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run the tinybench suites (bench/*.bench.ts); with no names, all of them')
    .argument('[suites...]', 'suite names, e.g. api checks (see --list)')
    .option('--list', 'list the suites and exit')
    .action(async (names: string[], opts: { list?: boolean }) => {
      const suites = listSuites();
      if (opts.list) {
        process.stdout.write(`${suites.join('\n')}\n`);
        return;
      }
      const unknown = names.filter((n) => !suites.includes(n));
      if (unknown.length) throw new UsageError(`unknown bench suite(s): ${unknown.join(', ')}`, `available: ${suites.join(', ')}`);
      const chosen = names.length ? names : suites;
      let failed = 0;
      for (const name of chosen) {
        process.stderr.write(`bench: ${name}\n`);
        const code = await new Promise<number>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', `${name}.bench.ts`)], {
            stdio: 'inherit',
            cwd: projectRoot,
          });
          child.on('exit', (c) => resolve(c ?? 1));
        });
        if (code !== 0) failed++;
      }
      if (failed) process.exitCode = 2;
    });
}
