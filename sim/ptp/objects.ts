/**
 * The PTP operator's objects as OpenShift has them (openshift/ptp-operator: api/v1/*_types.go,
 * config/samples, the OpenShift docs' OC / BC / dual-NIC examples), per `--ptp` mode, and the pure
 * profile matching of controllers/ptpconfig_controller.go: for every PtpConfig, the recommend entries whose
 * match selects the node (nodeName equal, or nodeLabel present on the node), lowest priority number wins;
 * the chosen profile goes to status.matchList {nodeName, profile}.
 */
import type { KubeObject, SimNodeSpec } from '../types.ts';
import type { PtpMode } from './types.ts';
import type { PtpProfile } from './node.ts';

export const PTP_NS = 'openshift-ptp';
export const PTP_API = 'ptp.openshift.io/v1';
export const GVR_PTP = {
  ptpconfigs: { group: 'ptp.openshift.io', version: 'v1', resource: 'ptpconfigs' },
  nodeptpdevices: { group: 'ptp.openshift.io', version: 'v1', resource: 'nodeptpdevices' },
  ptpoperatorconfigs: { group: 'ptp.openshift.io', version: 'v1', resource: 'ptpoperatorconfigs' },
} as const;

export const GM_IDENTITY = '507c6f.fffe.1fb16c';
export const WORKER_LABEL = 'node-role.kubernetes.io/worker';

const OC_CONF = (iface: string, extra = ''): string =>
  `[global]
#
# Default Data Set
#
twoStepFlag 1
slaveOnly 1
priority1 128
priority2 128
domainNumber 24
clockClass 255
clockAccuracy 0xFE
offsetScaledLogVariance 0xFFFF
free_running 0
freq_est_interval 1
dscp_event 0
dscp_general 0
dataset_comparison G.8275.x
G.8275.defaultDS.localPriority 128
#
# Port Data Set
#
logAnnounceInterval -3
logSyncInterval 0
logMinDelayReqInterval -4
logMinPdelayReqInterval -4
announceReceiptTimeout 3
syncReceiptTimeout 0
delayAsymmetry 0
fault_reset_interval 4
neighborPropDelayThresh 20000000
masterOnly 0
G.8275.portDS.localPriority 128
#
# Run time options
#
assume_two_step 0
logging_level 6
path_trace_enabled 0
follow_up_info 0
hybrid_e2e 0
inhibit_multicast_service 0
net_sync_monitor 0
tc_spanning_tree 0
tx_timestamp_timeout 50
unicast_listen 0
unicast_master_table 0
unicast_req_duration 3600
use_syslog 1
verbose 0
${extra}summary_interval 0
kernel_leap 1
check_fup_sync 0
clock_class_threshold 7
#
# Servo Options
#
pi_proportional_const 0.0
pi_integral_const 0.0
pi_proportional_scale 0.0
pi_proportional_exponent -0.3
pi_proportional_norm_max 0.7
pi_integral_scale 0.0
pi_integral_exponent 0.4
pi_integral_norm_max 0.3
step_threshold 2.0
first_step_threshold 0.00002
max_frequency 900000000
clock_servo pi
sanity_freq_limit 200000000
ntpshm_segment 0
#
# Transport options
#
transportSpecific 0x0
ptp_dst_mac 01:1B:19:00:00:00
p2p_dst_mac 01:80:C2:00:00:0E
udp_ttl 1
udp6_scope 0x0E
uds_address /var/run/ptp4l
#
# Default interface options
#
clock_type OC
network_transport L2
delay_mechanism E2E
time_stamping hardware
tsproc_mode filter
delay_filter moving_median
delay_filter_length 10
egressLatency 0
ingressLatency 0
boundary_clock_jbod 0
#
# Clock description
#
productDescription ;;
revisionData ;;
manufacturerIdentity 00:00:00
userDescription ;
timeSource 0xA0
[${iface}]
masterOnly 0
`;

const THRESHOLD = { holdOverTimeout: 5, maxOffsetThreshold: 100, minOffsetThreshold: -100 };

function ocProfile(name: string, iface: string, phc2sysOpts: string, extra = ''): PtpProfile & Record<string, unknown> {
  return {
    name,
    interface: iface,
    ptp4lOpts: '-2 -s',
    phc2sysOpts,
    ptp4lConf: OC_CONF(iface, extra),
    ptpSchedulingPolicy: 'SCHED_FIFO',
    ptpSchedulingPriority: 10,
    ptpSettings: { logReduce: 'false' },
    ptpClockThreshold: THRESHOLD,
  };
}

