/**
 * What an OpenShift cluster has before anyone touches it: namespaces, Node objects with OpenShift
 * labels and node info, the RBAC for the two kubeconfig identities, ClusterVersion "version", and
 * the CRDs under sim/api/crds/. Writes go through the store, so watchers and validation see them.
 */
import type { IpStack, KubeObject, SimNodeSpec } from '../types.ts';
import { nodeAddressing, nodeLabels, stripPrefix } from '../topology.ts';
import type { MemoryStore } from './store.ts';
import { loadCrdManifests } from './crds.ts';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { readonlyRbacObjects } from './rbac.ts';

/** mcp/rbac/readonly-clusterrole.yaml: what `netharness mcp` asks a real cluster to bind (read as a file). */
function readonlyManifest(): KubeObject[] {
  const text = readFileSync(new URL('../../mcp/rbac/readonly-clusterrole.yaml', import.meta.url), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && typeof o === 'object');
}

export const NAMESPACES = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'openshift-ovn-kubernetes',
  'openshift-ptp',
  'openshift-monitoring',
  'openshift-config',
  'netharness',
];
export const OPENSHIFT_VERSION = '4.18.9';
export const ADMIN_USER = 'netharness-admin';
export const READONLY_SA = { namespace: 'netharness', name: 'mcp-readonly' };
export const READONLY_ROLE = 'netharness-readonly';

const gvr = (group: string, version: string, resource: string) => ({ group, version, resource });
const CORE = (r: string) => gvr('', 'v1', r);
const RBAC = (r: string) => gvr('rbac.authorization.k8s.io', 'v1', r);

export function nodeObject(n: SimNodeSpec, stack: IpStack): KubeObject {
  const a = nodeAddressing(n, stack);
  const master = n.role === 'control-plane';
  const labels = nodeLabels(n);
  const addresses = [
    ...(a.nodeIp.v4 ? [{ type: 'InternalIP', address: stripPrefix(a.nodeIp.v4) }] : []),
    ...(a.nodeIp.v6 ? [{ type: 'InternalIP', address: stripPrefix(a.nodeIp.v6) }] : []),
    { type: 'Hostname', address: n.name },
  ];
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  const capacity = master
    ? { cpu: '8', memory: '32827060Ki', pods: '250', 'ephemeral-storage': '125293548Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' }
    : { cpu: '16', memory: '65843576Ki', pods: '250', 'ephemeral-storage': '250587096Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' };
  const allocatable = master
    ? { ...capacity, cpu: '7500m', memory: '31676084Ki', 'ephemeral-storage': '114396791822' }
    : { ...capacity, cpu: '15500m', memory: '64692600Ki', 'ephemeral-storage': '229875863284' };
  const podCidrs = [a.podSubnet.v4, a.podSubnet.v6].filter((x): x is string => !!x);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels,
      annotations: { 'machineconfiguration.openshift.io/state': 'Done', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: podCidrs[0],
      podCIDRs: podCidrs,
      providerID: `baremetalhost:///openshift-machine-api/${n.name}`,
      ...(master ? { taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] } : {}),
    },
    status: {
      addresses,
      capacity,
      allocatable,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: `b00710d0-0000-4000-8000-${String(n.id).padStart(12, '0')}`,
        containerRuntimeVersion: 'cri-o://1.31.6-3.rhaos4.18.gitd0dd6e8.el9',
        kernelVersion: '5.14.0-427.65.1.el9_4.x86_64',
        kubeProxyVersion: 'v1.31.6',
        kubeletVersion: 'v1.31.6',
        machineID: `5c1e${String(n.id).padStart(28, '0')}`,
        operatingSystem: 'linux',
        osImage: 'Red Hat Enterprise Linux CoreOS 418.94.202504080525-0',
        systemUUID: `00000000-0000-4000-8000-${String(n.id).padStart(12, '0')}`,
      },
    },
  };
}

export function clusterVersion(): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const image = 'quay.io/openshift-release-dev/ocp-release@sha256:2a0ab7c4fd1eb4e5a8e1a8c3a0d8ef1cf3a8b0d8b8ac5f0e8b1d1d8e2a4c6f01';
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterVersion',
    metadata: { name: 'version' },
    spec: { channel: 'stable-4.18', clusterID: '6f1c0a52-5a4f-4c3b-9d1e-0e7b2f8a9c11' },
    status: {
      desired: { version: OPENSHIFT_VERSION, image, channels: ['candidate-4.18', 'fast-4.18', 'stable-4.18'] },
      history: [{ state: 'Completed', version: OPENSHIFT_VERSION, image, startedTime: now, completionTime: now, verified: false }],
      observedGeneration: 1,
      versionHash: 'x8ZlqjJk3cE=',
      availableUpdates: null,
      conditions: [
        { type: 'Available', status: 'True', lastTransitionTime: now, message: `Done applying ${OPENSHIFT_VERSION}` },
        { type: 'Failing', status: 'False', lastTransitionTime: now },
        { type: 'Progressing', status: 'False', lastTransitionTime: now, message: `Cluster version is ${OPENSHIFT_VERSION}` },
        { type: 'RetrievedUpdates', status: 'True', lastTransitionTime: now },
      ],
    },
  };
}

export function rbacObjects(): { gvr: ReturnType<typeof RBAC>; obj: KubeObject }[] {
  return [
    {
      gvr: RBAC('clusterroles'),
      obj: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'cluster-admin' },
        rules: [
          { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
          { nonResourceURLs: ['*'], verbs: ['*'] },
        ],
      },
    },
    {
      gvr: RBAC('clusterrolebindings'),
      obj: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'cluster-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
      },
    },
    // Every authenticated user may ask what it may do (kubectl auth can-i), as on a real cluster.
    {
      gvr: RBAC('clusterroles'),
      obj: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'system:basic-user' },
        rules: [
          { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
        ],
      },
    },
    {
      gvr: RBAC('clusterrolebindings'),
      obj: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'system:basic-user' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:basic-user' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
      },
    },
    // the read-only identity: the same roles a real cluster binds for `netharness mcp`
    ...readonlyRbacObjects(READONLY_SA, readonlyManifest()),
  ];
}

export function bootstrap(store: MemoryStore, nodes: SimNodeSpec[], stack: IpStack): void {
  const crdGvr = gvr('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  for (const crd of loadCrdManifests()) store.create(crdGvr, crd);
  for (const ns of NAMESPACES) {
    store.create(CORE('namespaces'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, ...(ns.startsWith('openshift-') ? { annotations: { 'openshift.io/node-selector': '' } } : {}) },
    });
    store.create(CORE('serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
  }
  store.create(CORE('serviceaccounts'), {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: READONLY_SA.name, namespace: READONLY_SA.namespace },
  });
  for (const { gvr: g, obj } of rbacObjects()) store.create(g, obj);
  for (const n of nodes) store.create(CORE('nodes'), nodeObject(n, stack));
  store.create(gvr('config.openshift.io', 'v1', 'clusterversions'), clusterVersion());
  store.create(CORE('services'), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      clusterIP: '172.30.0.1',
      clusterIPs: ['172.30.0.1'],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      type: 'ClusterIP',
    },
  });
}
