/**
 * The slices of core/v1 and apps/v1 shapes the controllers and the kubelet read and write.
 * KubeObject keeps spec/status as records; these views narrow them.
 */
import type { KubeObject, ObjectMeta } from '../types.ts';
import type { LabelSelector as Selector, LabelSelectorOperator } from '../../harness/k8s/label-selector.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: '' | 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export type LabelSelector = Selector<LabelSelectorOperator>;

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: unknown[];
  };
  [k: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Probe {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  [k: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  securityContext?: { privileged?: boolean; [k: string]: unknown };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  startupProbe?: Probe;
  ports?: { containerPort: number; name?: string; protocol?: string; hostPort?: number }[];
  resources?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  [k: string]: unknown;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  hostPID?: boolean;
  volumes?: Volume[];
  schedulerName?: string;
  priorityClassName?: string;
  serviceAccountName?: string;
  hostname?: string;
  [k: string]: unknown;
}

export interface PodCondition {
  type: 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready' | 'PodReadyToStartContainers' | string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface ContainerState {
  running?: { startedAt: string };
  waiting?: { reason: string; message?: string };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    containerID?: string;
    signal?: number;
  };
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: PodCondition[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  qosClass?: string;
  reason?: string;
  message?: string;
  [k: string]: unknown;
}

export interface NodeCondition {
  type: 'Ready' | 'MemoryPressure' | 'DiskPressure' | 'PIDPressure' | string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface NodeSpec {
  taints?: Taint[];
  unschedulable?: boolean;
  podCIDR?: string;
  podCIDRs?: string[];
  [k: string]: unknown;
}

export interface NodeStatus {
  conditions?: NodeCondition[];
  addresses?: { type: string; address: string }[];
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  nodeInfo?: Record<string, string>;
  [k: string]: unknown;
}

export interface PodTemplate {
  metadata?: Partial<ObjectMeta>;
  spec: PodSpec;
}

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector: LabelSelector;
  template: PodTemplate;
}

export interface DeploymentSpec extends ReplicaSetSpec {
  strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DaemonSetSpec {
  selector: LabelSelector;
  template: PodTemplate;
  minReadySeconds?: number;
  updateStrategy?: {
    type?: 'RollingUpdate' | 'OnDelete';
    rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
  };
  revisionHistoryLimit?: number;
}

/** Read views: never assign (store objects are frozen). */
export function podSpec(o: KubeObject): PodSpec {
  return (o.spec ?? { containers: [] }) as unknown as PodSpec;
}
export function podStatus(o: KubeObject): PodStatus {
  return (o.status ?? {}) as PodStatus;
}
export function nodeSpec(o: KubeObject): NodeSpec {
  return (o.spec ?? {}) as NodeSpec;
}
export function nodeStatus(o: KubeObject): NodeStatus {
  return (o.status ?? {}) as NodeStatus;
}
/** Write views, for mutate() callbacks on copies: create the section when missing. */
export function podSpecW(o: KubeObject): PodSpec {
  return (o.spec ??= { containers: [] }) as unknown as PodSpec;
}
export function podStatusW(o: KubeObject): PodStatus {
  return (o.status ??= {}) as PodStatus;
}
export function nodeSpecW(o: KubeObject): NodeSpec {
  return (o.spec ??= {}) as NodeSpec;
}
export function nodeStatusW(o: KubeObject): NodeStatus {
  return (o.status ??= {}) as NodeStatus;
}
export function rsSpec(o: KubeObject): ReplicaSetSpec {
  return (o.spec ?? {}) as unknown as ReplicaSetSpec;
}
export function deploySpec(o: KubeObject): DeploymentSpec {
  return (o.spec ?? {}) as unknown as DeploymentSpec;
}
export function dsSpec(o: KubeObject): DaemonSetSpec {
  return (o.spec ?? {}) as unknown as DaemonSetSpec;
}

export function controllerOf(o: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

export function isPodTerminal(p: KubeObject): boolean {
  const ph = podStatus(p).phase;
  return ph === 'Succeeded' || ph === 'Failed';
}

export function isPodActive(p: KubeObject): boolean {
  return !p.metadata.deletionTimestamp && !isPodTerminal(p);
}

export function podCondition(p: KubeObject, type: string): PodCondition | undefined {
  return podStatus(p).conditions?.find((c) => c.type === type);
}

export function isPodReady(p: KubeObject): boolean {
  return podCondition(p, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds (scaled by speed) at `now`. */
export function isPodAvailable(p: KubeObject, minReadySeconds: number, now: number, speed = 1): boolean {
  const c = podCondition(p, 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
  return now - t >= (minReadySeconds * 1000) / speed;
}

export function nodeCondition(n: KubeObject, type: string): NodeCondition | undefined {
  return nodeStatus(n).conditions?.find((c) => c.type === type);
}

/** Sets (or adds) a condition; lastTransitionTime moves only when status changes. Returns true when anything changed. */
export function setCondition<T extends { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>(
  list: T[],
  cond: T,
  now: string,
): boolean {
  const i = list.findIndex((c) => c.type === cond.type);
  if (i < 0) {
    list.push({ ...cond, lastTransitionTime: cond.lastTransitionTime ?? now });
    return true;
  }
  const old = list[i];
  const changed = old.status !== cond.status || old.reason !== cond.reason || old.message !== cond.message;
  list[i] = { ...old, ...cond, lastTransitionTime: old.status !== cond.status ? now : old.lastTransitionTime };
  return changed;
}