function bcProfile(): PtpProfile & Record<string, unknown> {
  const conf = OC_CONF('ens1f0')
    .replace('slaveOnly 1', 'slaveOnly 0')
    .replace('clockClass 255', 'clockClass 248')
    .replace('clock_type OC', 'clock_type BC')
    .replace(/\[ens1f0\]\nmasterOnly 0\n$/, '[ens1f0]\nmasterOnly 0\n[ens1f1]\nmasterOnly 1\n');
  return {
    name: 'bc-profile',
    ptp4lOpts: '-2',
    phc2sysOpts: '-a -r -n 24 -u 8',
    ptp4lConf: conf,
    ptpSchedulingPolicy: 'SCHED_FIFO',
    ptpSchedulingPriority: 10,
    // a T-BC as the OpenShift docs configure one: the daemon reports its state (T-BC-STATUS) and own clock class
    ptpSettings: { logReduce: 'false', clockType: 'T-BC' },
    ptpClockThreshold: THRESHOLD,
  };
}

function ptpConfig(name: string, profiles: Record<string, unknown>[], recommend: Record<string, unknown>[]): KubeObject {
  return { apiVersion: PTP_API, kind: 'PtpConfig', metadata: { name, namespace: PTP_NS }, spec: { profile: profiles, recommend } };
}

/** The PtpConfigs the embedded cluster starts with. */
export function defaultPtpConfigs(mode: PtpMode, nodes: SimNodeSpec[]): KubeObject[] {
  const workers = nodes.filter((n) => n.role === 'worker').map((n) => n.name);
  switch (mode) {
    case 'none':
      return [];
    case 'oc':
      return [
        ptpConfig(
          'oc-workers',
          [ocProfile('oc-slave', 'ens1f0', '-a -r -n 24')],
          [{ profile: 'oc-slave', priority: 4, match: [{ nodeLabel: WORKER_LABEL }] }],
        ),
      ];
    case 'bc': {
      const [bcNode, ...ocs] = workers;
      const out = [ptpConfig('bc', [bcProfile()], [{ profile: 'bc-profile', priority: 4, match: [{ nodeName: bcNode }] }])];
      if (ocs.length)
        out.push(
          ptpConfig(
            'oc-behind-bc',
            [ocProfile('oc-slave', 'ens1f0', '-a -r -n 24')],
            [{ profile: 'oc-slave', priority: 5, match: ocs.map((nodeName) => ({ nodeName })) }],
          ),
        );
      return out;
    }
    case 'dual-nic':
      return [
        ptpConfig(
          'dual-nic-ens1f0',
          [ocProfile('dual-nic-0', 'ens1f0', '-a -r -n 24')],
          [{ profile: 'dual-nic-0', priority: 4, match: [{ nodeLabel: WORKER_LABEL }] }],
        ),
        // the second NIC: ptp4l only, one summary line every 2^(summary_interval - logSyncInterval) samples
        ptpConfig(
          'dual-nic-ens2f0',
          [{ ...ocProfile('dual-nic-1', 'ens2f0', ''), ptp4lConf: OC_CONF('ens2f0').replace('summary_interval 0', 'summary_interval 2') }],
          [{ profile: 'dual-nic-1', priority: 4, match: [{ nodeLabel: WORKER_LABEL }] }],
        ),
      ];
  }
}

export function operatorConfig(enableEventPublisher = true): KubeObject {
  return {
    apiVersion: PTP_API,
    kind: 'PtpOperatorConfig',
    metadata: { name: 'default', namespace: PTP_NS },
    spec: {
      daemonNodeSelector: { [WORKER_LABEL]: '' },
      ptpEventConfig: {
        enableEventPublisher,
        apiVersion: '2.0',
        transportHost: 'http://ptp-event-publisher-service-NODE_NAME.openshift-ptp.svc.cluster.local:9043',
        storageType: 'emptyDir',
      },
    },
  };
}

export const NICS = ['ens1f0', 'ens1f1', 'ens2f0', 'ens2f1'];

/** A stable MAC per node and NIC (Intel E810 OUI 50:7c:6f). */
export function nicMac(node: SimNodeSpec, iface: string): string {
  const i = Math.max(0, NICS.indexOf(iface));
  return `50:7c:6f:${node.id.toString(16).padStart(2, '0')}:${(0x10 + Math.floor(i / 2)).toString(16)}:${(0x6c + (i % 2)).toString(16)}`;
}

export function nodePtpDevice(node: SimNodeSpec): KubeObject {
  return {
    apiVersion: PTP_API,
    kind: 'NodePtpDevice',
    metadata: { name: node.name, namespace: PTP_NS },
    spec: {},
    status: {
      devices: NICS.map((name, i) => ({
        name,
        profile: '',
        hardwareInfo: {
          pciAddress: `0000:${(0x51 + Math.floor(i / 2)).toString(16)}:00.${i % 2}`,
          vendorID: '8086',
          deviceID: '159b',
          subsystemVendorID: '8086',
          subsystemDeviceID: '0003',
          vpdIdentifierString: 'Intel(R) Ethernet Network Adapter E810-XXVDA4T',
          vpdPartNumber: 'K58075-000',
          firmwareVersion: '4.40 0x8001c967 1.3534.0',
          driverVersion: 'ice 5.14.0-427.el9.x86_64',
          linkStatus: 'up',
          linkSpeed: '25000Mb/s',
          fec: 'RS',
          macAddress: nicMac(node, name),
        },
      })),
      hwconfig: [],
    },
  };
}

