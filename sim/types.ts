/**
 * Contracts between the parts of the embedded cluster (sim/). Only sim/ imports this file.
 *
 * - sim/api        serves the Kubernetes API over HTTP from an ObjectStore, and routes
 *                  pods/exec and pods/log to the PodRuntime.
 * - sim/controllers scheduler, ReplicaSet/Deployment/DaemonSet, node lifecycle (in-process, on the store).
 * - sim/kubelet    the PodRuntime: pod phases, container statuses, logs, exec routing, host commands
 *                  (debug pods running `chroot /host systemctl reboot`, ...).
 * - sim/ovn        real OVN/OVS processes per node (netns, ovsdb-server NB/SB, northd, vswitchd, ovn-controller).
 * - sim/ovnkube    emulated ovnkube-controller (per zone) and cluster-manager, fault library, klog lines.
 * - sim/chaos      emulated Chaos Mesh controller.
 * - sim/cluster.ts assembles them: startCluster(opts) -> RunningCluster.
 */
import type { Readable, Writable } from 'node:stream';
import type { ServiceProxyRegistry } from './api/service-proxy.ts';
import type { ContainerHandlers } from './kubelet/handlers.ts';
import type { PtpSim } from './ptp/types.ts';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
}

/** Any API object. Kind-specific shapes are narrowed by the code that owns the kind. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** group '' is core. resource is the lowercase plural ('pods', 'egressips'). */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface ListOptions {
  namespace?: string;
  /** Kubernetes label selector syntax: `app=x,tier in (a,b),!legacy` */
  labelSelector?: string;
  /** Kubernetes field selector syntax: `spec.nodeName=n1,status.phase!=Running` */
  fieldSelector?: string;
}

/**
 * The in-process object store behind the API server. Controllers inside sim/ use it directly
 * (no HTTP); everything they write is seen by watchers exactly as an API client would see it.
 * Errors are thrown as ApiStatusError.
 */
