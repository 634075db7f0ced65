/**
 * The kubelet's in-memory records of the pods it runs (one PodRec per pod, one CInst per container
 * instance), the timings it waits, and the view of the node it runs on. Shared by the kubelet's modules
 * (lifecycle, status, access, chaos); nothing outside sim/kubelet reads them.
 */
import type { Container, ContainerState, PodStatus } from '../controllers/kinds.ts';
import type { ContainerRef, KubeObject } from '../types.ts';
import type { ContainerHandler, ContainerHandlerContext, ContainerProcess } from './handlers.ts';

export interface NodeStateView {
  /** The node is powered and its kubelet process runs. */
  kubeletActive(node: string): boolean;
  /** The kubelet's status updates reach the API server (not partitioned). */
  apiReachable(node: string): boolean;
  bootId(node: string): string;
}

/** Realistic defaults (ms at speed 1). */
export interface KubeletTimings {
  /** sandbox + CNI ADD + image already present: ContainerCreating -> Running */
  containerCreatingMs: number;
  /** upper bound of a graceful stop (min with the grace period) */
  killMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_KUBELET_TIMINGS: KubeletTimings = {
  containerCreatingMs: 1500,
  killMs: 1000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
};

export const KUBELET_PORT = 10250;

/** Chaos Mesh pod-failure swaps containers to this image. */
export const CHAOS_PAUSE_IMAGE = 'gcr.io/google-containers/pause:latest';

/** A light AbortController (no DOMException per abort; one per container instance). */
export class Cancel {
  aborted = false;
  private readonly fns = new Set<() => void>();
  on(fn: () => void): () => void {
    if (this.aborted) {
      fn();
      return () => undefined;
    }
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const f of this.fns) f();
    this.fns.clear();
  }
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export interface CInst {
  name: string;
  init: boolean;
  spec: Container;
  id?: string;
  restartCount: number;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  waitingMessage?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  termReason?: string;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  abort?: Cancel;
  files: Map<string, string>;
  /** Chaos Mesh pod-failure: runs this image (pause) instead, never ready */
  imageOverride?: string;
  /** the registered handler that emulates this container's image, if any */
  handler?: ContainerHandler;
  /** the handler's view of the current instance (exec and the main process share it) */
  handlerCtx?: ContainerHandlerContext;
  process?: ContainerProcess;
}

export interface PodRec {
  key: string;
  ns: string;
  name: string;
  uid: string;
  node: string;
  pod: KubeObject;
  containers: CInst[];
  inits: CInst[];
  ipOffset?: number;
  ips: string[];
  phase: PodStatus['phase'];
  startTime?: string;
  stage: 'creating' | 'running' | 'terminating' | 'frozen' | 'done';
  timers: Set<NodeJS.Timeout>;
  /** initialized, sandbox ready */
  initialized: boolean;
  sandboxReady: boolean;
}

export function refOf(rec: PodRec, c: CInst): ContainerRef {
  return { namespace: rec.ns, pod: rec.name, container: c.name };
}
