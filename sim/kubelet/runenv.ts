/**
 * The environment a command runs in inside an emulated container (sim/kubelet/exec.ts RunEnv): which image
 * it is, env vars (with fieldRef values), the host mount, the container's files, the handler's commands,
 * and a sleep that the container's stop cancels.
 */
import type { Writable } from 'node:stream';
import type { Timers } from '../controllers/common.ts';
import { podSpec, type Container } from '../controllers/kinds.ts';
import { hasV4 } from '../topology.ts';
import type { KubeObject, SimContext } from '../types.ts';
import { OVN_IMAGE_CONTAINERS, OVN_NAMESPACE, type ImageCommands, type ImageKind, type Out, type RunEnv } from './exec.ts';
import { Cancelled, type CInst, type NodeStateView, type PodRec } from './records.ts';

export function imageKind(pod: KubeObject, container: string): ImageKind {
  const spec = podSpec(pod);
  const c = [...spec.containers, ...(spec.initContainers ?? [])].find((x) => x.name === container);
  if (container.startsWith('kube-rbac-proxy') || c?.image?.includes('kube-rbac-proxy')) return 'rbac';
  if (pod.metadata.namespace === OVN_NAMESPACE && OVN_IMAGE_CONTAINERS.has(container)) return 'ovn';
  return 'generic';
}

/** The mount path of a hostPath "/" volume when the pod may use it to reach the host (privileged or hostPID). */
export function hostRootMount(pod: KubeObject, c: Container): string | undefined {
  const spec = podSpec(pod);
  const vol = (spec.volumes ?? []).find((v) => v.hostPath?.path === '/');
  if (!vol) return undefined;
  if (!spec.hostPID && !c.securityContext?.privileged) return undefined;
  return c.volumeMounts?.find((m) => m.name === vol.name)?.mountPath?.replace(/\/$/, '');
}

/** Splits written text into lines (a container's stdout into log lines). */
export class LineOut implements Out {
  private buf = '';
  constructor(private readonly emit: (line: string) => void) {}
  write(s: string): void {
    this.buf += s;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      this.emit(this.buf.slice(0, i));
      this.buf = this.buf.slice(i + 1);
    }
  }
  flush(): void {
    if (this.buf) this.emit(this.buf);
    this.buf = '';
  }
}

export function streamOut(w: Writable): Out {
  return { write: (s) => void w.write(s), stream: w };
}

/** The commands a container's handler adds to its image. */
function handlerCommands(c: CInst): ImageCommands | undefined {
  const cmds = c.handler?.commands;
  const hctx = c.handlerCtx;
  if (!cmds || !hctx) return undefined;
  const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  return {
    has: (name) => Object.hasOwn(cmds, base(name)),
    run: async (argv, io) => await cmds[base(argv[0])](hctx, argv, io),
  };
}

export interface RunEnvDeps {
  ctx: SimContext;
  view: NodeStateView;
  timers: Timers;
  nodeIps: ReadonlyMap<string, string[]>;
}

export function runEnvOf(deps: RunEnvDeps, rec: PodRec, c: CInst, tty = false): RunEnv {
  const { ctx, view, timers } = deps;
  const spec = podSpec(rec.pod);
  const hostname = spec.hostNetwork ? rec.node : (spec.hostname ?? rec.name);
  const vars: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOSTNAME: hostname,
    KUBERNETES_SERVICE_HOST: hasV4(ctx.ipStack) ? '172.30.0.1' : 'fd02::1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: hasV4(ctx.ipStack) ? 'tcp://172.30.0.1:443' : 'tcp://[fd02::1]:443',
    HOME: '/root',
  };
  if (tty) vars.TERM = 'xterm';
  const fields: Record<string, string | undefined> = {
    'spec.nodeName': rec.node,
    'metadata.name': rec.name,
    'metadata.namespace': rec.ns,
    'status.podIP': rec.ips[0],
    'status.hostIP': deps.nodeIps.get(rec.node)?.[0],
    'spec.serviceAccountName': spec.serviceAccountName,
  };
  for (const e of c.spec.env ?? []) {
    if (e.value !== undefined) vars[e.name] = e.value;
    else {
      const fp = (e.valueFrom as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath;
      const v = fp ? fields[fp] : undefined;
      if (v !== undefined) vars[e.name] = v;
    }
  }
  const abort = c.abort;
  return {
    kind: imageKind(rec.pod, c.name),
    node: rec.node,
    namespace: rec.ns,
    hostname,
    podIp: rec.ips[0],
    vars,
    hostMount: hostRootMount(rec.pod, c.spec),
    services: ctx.services,
    nodeActions: ctx.services.nodeActions,
    host: { bootId: (n) => view.bootId(n) },
    speed: ctx.speed,
    files: c.files,
    image: handlerCommands(c),
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (abort?.aborted) return reject(new Cancelled());
        let off: () => void = () => undefined;
        let t: NodeJS.Timeout | undefined;
        if (ms !== Infinity)
          t = timers.after(ms, () => {
            off();
            resolve();
          });
        if (abort)
          off = abort.on(() => {
            timers.cancel(t);
            reject(new Cancelled());
          });
      }),
  };
}