export interface ObjectStore {
  get(gvr: GroupVersionResource, namespace: string | undefined, name: string): KubeObject | undefined;
  list(gvr: GroupVersionResource, opts?: ListOptions): KubeObject[];
  create(gvr: GroupVersionResource, obj: KubeObject): KubeObject;
  /** Optimistic concurrency on metadata.resourceVersion when set. subresource 'status' writes only .status. */
  update(gvr: GroupVersionResource, obj: KubeObject, opts?: { subresource?: 'status' }): KubeObject;
  /** Read-modify-write with conflict retry; returns undefined when the object does not exist. */
  mutate(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    fn: (obj: KubeObject) => void,
    opts?: { subresource?: 'status' },
  ): KubeObject | undefined;
  /** mutate() of the metadata only (labels, annotations): the rest of the object is shared, not copied. */
  mutateMetadata(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    fn: (md: KubeObject['metadata']) => void,
  ): KubeObject | undefined;
  /** Graceful for pods (sets deletionTimestamp; the kubelet finishes it), immediate otherwise unless finalizers. */
  delete(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    opts?: { gracePeriodSeconds?: number; propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' },
  ): KubeObject | undefined;
  /** In-process watch from now on. Returns the unsubscribe function. */
  watch(gvr: GroupVersionResource, handler: (ev: WatchEvent) => void, opts?: ListOptions): () => void;
}

export interface ContainerRef {
  namespace: string;
  pod: string;
  container: string;
}

export interface ExecStreams {
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
}

export interface ExecResult {
  exitCode: number;
  /** For a non-zero exit, kubelet-style reason text (e.g. 'command terminated with non-zero exit code'). */
  message?: string;
}

export interface LogOptions {
  previous?: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  tailLines?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface LogEntry {
  /** RFC3339Nano time the line was written */
  time: string;
  line: string;
}

/**
 * What a kubelet does for the API server: run commands in containers and hand out logs.
 * Implemented by sim/kubelet; the API server only routes to it.
 */
export interface PodRuntime {
  exec(ref: ContainerRef, command: string[], streams: ExecStreams, opts: { tty: boolean }): Promise<ExecResult>;
  /** Throws ApiStatusError 400 when the container does not exist or (previous) has no previous instance. */
  readLogs(ref: ContainerRef, opts: LogOptions): LogEntry[];
  /** Live lines after the ones readLogs returned; returns the unsubscribe function. */
  followLogs(ref: ContainerRef, onEntry: (entry: LogEntry) => void): () => void;
}

/** Something a part of the sim started and must stop (processes, timers, watches). */
export interface Stoppable {
  stop(): Promise<void>;
}

export type NodeRole = 'control-plane' | 'worker';

export interface SimNodeSpec {
  name: string;
  role: NodeRole;
  /** 1-based, as k8s.ovn.org/node-id */
  id: number;
}

export type IpStack = 'ipv4' | 'ipv6' | 'dual';

/** Shared by every part while the cluster runs. */
export interface SimContext {
  store: ObjectStore;
  /** results/sim by default: kubeconfig, state.json, nodes/<name>/ (OVN dbs, sockets, logs) */
  workdir: string;
  nodes: SimNodeSpec[];
  ipStack: IpStack;
  /** Wall-clock waits (reboot time, probe intervals) are divided by this. 1 = realistic. */
  speed: number;
  /** Progress lines for the operator (stderr). */
  log: (line: string) => void;
  /** Parts register their pieces here so others can reach them without importing each other's internals. */
  services: SimServices;
  /** `--ptp` (sim/ptp): the PTP topology the cluster starts with; default oc, none = no PTP. */
  ptpMode?: import('./ptp/types.ts').PtpMode;
}

/** Late-bound registry: each part fills its slot during startCluster. */
export interface SimServices {
  podRuntime?: PodRuntime;
  /** Node-level actions the kubelet performs for host commands and that chaos uses. Filled by sim/controllers. */
  nodeActions?: NodeActions;
  /** Runs a command inside a node's OVN/OVS environment (netns + env). Filled by sim/ovn. */
  ovnExec?: (node: string, argv: string[], streams: ExecStreams) => Promise<ExecResult>;
  /** Appends a line to a container's current log (klog lines of emulated components). Filled by sim/kubelet. */
  appendLog?: (ref: ContainerRef, line: string) => void;
  /**
   * Per-node OVN process lifecycle. Filled by sim/ovn. Pod: NB/SB ovsdb-server, northd, ovn-controller
   * (DB files kept). Host: additionally ovs-vswitchd and the conf.db server (node reboot / power off).
   */
  ovnLifecycle?: OvnLifecycle;
  /**
   * Chaos Mesh container faults, done inside the kubelet so the pod status it posts stays right.
   * Filled by sim/kubelet; used by sim/chaos (which falls back to writing pod status when absent).
   */
  containerChaos?: ContainerChaos;
  /**
   * The API server's service-proxy backends: a part serving HTTP registers (namespace, Service,
   * port name|number) -> URL or handler, reached at /api/v1/namespaces/{ns}/services/{name}:{port}/proxy/.
   * Filled by sim/cluster.ts from the API server.
   */
  serviceProxy?: ServiceProxyRegistry;
  /** Container handlers: an emulated image's process, exec commands, logs and files. Filled by sim/kubelet. */
  containerHandlers?: ContainerHandlers;
  /** The emulated PTP stack's state and fault hooks (sim/ptp/types.ts). Filled by sim/ptp. */
  ptp?: PtpSim;
}

/** What the Chaos Mesh controller asks the kubelet to do to containers. */
export interface ContainerChaos {
  /** container-kill: the container dies now (exit 137, reason Error); restarted per restartPolicy (restartCount + 1). False if no such running container. */
  killContainer(ref: ContainerRef): boolean;
  /**
   * pod-failure: `failed` true swaps every container to the pause image (restarted once, not ready)
   * until called again with false, which restarts them on their own image. False if no such pod.
   */
  setPodFailure(namespace: string, pod: string, failed: boolean): boolean;
}

export interface OvnLifecycle {
  stopOvnPod(node: string): Promise<void>;
  startOvnPod(node: string): Promise<void>;
  stopHost(node: string): Promise<void>;
  startHost(node: string): Promise<void>;
}

export interface NodeActions {
  reboot(node: string): Promise<void>;
  stopKubelet(node: string): Promise<void>;
  startKubelet(node: string): Promise<void>;
  crash(node: string): Promise<void>;
  /** NetworkChaos partition: the node is cut off from the API and the EgressIP reachability probe. */
  setPartitioned(node: string, partitioned: boolean): void;
  isReachable(node: string): boolean;
}
