/**
 * What the API server reaches in a kubelet (pods/exec, pods/log): the container lookup with kube-apiserver's
 * errors (404 pod, 400 container, "error dialing backend" when the node's kubelet is down or cut off),
 * exec through the built-in shell or the container handler's commands, and the log store.
 */
import { ApiStatusError } from '../api/errors.ts';
import { GVR } from '../controllers/common.ts';
import type { Informer } from '../controllers/informer.ts';
import { podSpec, podStatus } from '../controllers/kinds.ts';
import type { ContainerRef, ExecResult, ExecStreams, KubeObject, LogEntry, LogOptions } from '../types.ts';
import { execFailureMessage, runDirect } from './exec.ts';
import type { LogStore } from './logs.ts';
import { Cancelled, KUBELET_PORT, type CInst, type NodeStateView, type PodRec } from './records.ts';
import { runEnvOf, streamOut, type RunEnvDeps } from './runenv.ts';

export interface AccessDeps extends RunEnvDeps {
  pods: Informer;
  logs: LogStore;
  recs: ReadonlyMap<string, PodRec>;
}

export class ContainerAccess {
  constructor(private readonly d: AccessDeps) {}

  private get view(): NodeStateView {
    return this.d.view;
  }
  private get logs(): LogStore {
    return this.d.logs;
  }

  private backendError(node: string): ApiStatusError | undefined {
    const ip = this.d.nodeIps.get(node)?.[0] ?? node;
    const addr = ip.includes(':') ? `[${ip}]:${KUBELET_PORT}` : `${ip}:${KUBELET_PORT}`;
    if (!this.view.apiReachable(node))
      return new ApiStatusError(500, 'InternalError', `error dialing backend: dial tcp ${addr}: i/o timeout`);
    if (!this.view.kubeletActive(node))
      return new ApiStatusError(500, 'InternalError', `error dialing backend: dial tcp ${addr}: connect: connection refused`);
    return undefined;
  }

  private lookup(ref: ContainerRef): { pod: KubeObject; rec?: PodRec; c?: CInst } {
    const key = `${ref.namespace}/${ref.pod}`;
    const pod = this.d.pods.get(key) ?? this.d.ctx.store.get(GVR.pods, ref.namespace, ref.pod);
    if (!pod) throw new ApiStatusError(404, 'NotFound', `pods "${ref.pod}" not found`, { name: ref.pod, kind: 'pods' });
    const spec = podSpec(pod);
    const all = [...spec.containers, ...(spec.initContainers ?? [])];
    if (!all.some((c) => c.name === ref.container)) {
      throw new ApiStatusError(400, 'BadRequest', `container ${ref.container} is not valid for pod ${ref.pod}`);
    }
    const found = this.d.recs.get(key);
    const rec = found && found.uid === pod.metadata.uid ? found : undefined;
    const c = rec ? [...rec.containers, ...rec.inits].find((x) => x.name === ref.container) : undefined;
    return { pod, rec, c };
  }

  async exec(ref: ContainerRef, command: string[], streams: ExecStreams, opts: { tty: boolean }): Promise<ExecResult> {
    const { pod, rec, c } = this.lookup(ref);
    const node = podSpec(pod).nodeName;
    if (!node) throw new ApiStatusError(400, 'BadRequest', `pod ${ref.pod} does not have a host assigned`);
    const be = this.backendError(node);
    if (be) throw be;
    if (!rec || !c || c.state !== 'running') {
      if (podStatus(pod).phase === 'Succeeded' || podStatus(pod).phase === 'Failed') {
        throw new ApiStatusError(
          400,
          'BadRequest',
          `cannot exec into a container in a completed pod; current phase is ${podStatus(pod).phase}`,
        );
      }
      throw new ApiStatusError(400, 'BadRequest', `unable to upgrade connection: container not found ("${ref.container}")`);
    }
    const env = runEnvOf(this.d, rec, c, opts.tty);
    let code: number;
    try {
      code = await runDirect(env, command, {
        stdin: streams.stdin,
        out: streamOut(streams.stdout),
        err: streamOut(streams.stderr),
        tty: opts.tty,
      });
    } catch (e) {
      if (e instanceof Cancelled) code = 137;
      else throw e;
    }
    return code === 0 ? { exitCode: 0 } : { exitCode: code, message: execFailureMessage(command, code) };
  }

  readLogs(ref: ContainerRef, opts: LogOptions): LogEntry[] {
    const { pod, c } = this.lookup(ref);
    const node = podSpec(pod).nodeName;
    if (!node)
      throw new ApiStatusError(
        400,
        'BadRequest',
        `container "${ref.container}" in pod "${ref.pod}" is waiting to start: ContainerCreating`,
      );
    const be = this.backendError(node);
    if (be) throw be;
    if (!opts.previous && (!c || (c.state === 'waiting' && c.restartCount === 0 && !this.logs.has(ref)))) {
      throw new ApiStatusError(
        400,
        'BadRequest',
        `container "${ref.container}" in pod "${ref.pod}" is waiting to start: ${c?.waitingReason ?? 'ContainerCreating'}`,
      );
    }
    return this.logs.read(ref, opts);
  }

  followLogs(ref: ContainerRef, onEntry: (entry: LogEntry) => void): () => void {
    return this.logs.follow(ref, onEntry);
  }

  /** For emulated components: append to a container's current log (dropped when the pod does not exist). */
  appendLog(ref: ContainerRef, line: string): void {
    const key = `${ref.namespace}/${ref.pod}`;
    if (!this.d.pods.get(key) && !this.d.recs.has(key)) return;
    this.logs.append(ref, line);
  }
}
