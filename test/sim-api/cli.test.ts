/**
 * `netharness sim` as users run it: bad flags exit 2 naming the flag; --detach returns when ready
 * and prints export KUBECONFIG=...; status --json; stop; SIGINT in the foreground exits 130 and
 * leaves nothing behind; stale state from a killed process is cleaned. (--api-only keeps it fast.)
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../harness/cli.ts';
import { tempDir } from '../support/tmp.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'harness', 'cli.ts');

function run(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** the state letter of a pid (R, S, Z, ...), undefined when there is no such process */
function processState(pid: number): string | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

describe('netharness sim CLI', () => {
  it('bad flag values exit 2 and name the flag (in-process main)', async () => {
    let err = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    try {
      for (const [flag, value] of [
        ['--nodes', 'lots'],
        ['--port', '99999'],
        ['--ip-stack', 'ipv5'],
        ['--speed', '-1'],
      ]) {
        err = '';
        const code = await main(['sim', flag, value, '--workdir', tempDir('nh-cli-')]);
        expect(code, `${flag} ${value}`).toBe(2);
        expect(err).toContain(flag);
      }
    } finally {
      spy.mockRestore();
      process.exitCode = undefined;
    }
  });

  it('--detach, status --json, stop; stale state is cleaned', { timeout: 180_000 }, async () => {
    const wd = tempDir('nh-cli-');
    const up = await run(['sim', '--detach', '--api-only', '--workdir', wd]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.trim()).toBe(`export KUBECONFIG=${join(wd, 'kubeconfig')}`);
    expect(statSync(join(wd, 'kubeconfig')).mode & 0o777).toBe(0o600);
    // tokens are never logged
    const kc = readFileSync(join(wd, 'kubeconfig'), 'utf8');
    const token = /token: (\S+)/.exec(kc)?.[1] ?? 'missing';
    expect(readFileSync(join(wd, 'sim.log'), 'utf8')).not.toContain(token);
    expect(up.stdout + up.stderr).not.toContain(token);
    const st = await run(['sim', 'status', '--json', '--workdir', wd]);
    expect(st.code).toBe(0);
    const s = JSON.parse(st.stdout) as { running: boolean; ready: boolean; pid: number; kubeconfig: string };
    expect(s).toMatchObject({ running: true, ready: true, kubeconfig: join(wd, 'kubeconfig') });
    const again = await run(['sim', '--detach', '--api-only', '--workdir', wd]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already running');
    const down = await run(['sim', 'stop', '--workdir', wd]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('stopped');
    // the sim no longer runs: gone, or a zombie its new parent (init) has not reaped yet
    expect(processState(s.pid) ?? 'gone').toMatch(/^(gone|Z)$/);
    const after = await run(['sim', 'status', '--workdir', wd]);
    expect(after.code).toBe(1);
    // a state file left by a killed process is detected and removed
    writeFileSync(join(wd, 'state.json'), JSON.stringify({ pid: 999999, port: 1, server: 'https://127.0.0.1:1', kubeconfig: 'x' }));
    const stale = await run(['sim', 'status', '--json', '--workdir', wd]);
    expect(JSON.parse(stale.stdout)).toMatchObject({ running: false });
    expect(existsSync(join(wd, 'state.json'))).toBe(false);
  });

  it('foreground: SIGINT stops everything and exits 130', { timeout: 120_000 }, async () => {
    const wd = tempDir('nh-cli-');
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'sim', '--api-only', '--workdir', wd], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const end = Date.now() + 30_000;
    while (!out.includes('export KUBECONFIG=') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain(`export KUBECONFIG=${join(wd, 'kubeconfig')}`);
    expect(existsSync(join(wd, 'state.json'))).toBe(true);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(130);
    expect(existsSync(join(wd, 'state.json'))).toBe(false);
  });
});
