/**
 * Container handlers: how an emulated image behaves beyond the generic built-in shell. A part of the sim
 * that emulates a component running in a container (the PTP daemon's ptp4l/phc2sys/ts2phc, its metrics
 * endpoint, pmc) registers ONE handler here; the kubelet then, for every matching container instance,
 * - starts the handler's main process instead of writing the generic startup lines,
 * - adds the handler's commands to the image for `kubectl exec` (directly or inside `sh -c`, pipes work),
 * - lets the handler write the container's log and files (`cat /var/run/...`),
 * - stops the process when the container instance stops (kill, restart, pod deletion, node down).
 * First registered match wins. Reached through ctx.services.containerHandlers.
 */
import type { Readable } from 'node:stream';
import type { Container } from '../controllers/kinds.ts';
import type { KubeObject } from '../types.ts';
import type { Out } from './exec.ts';

/** What a handler sees of one container instance. */
export interface ContainerHandlerContext {
  readonly node: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly podObject: KubeObject;
  readonly spec: Container;
  /** restartCount of this instance (0 for the first) */
  readonly restartCount: number;
  /** files of the container's filesystem that `cat`, `ls` and redirects see */
  readonly files: Map<string, string>;
  /** appends a line to this container instance's log (kubectl logs) */
  log(line: string): void;
  /** the container's main process exits with this code (restarted per restartPolicy) */
  exit(code: number): void;
}

export interface HandlerIo {
  stdin?: string | Readable;
  out: Out;
  err: Out;
}

export type HandlerCommand = (c: ContainerHandlerContext, argv: string[], io: HandlerIo) => Promise<number> | number;

/** The running main process of a handled container instance. */
export interface ContainerProcess {
  stop(): void;
}

export interface ContainerHandler {
  readonly name: string;
  matches(pod: KubeObject, container: Container): boolean;
  /** The container's main process starts (after the Started event). */
  start?(c: ContainerHandlerContext): ContainerProcess | void;
  /** Binaries the image has (basename -> implementation): `curl`, `pmc`, ... */
  commands?: Readonly<Record<string, HandlerCommand>>;
}

export class ContainerHandlers {
  private readonly list: ContainerHandler[] = [];

  /** Returns the unregister function. */
  register(h: ContainerHandler): () => void {
    this.list.push(h);
    return () => {
      const i = this.list.indexOf(h);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  find(pod: KubeObject, container: Container): ContainerHandler | undefined {
    return this.list.find((h) => h.matches(pod, container));
  }
}
