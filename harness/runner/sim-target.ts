/**
 * `--target sim`: start the embedded cluster as a child process through the CLI
 * (`netharness sim --detach --workdir <dir> ...`), read the kubeconfig path it prints, and stop it with
 * `netharness sim stop --workdir <dir>`. Nothing here imports sim/ (one code path to every cluster).
 *
 * Both children run in their own process group (detached): a terminal's Ctrl-C, which goes to the
 * foreground process group, never kills a start or a stop half-way. An abort during the start tells the
 * starter to stop the sim (it waits for it), and `sim stop` then removes whatever is left.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, isAbsolute, resolve } from 'node:path';
import { projectRoot } from '../constants.ts';
import { InfraError, InterruptedError } from '../errors.ts';
import type { SimOptions } from './scenario.ts';

export interface SimHandle {
  workdir: string;
  kubeconfig: string;
  stop(): Promise<void>;
  /** Start `sim stop` in its own process group and do not wait: it outlives this process (an immediate exit). */
  stopInBackground(): void;
}

export interface StartSimOptions extends SimOptions {
  workdir: string;
  port?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** default 300 s: a cold start may install OVN packages */
  timeoutMs?: number;
}

const cliArgs = (): string[] => ['--import', 'tsx', join(projectRoot, 'harness', 'cli.ts')];

/** Find the kubeconfig path in the sim's output: a JSON {kubeconfig}, a `kubeconfig: PATH` / `KUBECONFIG=PATH` line, or any path ending in kubeconfig. */
export function parseKubeconfigPath(output: string, workdir: string): string | undefined {
  const trimmed = output.trim();
  for (const line of trimmed.split('\n').reverse()) {
    const l = line.trim();
    if (l.startsWith('{')) {
      try {
        const j = JSON.parse(l) as { kubeconfig?: unknown };
        if (typeof j.kubeconfig === 'string') return j.kubeconfig;
      } catch {
        /* not JSON */
      }
    }
  }
  try {
    const j = JSON.parse(trimmed) as { kubeconfig?: unknown };
    if (typeof j.kubeconfig === 'string') return j.kubeconfig;
  } catch {
    /* not JSON */
  }
  const m = /(?:KUBECONFIG=|kubeconfig[:=]?\s+)(\S+)/i.exec(trimmed) ?? /(\S*kubeconfig\S*)/i.exec(trimmed);
  if (m && (m[1].includes('/') || existsSync(m[1]))) return m[1].replace(/^['"]|['"]$/g, '');
  const fallback = join(workdir, 'kubeconfig');
  return existsSync(fallback) ? fallback : undefined;
}

export async function startSim(opts: StartSimOptions): Promise<SimHandle> {
  const workdir = isAbsolute(opts.workdir) ? opts.workdir : resolve(opts.workdir);
  const args = [...cliArgs(), 'sim', '--detach', '--workdir', workdir];
  if (opts.nodes) args.push('--nodes', opts.nodes);
  if (opts.ipStack) args.push('--ip-stack', opts.ipStack);
  if (opts.speed) args.push('--speed', String(opts.speed));
  if (opts.port) args.push('--port', String(opts.port));
  opts.log?.(`starting the embedded cluster: netharness ${args.slice(3).join(' ')}`);
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: process.env.CI ?? '1' },
    detached: true,
  });
  let aborted = false;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    const s = d.toString();
    stderr += s;
    for (const line of s.split('\n')) if (line.trim()) opts.log?.(`sim: ${line.trim()}`);
  });
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const code = await new Promise<number | null>((resolveCode, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new InfraError(`the embedded cluster did not start within ${timeoutMs / 1000} s`, `see ${workdir} for logs`));
    }, timeoutMs);
    // the starter stops the sim and waits for it before it exits: the start is never cut half-way
    const onAbort = (): void => {
      aborted = true;
      opts.log?.('interrupted during the start: stopping what has started');
      child.kill('SIGTERM');
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new InfraError(`cannot start the embedded cluster: ${err.message}`));
    });
    child.on('exit', (c) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolveCode(c);
    });
  });
  const handle: SimHandle = {
    workdir,
    kubeconfig: '',
    async stop() {
      await stopSim(workdir, opts.log);
    },
    stopInBackground() {
      stopSimInBackground(workdir);
    },
  };
  if (aborted || opts.signal?.aborted) {
    // whatever the starter managed: stop (and clean) it all before reporting the interrupt
    await stopSim(workdir, opts.log).catch(() => undefined);
    throw new InterruptedError('interrupted while the embedded cluster was starting (stopped it)');
  }
  if (code !== 0) {
    // a half-started cluster may have left processes behind
    await stopSim(workdir).catch(() => undefined);
    // the cause first (the error line, not a stack's last frames), then the tail for context
    const lines = (stderr || stdout).trim().split('\n');
    const cause = lines.find((l) => /\b(error|Error|ERR_)\b/.test(l) && !/^\s+at /.test(l));
    const tail = [...(cause ? [cause.trim()] : []), ...lines.filter((l) => !/^\s+at /.test(l)).slice(-4)].join('\n  ');
    throw new InfraError(`the embedded cluster failed to start (exit ${code}):\n  ${tail}`, `see ${workdir} for logs`);
  }
  const kubeconfig = parseKubeconfigPath(stdout, workdir);
  if (!kubeconfig || !existsSync(kubeconfig)) {
    await stopSim(workdir).catch(() => undefined);
    throw new InfraError(`the embedded cluster started but printed no kubeconfig path (stdout: ${stdout.trim().slice(0, 200)})`);
  }
  handle.kubeconfig = kubeconfig;
  return handle;
}

/** `sim stop` in its own process group: signals to this process's group (a Ctrl-C) do not cut it short. */
export async function stopSim(workdir: string, log?: (line: string) => void): Promise<void> {
  log?.('stopping the embedded cluster');
  const child = spawn(process.execPath, [...cliArgs(), 'sim', 'stop', '--workdir', workdir], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((r) => {
    child.on('exit', r);
    child.on('error', () => r(null));
  });
  if (code !== 0) throw new InfraError(`netharness sim stop --workdir ${workdir} failed (exit ${code}): ${err.trim().slice(-300)}`);
}

export function stopSimInBackground(workdir: string): void {
  const child = spawn(process.execPath, [...cliArgs(), 'sim', 'stop', '--workdir', workdir], {
    cwd: projectRoot,
    stdio: 'ignore',
    detached: true,
  });
  child.on('error', () => undefined);
  child.unref();
}
