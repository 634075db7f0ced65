/**
 * The child side of sim/ovn/spawner.ts: a small long-lived process that starts the commands the sim's execs run
 * and relays their output over the IPC channel. It exists because fork() from the sim's large process blocks its
 * one thread for milliseconds per exec (page tables and fds copied, then libuv waits for the child's exec), while
 * this process is small and forks on the other core. It exits when the sim does (the channel disconnects).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { HelperReply, HelperRequest } from './spawner.ts';

const running = new Map<number, ChildProcess>();

const reply = (m: HelperReply): void => {
  process.send?.(m);
};

process.on('message', (m: HelperRequest) => {
  if (m.t !== 'run') {
    const c = running.get(m.id);
    if (m.t === 'pause') c?.stdout?.pause();
    else c?.stdout?.resume();
    return;
  }
  let child: ChildProcess;
  try {
    child = spawn(m.file, m.args, { env: m.env, cwd: m.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    reply({ t: 'error', id: m.id, message: (err as Error).message });
    return;
  }
  running.set(m.id, child);
  child.stdout?.on('data', (d: Buffer) => reply({ t: 'data', id: m.id, fd: 1, data: d }));
  child.stderr?.on('data', (d: Buffer) => reply({ t: 'data', id: m.id, fd: 2, data: d }));
  child.on('error', (err) => {
    running.delete(m.id);
    reply({ t: 'error', id: m.id, message: err.message });
  });
  // 'close' comes after both pipes ended, so every data message is already queued before it
  child.on('close', (code, signal) => {
    running.delete(m.id);
    reply({ t: 'exit', id: m.id, code, signal });
  });
});

process.on('disconnect', () => process.exit(0));
