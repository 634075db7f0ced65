/**
 * Prometheus file_sd target groups for the embedded cluster, and the prometheus.yml that reads them.
 * Pure. Labels follow what OpenShift's ServiceMonitors put on these series (namespace, pod, node,
 * service, endpoint, job = the Service's name, instance = <node>:<port>), so profiles written for a real
 * cluster select the same series here. `__metrics_path__` points each target at its exporter path.
 */
import type { KubeObject } from '../types.ts';
import { OVN_NAMESPACE, PTP_NAMESPACE } from '../constants.ts';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export interface PodRef {
  name: string;
  node: string;
  app: string;
}

export function podRefs(pods: KubeObject[]): PodRef[] {
  const out: PodRef[] = [];
  for (const p of pods) {
    const node = (p.spec as { nodeName?: string } | undefined)?.nodeName;
    const app = p.metadata.labels?.app;
    if (node && app && !p.metadata.deletionTimestamp) out.push({ name: p.metadata.name, node, app });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** One extra scrape target registered by another sim part (e.g. the PTP daemon's openshift_ptp_* endpoint). */
export interface ExtraTarget {
  address: string;
  labels: Record<string, string>;
}

/**
 * `pods`: the ovnkube pods (openshift-ovn-kubernetes); `ptpPods`: the linuxptp-daemon pods (openshift-ptp), whose
 * metrics OpenShift scrapes through Service ptp-monitor-service (kube-rbac-proxy :8443 in front of :9091).
 */
export function targetGroups(
  address: string,
  nodes: string[],
  pods: PodRef[],
  extra: ExtraTarget[] = [],
  ptpPods: PodRef[] = [],
): TargetGroup[] {
  const out: TargetGroup[] = [];
  const ns = OVN_NAMESPACE;
  const cm = pods.find((p) => p.app === 'ovnkube-control-plane');
  out.push({
    targets: [address],
    labels: {
      __metrics_path__: '/metrics/cluster-manager',
      job: 'ovn-kubernetes-control-plane',
      instance: `${cm?.node ?? nodes[0] ?? 'sim'}:9108`,
      namespace: ns,
      pod: cm?.name ?? '',
      node: cm?.node ?? nodes[0] ?? '',
      service: 'ovn-kubernetes-control-plane',
      endpoint: 'metrics',
      container: 'ovnkube-cluster-manager',
    },
  });
  for (const node of nodes) {
    const pod = pods.find((p) => p.app === 'ovnkube-node' && p.node === node)?.name ?? '';
    const base = { namespace: ns, pod, node, service: 'ovn-kubernetes-node' };
    out.push({
      targets: [address],
      labels: {
        ...base,
        __metrics_path__: `/metrics/ovnkube-controller/${node}`,
        job: 'ovn-kubernetes-node',
        instance: `${node}:9103`,
        endpoint: 'metrics',
        container: 'ovnkube-controller',
      },
    });
    out.push({
      targets: [address],
      labels: {
        ...base,
        __metrics_path__: `/metrics/ovn/${node}`,
        job: 'ovn-kubernetes-node',
        instance: `${node}:9105`,
        endpoint: 'ovn-metrics',
      },
    });
    const kubelet = {
      node,
      namespace: 'kube-system',
      service: 'kubelet',
      endpoint: 'https-metrics',
      job: 'kubelet',
      instance: `${node}:10250`,
    };
    out.push({
      targets: [address],
      labels: { ...kubelet, __metrics_path__: `/metrics/cadvisor/${node}`, metrics_path: '/metrics/cadvisor' },
    });
    out.push({ targets: [address], labels: { ...kubelet, __metrics_path__: `/metrics/kubelet/${node}`, metrics_path: '/metrics' } });
  }
  out.push({
    targets: [address],
    labels: {
      __metrics_path__: '/metrics/kube-state-metrics',
      job: 'kube-state-metrics',
      instance: 'kube-state-metrics:8443',
      namespace: 'openshift-monitoring',
      service: 'kube-state-metrics',
      endpoint: 'https-main',
    },
  });
  for (const p of ptpPods.filter((x) => x.app === 'linuxptp-daemon'))
    out.push({
      targets: [address],
      labels: {
        __metrics_path__: `/metrics/ptp/${p.node}`,
        job: 'ptp-monitor-service',
        instance: `${p.node}:8443`,
        namespace: PTP_NAMESPACE,
        pod: p.name,
        node: p.node,
        service: 'ptp-monitor-service',
        endpoint: 'metrics',
        container: 'kube-rbac-proxy',
      },
    });
  for (const e of extra) out.push({ targets: [e.address], labels: e.labels });
  return out;
}

export interface PromConfigOptions {
  /** seconds */
  scrapeInterval: number;
  /** seconds: the OVN job execs appctl commands in every node, so it is scraped less often */
  ovnScrapeInterval: number;
  targetsFile: string;
  ovnTargetsFile: string;
}

/** prometheus.yml (YAML is a superset of JSON: written as JSON to avoid quoting mistakes). */
export function promConfig(o: PromConfigOptions): string {
  const s = (n: number): string => `${Math.max(1, Math.round(n))}s`;
  const cfg = {
    global: {
      scrape_interval: s(o.scrapeInterval),
      evaluation_interval: s(o.scrapeInterval),
      external_labels: { prometheus: 'openshift-monitoring/k8s' },
    },
    scrape_configs: [
      {
        job_name: 'sim',
        scrape_interval: s(o.scrapeInterval),
        scrape_timeout: s(Math.min(o.scrapeInterval, 10)),
        // cAdvisor samples carry their own namespace/pod/container (OpenShift's kubelet ServiceMonitor honours them too)
        honor_labels: true,
        file_sd_configs: [{ files: [o.targetsFile], refresh_interval: '5s' }],
      },
      {
        job_name: 'sim-ovn',
        scrape_interval: s(o.ovnScrapeInterval),
        scrape_timeout: s(Math.min(o.ovnScrapeInterval, 10)),
        file_sd_configs: [{ files: [o.ovnTargetsFile], refresh_interval: '5s' }],
      },
    ],
  };
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

/** Splits the groups into the appctl-backed OVN ones and the rest (two scrape intervals). */
export function splitOvn(groups: TargetGroup[]): { ovn: TargetGroup[]; rest: TargetGroup[] } {
  const ovn = groups.filter((g) => g.labels.__metrics_path__?.startsWith('/metrics/ovn/'));
  return { ovn, rest: groups.filter((g) => !ovn.includes(g)) };
}