interface Recommend {
  profile?: string;
  priority?: number;
  match?: { nodeLabel?: string; nodeName?: string }[];
}

/** status.matchList of each PtpConfig for these nodes (pure). */
export function matchLists(
  configs: KubeObject[],
  nodes: { name: string; labels: Record<string, string> }[],
): Map<string, { nodeName: string; profile: string }[]> {
  const out = new Map<string, { nodeName: string; profile: string }[]>();
  for (const c of configs) {
    const recs = (((c.spec as { recommend?: Recommend[] } | undefined)?.recommend ?? []) as Recommend[])
      .filter((r) => r.profile)
      .slice()
      .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    const list: { nodeName: string; profile: string }[] = [];
    for (const n of nodes) {
      const r = recs.find((x) =>
        (x.match ?? []).some(
          (m) => (m.nodeName !== undefined && m.nodeName === n.name) || (m.nodeLabel !== undefined && m.nodeLabel in n.labels),
        ),
      );
      if (r?.profile) list.push({ nodeName: n.name, profile: r.profile });
    }
    out.set(c.metadata.name, list);
  }
  return out;
}

/** The profiles applied on a node, in config order (the daemon numbers them ptp4l.0, ptp4l.1, ...). */
export function profilesFor(
  node: string,
  configs: KubeObject[],
  lists: Map<string, { nodeName: string; profile: string }[]>,
): PtpProfile[] {
  const out: PtpProfile[] = [];
  for (const c of [...configs].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const m = lists.get(c.metadata.name)?.find((x) => x.nodeName === node);
    if (!m) continue;
    const p = ((c.spec as { profile?: PtpProfile[] } | undefined)?.profile ?? []).find((x) => x.name === m.profile);
    if (p) out.push(p);
  }
  return out;
}

export function linuxptpDaemonSet(nodeSelector: Record<string, string>): KubeObject {
  const labels = { app: 'linuxptp-daemon' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'linuxptp-daemon', namespace: PTP_NS, labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '33%' } },
      template: {
        metadata: { labels, annotations: { 'target.workload.openshift.io/management': '{"effect": "PreferredDuringScheduling"}' } },
        spec: {
          hostNetwork: true,
          hostPID: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          serviceAccountName: 'linuxptp-daemon',
          priorityClassName: 'system-node-critical',
          nodeSelector,
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: 'linuxptp-daemon-container',
              image: 'quay.io/openshift/origin-ptp:4.18',
              command: ['/bin/bash', '-c', '--'],
              args: ['/usr/local/bin/ptp --alsologtostderr -v 10'],
              securityContext: { privileged: true },
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'LOGS_TO_SOCKET', value: 'true' },
              ],
              resources: { requests: { cpu: '20m', memory: '50Mi' } },
              volumeMounts: [
                { name: 'config-volume', mountPath: '/etc/linuxptp' },
                { name: 'socket-dir', mountPath: '/var/run' },
              ],
            },
            {
              name: 'cloud-event-proxy',
              image: 'quay.io/openshift/origin-cloud-event-proxy:4.18',
              args: [
                '--metrics-addr=127.0.0.1:9091',
                '--store-path=/store',
                '--transport-host=$(TRANSPORT_HOST)',
                '--api-port=9085',
                '--api-version=2.0',
              ],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'TRANSPORT_HOST', value: 'http://ptp-event-publisher-service-NODE_NAME.openshift-ptp.svc.cluster.local:9043' },
              ],
              resources: { requests: { cpu: '10m', memory: '20Mi' } },
              volumeMounts: [{ name: 'socket-dir', mountPath: '/var/run' }],
            },
            {
              name: 'kube-rbac-proxy',
              image: 'quay.io/openshift/origin-kube-rbac-proxy:4.18',
              args: [
                '--secure-listen-address=0.0.0.0:8443',
                '--upstream=http://127.0.0.1:9091/',
                '--tls-cert-file=/etc/metrics/tls.crt',
                '--tls-private-key-file=/etc/metrics/tls.key',
              ],
              ports: [{ containerPort: 8443, name: 'https' }],
              resources: { requests: { cpu: '10m', memory: '20Mi' } },
            },
          ],
          volumes: [
            { name: 'config-volume', configMap: { name: 'ptp-configmap' } },
            { name: 'socket-dir', hostPath: { path: '/var/run/ptp', type: 'DirectoryOrCreate' } },
          ],
        },
      },
    },
  };
}
