/**
 * The OVN-Kubernetes workloads of an OpenShift cluster, so that real-looking pods exist:
 * DaemonSet ovnkube-node and Deployment ovnkube-control-plane in openshift-ovn-kubernetes,
 * shaped like the cluster-network-operator renders them (4.14+ interconnect layout).
 */
import { createHash } from 'node:crypto';
import type { KubeObject, SimContext } from '../types.ts';
import { GVR, isAlreadyExists } from './common.ts';
import type { Container } from './kinds.ts';
import { OVN_NAMESPACE } from '../constants.ts';

export { OVN_NAMESPACE };

function digest(name: string): string {
  return createHash('sha256').update(`netharness-sim:${name}`).digest('hex');
}

export const OVN_IMAGE = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${digest('ovn-kubernetes')}`;
export const KUBE_RBAC_PROXY_IMAGE = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${digest('kube-rbac-proxy')}`;

const nodeEnv = [
  { name: 'OVN_LOG_LEVEL', value: 'info' },
  { name: 'K8S_NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
];

function ovnContainer(name: string, script: string, extra: Partial<Container> = {}): Container {
  return {
    name,
    image: OVN_IMAGE,
    command: ['/bin/bash', '-c', `set -xe\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\n${script}\n`],
    env: nodeEnv,
    resources: { requests: { cpu: '10m', memory: '300Mi' } },
    securityContext: { privileged: true },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    imagePullPolicy: 'IfNotPresent',
    ...extra,
  };
}

function rbacContainer(name: string, port: number, upstream: string): Container {
  return {
    name,
    image: KUBE_RBAC_PROXY_IMAGE,
    command: [
      '/usr/local/bin/kube-rbac-proxy',
      '--logtostderr',
      `--secure-listen-address=:${port}`,
      '--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      `--upstream=${upstream}`,
      '--tls-private-key-file=/etc/pki/tls/metrics-cert/tls.key',
      '--tls-cert-file=/etc/pki/tls/metrics-cert/tls.crt',
    ],
    ports: [{ containerPort: port, name: 'https', protocol: 'TCP' }],
    resources: { requests: { cpu: '10m', memory: '20Mi' } },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    imagePullPolicy: 'IfNotPresent',
  };
}

export function ovnkubeNodeDaemonSet(): KubeObject {
  const labels = {
    app: 'ovnkube-node',
    component: 'network',
    'kubernetes.io/os': 'linux',
    'openshift.io/component': 'network',
    'ovn-db-pod': 'true',
    type: 'infra',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'ovnkube-node',
      namespace: OVN_NAMESPACE,
      annotations: {
        'kubernetes.io/description': 'This daemonset launches the ovn-kubernetes per node networking components.',
        'networkoperator.openshift.io/ip-family-mode': 'single-stack',
      },
      labels: { 'networkoperator.openshift.io/generates-operator-status': 'stand-alone' },
    },
    spec: {
      selector: { matchLabels: { app: 'ovnkube-node' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } },
      template: {
        metadata: {
          labels,
          annotations: {
            'kubectl.kubernetes.io/default-container': 'ovnkube-controller',
            'target.workload.openshift.io/management': '{"effect": "PreferredDuringScheduling"}',
          },
        },
        spec: {
          serviceAccountName: 'ovn-kubernetes-node',
          hostNetwork: true,
          hostPID: true,
          dnsPolicy: 'Default',
          priorityClassName: 'system-node-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ operator: 'Exists' }],
          terminationGracePeriodSeconds: 30,
          initContainers: [ovnContainer('kubecfg-setup', 'cat << EOF > /etc/ovn/kubeconfig\nEOF')],
          containers: [
            ovnContainer('ovn-controller', 'start-ovn-controller ${OVN_LOG_LEVEL}'),
            ovnContainer('ovn-acl-logging', 'start-audit-log-rotation'),
            rbacContainer('kube-rbac-proxy-node', 9103, 'http://127.0.0.1:29103/'),
            rbacContainer('kube-rbac-proxy-ovn-metrics', 9105, 'http://127.0.0.1:29105/'),
            ovnContainer('northd', 'start-ovn-northd ${OVN_LOG_LEVEL}'),
            ovnContainer('nbdb', 'start-nbdb ${OVN_LOG_LEVEL}', {
              readinessProbe: {
                initialDelaySeconds: 5,
                timeoutSeconds: 5,
                exec: { command: ['/bin/bash', '-c', 'ovndb-readiness-probe "nb"'] },
              },
            }),
            ovnContainer('sbdb', 'start-sbdb ${OVN_LOG_LEVEL}', {
              readinessProbe: {
                initialDelaySeconds: 5,
                timeoutSeconds: 5,
                exec: { command: ['/bin/bash', '-c', 'ovndb-readiness-probe "sb"'] },
              },
            }),
            ovnContainer('ovnkube-controller', 'start-ovnkube-node ${OVN_KUBE_LOG_LEVEL} 29103 29105', {
              ports: [{ containerPort: 29105, name: 'metrics-port', protocol: 'TCP' }],
              readinessProbe: {
                initialDelaySeconds: 5,
                periodSeconds: 30,
                exec: { command: ['test', '-f', '/etc/cni/net.d/10-ovn-kubernetes.conf'] },
              },
            }),
          ],
          volumes: [
            { name: 'host-slash', hostPath: { path: '/', type: '' } },
            { name: 'run-openvswitch', hostPath: { path: '/var/run/openvswitch', type: '' } },
            { name: 'run-ovn', hostPath: { path: '/var/run/ovn-ic', type: '' } },
            { name: 'host-cni-netd', hostPath: { path: '/var/run/multus/cni/net.d', type: '' } },
          ],
        },
      },
    },
  };
}

