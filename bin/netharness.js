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
//
// Suspend: Ctrl-Z (SIGTSTP to the foreground process group) also reaches only this launcher. It stops the CLI's
// process group (SIGSTOP: a job-control SIGTSTP to a group outside the terminal's session is discarded), then
// stops itself the usual way, so the shell sees the job stopped; SIGCONT (`fg`, `bg`) resumes the CLI's group.
// The embedded cluster, in its own process group like a server, keeps running meanwhile.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// A child in a background process group that reads the terminal gets SIGTTIN: the launcher (in the foreground)
// reads a terminal for it and pipes it through. Pipes and files are inherited as they are.
const ttyIn = Boolean(process.stdin.isTTY);
// tsx by its resolved URL: a bare `--import tsx` resolves from the cwd, which fails outside the project
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--import', tsx, join(root, 'harness', 'cli.ts'), ...process.argv.slice(2)], {
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
const signalGroup = (sig) => {
  try {
    if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, sig);
  } catch {
    // the CLI's group is gone: nothing to suspend or resume
  }
};
/** [ppid, pgrp, session] of a process, from /proc (Linux); undefined elsewhere */
const procIds = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(f[1]), Number(f[2]), Number(f[3])];
  } catch {
    return undefined;
  }
};
/** A shell with job control is our parent, in our session and another group: then our group is not orphaned
 * and a re-raised SIGTSTP stops us (the kernel discards it for an orphaned group, so SIGSTOP it is there). */
const shellParent = () => {
  const me = procIds(process.pid);
  const parent = me && procIds(me[0]);
  return Boolean(me && parent && parent[2] === me[2] && parent[1] !== me[1]);
};
const onStop = () => {
  signalGroup('SIGSTOP');
  if (!shellParent()) {
    process.kill(process.pid, 'SIGSTOP');
    return;
  }
  // stop as SIGTSTP's default does: without a handler for the moment of the re-raise (the process stops in
  // kill(); it goes on here once continued)
  process.off('SIGTSTP', onStop);
  process.kill(process.pid, 'SIGTSTP');
  process.on('SIGTSTP', onStop);
};
process.on('SIGTSTP', onStop);
process.on('SIGCONT', () => signalGroup('SIGCONT'));

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
