/**
 * Run a command in a container through the API's pods/exec (websocket), as `kubectl exec` does,
 * and collect stdout, stderr and the exit code.
 */
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { Cluster } from './connect.ts';
import { InfraError } from '../errors.ts';

export interface ExecTarget {
  namespace: string;
  pod: string;
  container?: string;
}

export interface ExecOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Stop collecting stdout past this many bytes (the command keeps running to completion). */
  maxBytes?: number;
}

class Collector extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.size < this.max) {
      const room = this.max - this.size;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(piece);
      this.size += piece.length;
      if (piece.length < chunk.length) this.truncated = true;
    } else this.truncated = true;
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Exit code from the v4/v5 error-channel Status: Success = 0, else the ExitCode cause. */
export function exitCodeFromStatus(status: k8s.V1Status | undefined): { exitCode: number; message?: string } {
  if (!status) return { exitCode: -1, message: 'no status from the exec stream' };
  if (status.status === 'Success') return { exitCode: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message && /^\d+$/.test(cause.message)) return { exitCode: Number(cause.message), message: status.message };
  return { exitCode: -1, message: status.message ?? 'exec failed' };
}

export async function execIn(cluster: Cluster, target: ExecTarget, command: string[], opts: ExecOptions = {}): Promise<ExecOutput> {
  const max = opts.maxBytes ?? 256 * 1024 * 1024;
  const stdout = new Collector(max);
  const stderr = new Collector(1024 * 1024);
  const exec = new k8s.Exec(cluster.kc);
  let status: k8s.V1Status | undefined;
  const where = `${target.namespace}/${target.pod}${target.container ? `/${target.container}` : ''}`;
  return new Promise<ExecOutput>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      fn();
    };
    exec
      .exec(target.namespace, target.pod, target.container ?? '', command, stdout, stderr, null, false, (s) => {
        status = s;
      })
      .then((ws) => {
        if (opts.timeoutMs) {
          timer = setTimeout(() => {
            ws.close();
            finish(() => reject(new InfraError(`exec in ${where} timed out after ${opts.timeoutMs} ms: ${command.join(' ')}`)));
          }, opts.timeoutMs);
        }
        ws.on('close', () => {
          const { exitCode, message } = exitCodeFromStatus(status);
          if (exitCode === -1) {
            finish(() =>
              reject(new InfraError(`exec in ${where} failed: ${message}`, 'check that the pod and container exist and are running')),
            );
            return;
          }
          finish(() => resolve({ stdout: stdout.text(), stderr: stderr.text(), exitCode }));
        });
        ws.on('error', (err: Error) => finish(() => reject(new InfraError(`exec in ${where} failed: ${err.message}`))));
      })
      .catch((err: unknown) =>
        finish(() =>
          reject(
            new InfraError(
              `exec in ${where} could not start: ${describeApiError(err)}`,
              'check the pod name, container and your RBAC (pods/exec create)',
            ),
          ),
        ),
      );
  });
}

export function describeApiError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { body?: unknown; message?: string; code?: number };
    if (typeof e.body === 'string') {
      try {
        const s = JSON.parse(e.body) as { message?: string; code?: number };
        if (s.message) return `${s.code ?? e.code ?? ''} ${s.message}`.trim();
      } catch {
        /* not JSON */
      }
    }
    if (e.message) return e.message;
  }
  return String(err);
}