export function ovnkubeControlPlaneDeployment(replicas: number): KubeObject {
  const labels = {
    app: 'ovnkube-control-plane',
    component: 'network',
    'kubernetes.io/os': 'linux',
    'openshift.io/component': 'network',
    type: 'infra',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'ovnkube-control-plane',
      namespace: OVN_NAMESPACE,
      annotations: { 'kubernetes.io/description': 'This deployment launches the ovn-kubernetes control plane components.' },
      labels: { 'networkoperator.openshift.io/generates-operator-status': 'stand-alone' },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'ovnkube-control-plane' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: {
        metadata: {
          labels,
          annotations: {
            'kubectl.kubernetes.io/default-container': 'ovnkube-cluster-manager',
            'target.workload.openshift.io/management': '{"effect": "PreferredDuringScheduling"}',
          },
        },
        spec: {
          serviceAccountName: 'ovn-kubernetes-control-plane',
          hostNetwork: true,
          dnsPolicy: 'Default',
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'node-role.kubernetes.io/master': '', 'kubernetes.io/os': 'linux' },
          tolerations: [
            { key: 'node-role.kubernetes.io/master', operator: 'Exists' },
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists' },
            { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists' },
          ],
          containers: [
            rbacContainer('kube-rbac-proxy', 9108, 'http://127.0.0.1:29108/'),
            {
              name: 'ovnkube-cluster-manager',
              image: OVN_IMAGE,
              command: [
                '/bin/bash',
                '-c',
                'set -xe\nexec /usr/bin/ovnkube --enable-interconnect --init-cluster-manager "${K8S_NODE}" --config-file=/run/ovnkube-config/ovnkube.conf --loglevel "${OVN_KUBE_LOG_LEVEL}"\n',
              ],
              env: [
                { name: 'OVN_KUBE_LOG_LEVEL', value: '4' },
                { name: 'K8S_NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
              ],
              ports: [{ containerPort: 29108, name: 'metrics-port', protocol: 'TCP' }],
              resources: { requests: { cpu: '10m', memory: '300Mi' } },
              terminationMessagePolicy: 'FallbackToLogsOnError',
            },
          ],
        },
      },
    },
  };
}

function ensure(ctx: SimContext, gvr: (typeof GVR)[keyof typeof GVR], obj: KubeObject): void {
  if (ctx.store.get(gvr, obj.metadata.namespace, obj.metadata.name)) return;
  try {
    ctx.store.create(gvr, obj);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

export function ensureNamespace(ctx: SimContext, name: string, labels: Record<string, string> = {}): void {
  ensure(ctx, GVR.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
}

/** Creates the namespace, the ovnkube-node DaemonSet and the ovnkube-control-plane Deployment when missing. */
export function ensureOpenShiftNetworkWorkloads(ctx: SimContext): void {
  ensureNamespace(ctx, OVN_NAMESPACE, {
    'openshift.io/run-level': '0',
    'openshift.io/cluster-monitoring': 'true',
    'pod-security.kubernetes.io/enforce': 'privileged',
  });
  ensure(ctx, GVR.daemonsets, ovnkubeNodeDaemonSet());
  const masters = ctx.nodes.filter((n) => n.role === 'control-plane').length;
  ensure(ctx, GVR.deployments, ovnkubeControlPlaneDeployment(Math.max(1, Math.min(3, masters))));
}
