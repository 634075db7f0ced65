#!/usr/bin/env node
// Thin launcher: run the TypeScript CLI through tsx so `npx netharness` and a global install work without a build step.
//
// Signals: the CLI runs in its own process group, so a terminal's Ctrl-C (SIGINT to the foreground process
// group) reaches only this launcher, which forwards it exactly once. Without that, one Ctrl-C arrived twice
// (from the terminal and forwarded) and read as "again: force". A SIGINT/SIGTERM/SIGHUP sent to this pid only
// works the same way. The CLI's own children (the embedded cluster, kubectl) are out of the terminal's reach.
//
// Launcher death: the CLI gets the read end of a pipe on fd 3 (NETHARNESS_LAUNCHER_FD); when the launcher dies,
// even by kill -9, the pipe closes and the CLI interrupts itself as on SIGHUP (cleanups run, exit 130).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// A child in a background process group that reads the terminal gets SIGTTIN: the launcher (in the foreground)
// reads a terminal for it and pipes it through. Pipes and files are inherited as they are.
const ttyIn = Boolean(process.stdin.isTTY);
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'harness', 'cli.ts'), ...process.argv.slice(2)], {
  stdio: [ttyIn ? 'pipe' : 'inherit', 'inherit', 'inherit', 'pipe'],
  detached: true,
  env: { ...process.env, NETHARNESS_LAUNCHER_FD: '3' },
});
if (ttyIn && child.stdin) {
  process.stdin.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
}
// the pipe on fd 3 carries nothing: only its end matters (it must not keep the launcher alive)
const life = child.stdio[3];
if (life && 'unref' in life && typeof life.unref === 'function') life.unref();

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
// A child killed by a signal exits like a shell reports it: 128 + the signal's number (kill -9 gives 137),
// never 1, which means "a check failed".
child.on('exit', (code, signal) => {
  if (code !== null) process.exit(code);
  const n = signal ? constants.signals[signal] : undefined;
  process.exit(n ? 128 + n : 1);
});
child.on('error', (err) => {
  process.stderr.write(`netharness: cannot start the CLI: ${err.message}\n`);
  process.exit(2);
});
