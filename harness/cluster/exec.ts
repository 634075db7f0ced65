/**
 * Run a command in a container through the API's pods/exec (websocket), as `kubectl exec` does,
 * and collect stdout, stderr and the exit code.
 */
import { Agent } from 'node:https';
import { Writable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import * as k8s from '@kubernetes/client-node';
// not re-exported by the package index; the class Exec builds by default, here given a socket factory
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import WebSocket from 'ws';
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
  /**
   * Hand stdout over chunk by chunk as the stream delivers it (the Buffers of the websocket frames), instead of
   * collecting it: the result's stdout is then ''. For a caller that parses while the command still runs.
   */
  onStdout?: (chunk: Buffer) => void;
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

/**
 * stdout passed through to a callback as it arrives. A callback that throws stops the forwarding and fails the
 * exec when it ends (an 'error' on this stream would have no listener: client-node only writes to it).
 */
class PassThroughSink extends Writable {
  error?: Error;
  constructor(private readonly onChunk: (chunk: Buffer) => void) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (!this.error)
      try {
        this.onChunk(chunk);
      } catch (err) {
        this.error = err as Error;
      }
    cb();
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

/** the TLS material client-node puts into the websocket's options (KubeConfig.applyToHTTPSOptions) */
type TlsFiles = { ca?: Buffer; cert?: Buffer; key?: Buffer };
const sameTls = (a: TlsFiles, b: TlsFiles) =>
  (['ca', 'cert', 'key'] as const).every((k) => a[k] === b[k] || (a[k] !== undefined && b[k] !== undefined && a[k].equals(b[k])));

/**
 * One Exec per kubeconfig. Its websockets share a TLS context and an agent's session cache, where client-node's
 * default built a context (~0.5 ms) and made a full handshake per exec. The options still come from the kubeconfig
 * on every connect (tokens refresh), the context is rebuilt when its CA or client certificate changes.
 */
const execs = new WeakMap<k8s.KubeConfig, k8s.Exec>();

function execFor(kc: k8s.KubeConfig): k8s.Exec {
  let e = execs.get(kc);
  if (e) return e;
  const agent = new Agent({ keepAlive: false, maxCachedSessions: 64 });
  let ctx: { files: TlsFiles; context: SecureContext } | undefined;
  const factory = (uri: string, protocols: string[], opts: WebSocket.ClientOptions): WebSocket => {
    if (!uri.startsWith('wss:')) return new WebSocket(uri, protocols, opts);
    const files = opts as TlsFiles;
    if (!ctx || !sameTls(ctx.files, files))
      ctx = {
        files: { ca: files.ca, cert: files.cert, key: files.key },
        context: createSecureContext({ ca: files.ca, cert: files.cert, key: files.key }),
      };
    return new WebSocket(uri, protocols, { ...opts, agent, secureContext: ctx.context } as WebSocket.ClientOptions);
  };
  e = new k8s.Exec(kc, new WebSocketHandler(kc, factory));
  execs.set(kc, e);
  return e;
}

export async function execIn(cluster: Cluster, target: ExecTarget, command: string[], opts: ExecOptions = {}): Promise<ExecOutput> {
  const max = opts.maxBytes ?? 256 * 1024 * 1024;
  const collector = opts.onStdout ? undefined : new Collector(max);
  const sink = opts.onStdout ? new PassThroughSink(opts.onStdout) : undefined;
  const stdout = collector ?? (sink as PassThroughSink);
  const stderr = new Collector(1024 * 1024);
  const exec = execFor(cluster.kc);
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
          if (sink?.error) {
            const e = sink.error;
            finish(() => reject(new InfraError(`exec in ${where}: reading its output failed: ${e.message}`)));
            return;
          }
          finish(() => resolve({ stdout: collector ? collector.text() : '', stderr: stderr.text(), exitCode }));
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

/** The `message` of a Status body (JSON, or a JSON fragment in a longer text). */
function statusMessage(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (typeof j.message === 'string') return j.message;
  } catch {
    /* not only JSON */
  }
  const m = /"message":"((?:[^"\\]|\\.)*)"/.exec(text);
  if (!m) return undefined;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return m[1];
  }
}

/** What a 401 means to the user. */
export const UNAUTHORIZED = "unauthorized: the kubeconfig's credentials were refused";

/**
 * One line from a client-node error: the API's Status message with its code, the cause of 401/403 in words,
 * never the client's raw dump ("HTTP-Code: 401 Message: ... Body: ... Headers: {...}").
 */
export function describeApiError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { body?: unknown; message?: string; code?: number };
    const code = typeof e.code === 'number' ? e.code : Number(/HTTP-Code: (\d{3})/.exec(e.message ?? '')?.[1] ?? NaN);
    if (code === 401) return `${UNAUTHORIZED} (HTTP 401): the token or certificate is wrong, expired or for another cluster`;
    if (code === 403) {
      const msg = statusMessage(typeof e.body === 'string' ? e.body : /Body: ([\s\S]*?)(?:\s+Headers: |$)/.exec(e.message ?? '')?.[1]);
      return `forbidden (HTTP 403): ${msg ?? "the kubeconfig's identity may not do this"}`;
    }
    if (typeof e.body === 'string') {
      try {
        const s = JSON.parse(e.body) as { message?: string; code?: number };
        if (s.message) return `${s.code ?? e.code ?? ''} ${s.message}`.trim();
      } catch {
        /* not JSON */
      }
    }
    if (e.message) {
      // client-node's ApiException text: keep the code and the Status message, drop body and headers
      const m = /^HTTP-Code: (\d+)\s+Message: ([^\n]*?)(?:\s+Body: ([\s\S]*?))?(?:\s+Headers: [\s\S]*)?$/.exec(e.message);
      if (m) {
        const status = statusMessage(m[3]);
        return `${m[1]} ${status ?? m[2]}`.trim();
      }
      return e.message.split('\n')[0];
    }
  }
  return String(err);
}
