/**
 * The embedded cluster's metrics endpoints, one HTTP server on 127.0.0.1 with a path per target
 * (Prometheus reaches each through file_sd targets carrying `__metrics_path__`, see targets.ts):
 *
 *   /metrics/cluster-manager             ovnkube_clustermanager_*            (ovnkube-control-plane :9108)
 *   /metrics/ovnkube-controller/<node>   ovnkube_controller_*                (ovnkube-node :9103)
 *   /metrics/ovn/<node>                  ovn_controller_*, ovs_vswitchd_*, ovn_northd_*, ovn_db_*  (:9105)
 *   /metrics/cadvisor/<node>             container_cpu_usage_seconds_total, container_memory_working_set_bytes
 *   /metrics/kubelet/<node>              kubelet_running_pods
 *   /metrics/kube-state-metrics          kube_node_status_condition, kube_node_info, kube_pod_status_phase
 *   /metrics/ptp/<node>                  openshift_ptp_* as the node's linuxptp-daemon serves it at
 *                                        127.0.0.1:9091/metrics (sim/ptp: ctx.services.ptp.metricsText)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimContext } from '../types.ts';
import {
  clusterManagerFamilies,
  containerFamilies,
  findSimProcesses,
  kubeletFamilies,
  kubeStateFamilies,
  ovnkubeControllerFamilies,
  ovnNodeFamilies,
} from './collectors.ts';
import { expose, type MetricFamily } from './exposition.ts';
import type { OvnkubeObserver } from './ovnkube-observer.ts';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Exporter {
  port: number;
  /** scrapes served, per path prefix (bench) */
  scrapes: Map<string, number>;
  close(): Promise<void>;
}

/** The families for a path, or undefined when the path is not one of ours. */
/** One /proc scan serves every node's cAdvisor scrape of a round (they come together every interval). */
let procCache: { at: number; workdir: string; procs: ReturnType<typeof findSimProcesses> } | undefined;
function simProcesses(workdir: string): ReturnType<typeof findSimProcesses> {
  const now = Date.now();
  if (!procCache || procCache.workdir !== workdir || now - procCache.at > 1000)
    procCache = { at: now, workdir, procs: findSimProcesses(workdir) };
  return procCache.procs;
}

/** Exporters that already speak the text format: the path's body, or undefined. */
export function rawTextFor(ctx: SimContext, path: string): string | undefined {
  const m = /^\/metrics\/ptp\/([^/]+)$/.exec(path);
  return m ? ctx.services.ptp?.metricsText(m[1]) : undefined;
}

export async function familiesFor(ctx: SimContext, obs: OvnkubeObserver, path: string): Promise<MetricFamily[] | undefined> {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'metrics') return undefined;
  const [, kind, node] = parts;
  const known = (n: string | undefined): n is string => !!n && ctx.nodes.some((x) => x.name === n);
  switch (kind) {
    case 'cluster-manager':
      return clusterManagerFamilies(ctx, obs);
    case 'kube-state-metrics':
      return kubeStateFamilies(ctx);
    case 'ovnkube-controller':
      return known(node) ? ovnkubeControllerFamilies(obs, node) : undefined;
    case 'ovn':
      return known(node) ? ovnNodeFamilies(ctx, node) : undefined;
    case 'cadvisor':
      return known(node) ? containerFamilies(ctx, simProcesses(ctx.workdir), node) : undefined;
    case 'kubelet':
      return known(node) ? kubeletFamilies(ctx, node) : undefined;
    default:
      return undefined;
  }
}

export function startExporter(ctx: SimContext, obs: OvnkubeObserver): Promise<Exporter> {
  const scrapes = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const raw = rawTextFor(ctx, path);
    if (raw !== undefined) {
      scrapes.set('/metrics/ptp', (scrapes.get('/metrics/ptp') ?? 0) + 1);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(raw) });
      res.end(raw);
      return;
    }
    familiesFor(ctx, obs, path)
      .then((fams) => {
        if (!fams) {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end(`no metrics at ${path}\n`);
          return;
        }
        const k = path.split('/').slice(0, 3).join('/');
        scrapes.set(k, (scrapes.get(k) ?? 0) + 1);
        const body = expose(fams);
        res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      })
      .catch((e: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`collecting ${path} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        scrapes,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
