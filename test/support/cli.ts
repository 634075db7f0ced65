/**
 * The netharness CLI as a separate process (tests never import sim/): run a command, and start /
 * stop a detached embedded cluster in a work directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './tmp.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
/** node arguments that run the CLI from source */
export const CLI = ['--import', 'tsx', join(ROOT, 'harness', 'cli.ts')];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `netharness <args>` (CI=1: plain progress) with its output collected as it comes. */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** its exit code, or the signal that ended it */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `netharness <args>` as a child process; `input` is written to its stdin. */
export function startCli(args: string[], opts: { input?: string } = {}): CliProcess {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, CI: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  if (opts.input !== undefined) child.stdin.end(opts.input);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs `netharness <args>` (CI=1: plain progress) and collects its output; `input` is written to its stdin. */
export async function runCli(args: string[], opts: { input?: string } = {}): Promise<CliResult> {
  const p = startCli(args, opts);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** `netharness sim --detach` in `workdir`; returns the kubeconfig path it prints (throws if it did not start). */
export function startDetachedSim(workdir: string, opts: { speed: number; nodes: string; timeoutMs?: number; args?: string[] }): string {
  const r = spawnSync(
    process.execPath,
    [...CLI, 'sim', '--detach', '--workdir', workdir, '--speed', String(opts.speed), '--nodes', opts.nodes, ...(opts.args ?? [])],
    { cwd: ROOT, encoding: 'utf8', timeout: opts.timeoutMs ?? 170_000 },
  );
  const m = /KUBECONFIG=(\S+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`sim did not start (exit ${r.status}): ${r.stderr.slice(-800)}`);
  return m[1];
}

/**
 * One detached embedded cluster for the tests of a file or describe block: started before them in a fresh temporary
 * directory (removed with the process's other temporary dirs), stopped after them. `kubeconfig()` is known once
 * it started.
 */
export function detachedSimFor(
  prefix: string,
  opts: { speed: number; nodes: string; args?: string[]; startMs?: number; stopMs?: number },
): { dir: string; workdir: string; kubeconfig: () => string } {
  const dir = tempDir(prefix);
  const workdir = join(dir, 'sim');
  let kubeconfig = '';
  beforeAll(() => {
    kubeconfig = startDetachedSim(workdir, opts);
  }, opts.startMs ?? 180_000);
  afterAll(() => {
    stopSim(workdir);
  }, opts.stopMs ?? 90_000);
  return { dir, workdir, kubeconfig: () => kubeconfig };
}

/** `scenario <name> --quick` against the cluster of `kubeconfig`, recorded into `db`, with one `--param k=v` per entry. */
export function quickScenarioArgs(
  name: string,
  o: { kubeconfig: string; db: string; params?: Record<string, string | number>; json?: boolean },
): string[] {
  return [
    'scenario',
    name,
    '--quick',
    '--kubeconfig',
    o.kubeconfig,
    '--db',
    o.db,
    ...(o.json ? ['--json'] : []),
    ...Object.entries(o.params ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
  ];
}

/** Switches faults of the embedded cluster's fault library (ConfigMap netharness/netharness-faults) with one merge patch. */
export function setFaults(kubeconfig: string, data: Record<string, 'on' | 'off'>): CliResult {
  const r = spawnSync(
    'kubectl',
    [
      '--kubeconfig',
      kubeconfig,
      '-n',
      'netharness',
      'patch',
      'configmap',
      'netharness-faults',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ data }),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `netharness sim stop` for `workdir`. */
export function stopSim(workdir: string, timeoutMs = 60_000): void {
  spawnSync(process.execPath, [...CLI, 'sim', 'stop', '--workdir', workdir], { cwd: ROOT, timeout: timeoutMs });
}

/** Real kubectl against the kubeconfig `kubeconfig()` returns when called (it is known after the sim started). */
export function kubectlFor(kubeconfig: () => string, timeoutMs = 60_000): (...args: string[]) => CliResult {
  return (...args) => {
    const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig(), ...args], { encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

/** Poll `fn` every 500 ms until it holds; throws naming `what` after `ms`. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}
