/** Starts a throwaway ovsdb-server on a fresh NB database for client tests. */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempOvsdb {
  dir: string;
  socket: string;
  stop(): Promise<void>;
}

export async function startTempNb(schema = '/usr/share/ovn/ovn-nb.ovsschema'): Promise<TempOvsdb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nh-ovsdb-'));
  const db = path.join(dir, 'nb.db');
  const socket = path.join(dir, 'nb.sock');
  execFileSync('ovsdb-tool', ['create', db, schema]);
  const child = spawn(
    'ovsdb-server',
    [
      `--remote=punix:${socket}`,
      `--pidfile=${path.join(dir, 'nb.pid')}`,
      `--unixctl=${path.join(dir, 'nb.ctl')}`,
      `--log-file=${path.join(dir, 'nb.log')}`,
      db,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 5000;
  while (!fs.existsSync(socket)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ovsdb-server did not start (exit ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    dir,
    socket,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
