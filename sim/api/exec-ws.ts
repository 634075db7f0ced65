/**
 * pods/exec over WebSocket, the Kubernetes channel protocols:
 *   frame = [channel byte][payload]; 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize, 255 close (v5).
 * v4/v5 send a metav1.Status on the error channel (Success, or Failure with an ExitCode cause that
 * kubectl turns into its exit code); v1-v3 send only a failure message. The command runs on the
 * PodRuntime (the kubelet part) and the socket closes when it ends.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContainerRef, ExecResult, PodRuntime } from '../types.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export function chooseProtocol(offered: Iterable<string>): string | false {
  const set = new Set([...offered].map((p) => p.trim()));
  for (const p of EXEC_PROTOCOLS) if (set.has(p)) return p;
  return false;
}

export function exitStatus(result: ExecResult, command: string[]): Record<string, unknown> {
  if (result.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message:
      result.message ??
      `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${result.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

function channelWriter(ws: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (ws.readyState !== ws.OPEN) return cb();
      ws.send(Buffer.concat([Buffer.from([channel]), data]), (err) => cb(err ?? null));
    },
  });
}

export class ExecServer {
  private wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => chooseProtocol(protocols),
    maxPayload: 16 * 1024 * 1024,
  });

  upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    runtime: PodRuntime | undefined,
    ref: ContainerRef,
    command: string[],
    opts: { stdin: boolean; tty: boolean },
  ): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.run(ws, runtime, ref, command, opts));
  }

  private run(
    ws: WebSocket,
    runtime: PodRuntime | undefined,
    ref: ContainerRef,
    command: string[],
    opts: { stdin: boolean; tty: boolean },
  ): void {
    const proto = ws.protocol;
    const v4plus = proto === 'v4.channel.k8s.io' || proto === 'v5.channel.k8s.io';
    const stdin = opts.stdin ? new PassThrough() : undefined;
    const stdout = channelWriter(ws, 1);
    const stderr = channelWriter(ws, 2);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      let buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (!isBinary && proto.startsWith('base64')) buf = Buffer.from(buf.toString(), 'base64');
      if (buf.length === 0) return;
      const ch = buf[0];
      if (ch === 0) stdin?.write(buf.subarray(1));
      else if (ch === 255 && buf[1] === 0) stdin?.end();
    });
    ws.on('close', () => stdin?.end());
    const finish = (status: Record<string, unknown>, failureText?: string) => {
      if (ws.readyState !== ws.OPEN) return;
      const payload = v4plus ? JSON.stringify(status) : failureText;
      const close = () => ws.close(1000);
      if (payload) ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(payload)]), close);
      else close();
    };
    if (!runtime) {
      finish(
        { metadata: {}, status: 'Failure', message: 'no kubelet is running in this sim', reason: 'InternalError' },
        'no kubelet is running in this sim',
      );
      return;
    }
    runtime
      .exec(ref, command, { stdin, stdout, stderr }, { tty: opts.tty })
      .then(async (result) => {
        const st = exitStatus(result, command);
        // Writes still queued in the Writables (each waits for the previous frame's send callback) go first:
        // end() calls back once they are all sent; then the status frame is queued last.
        await Promise.all([stdout, stderr].map((w) => new Promise<void>((r) => w.end(() => r()))));
        finish(st, result.exitCode === 0 ? undefined : String(st.message));
      })
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        finish({ metadata: {}, status: 'Failure', message, reason: 'InternalError' }, message);
      });
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}
