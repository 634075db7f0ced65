/**
 * sim/prometheus: a real Prometheus (Debian's `prometheus`) for the embedded cluster.
 *
 * - starts the exporters (exporter.ts) and an OvnkubeObserver;
 * - runs `prometheus` as a child of the sim process (same process group: a Ctrl-C on the sim reaches it),
 *   config and TSDB under <workdir>/prometheus/, listening on 127.0.0.1 on a free port, targets through
 *   file_sd files rewritten when ovnkube pods change;
 * - creates the Service openshift-monitoring/thanos-querier (port `web` 9091, as on OpenShift) and
 *   registers Prometheus as its backend in the API server's service proxy, so clients reach it at
 *   /api/v1/namespaces/openshift-monitoring/services/thanos-querier:web/proxy/api/v1/query with the
 *   kubeconfig's credentials;
 * - scrapes the linuxptp-daemon pods' openshift_ptp_* while sim/ptp runs (ctx.services.ptp);
 * - stops Prometheus with SIGTERM (it flushes its head block), SIGKILL after 10 s.
 *
 * NETHARNESS_SIM_PROMETHEUS=0 leaves it out. NETHARNESS_SIM_SCRAPE_INTERVAL (s, default 2) and
 * NETHARNESS_SIM_OVN_SCRAPE_INTERVAL (s, default 10) set the scrape intervals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { InfraError } from '../../harness/errors.ts';
import { GVR } from '../gvr.ts';
import { findPidsByCmdline, sleep, terminate } from '../ovn/proc.ts';
import type { KubeObject, SimContext, Stoppable } from '../types.ts';
import { startExporter } from './exporter.ts';
import { OVN_NAMESPACE, OvnkubeObserver } from './ovnkube-observer.ts';
import { ensurePrometheus } from './packages.ts';
import { podRefs, promConfig, splitOvn, targetGroups, type ExtraTarget } from './targets.ts';
import { PTP_NAMESPACE } from '../constants.ts';

export const MONITORING_NAMESPACE = 'openshift-monitoring';
export const THANOS_SERVICE = 'thanos-querier';
export const PROMETHEUS_SERVICE = 'prometheus-k8s';

export interface SimPrometheus extends Stoppable {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** registers an extra scrape target (another part's exporter); returns the unregister function */
  addTarget(t: ExtraTarget): () => void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function envSeconds(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

/** Writes a file atomically (Prometheus' file_sd may read it at any time). */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function ensureService(ctx: SimContext, name: string, labels: Record<string, string>): void {
  if (ctx.store.get(GVR.services, MONITORING_NAMESPACE, name)) return;
  ctx.store.create(GVR.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: MONITORING_NAMESPACE, labels },
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: [
        // openshift/cluster-monitoring-operator assets/thanos-querier/service.yaml, assets/prometheus-k8s/service.yaml
        { name: 'web', port: 9091, protocol: 'TCP', targetPort: 'web' },
        ...(name === THANOS_SERVICE ? [{ name: 'tenancy', port: 9092, protocol: 'TCP', targetPort: 'tenancy' }] : []),
      ],
    },
  } as KubeObject);
}

async function waitReady(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  let tail = '';
  try {
    tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-8).join('\n');
  } catch {
    /* no log */
  }
  throw new InfraError(
    `sim: prometheus did not become ready within ${timeoutMs / 1000} s${child.exitCode !== null ? ` (exited ${child.exitCode})` : ''}: ${tail}`,
    `see ${logFile}`,
  );
}

export async function startPrometheus(ctx: SimContext): Promise<SimPrometheus> {
  const bin = await ensurePrometheus(ctx.log);
  const dir = path.join(ctx.workdir, 'prometheus');
  const tsdb = path.join(dir, 'data');
  fs.mkdirSync(tsdb, { recursive: true });
  // a Prometheus left by a killed sim on this workdir holds the TSDB lock
  for (const pid of findPidsByCmdline([`--storage.tsdb.path=${tsdb}`])) await terminate(pid, 5000);

  const obs = new OvnkubeObserver(ctx);
  obs.start();
  const exporter = await startExporter(ctx, obs);
  const address = `127.0.0.1:${exporter.port}`;
  const targetsFile = path.join(dir, 'targets.json');
  const ovnTargetsFile = path.join(dir, 'targets-ovn.json');
  const extra = new Set<ExtraTarget>();
  const writeTargets = (): void => {
    const pods = podRefs(ctx.store.list(GVR.pods, { namespace: OVN_NAMESPACE }));
    // PTP daemons only while the PTP part serves their metrics (sim/ptp, ctx.services.ptp)
    const ptpPods = ctx.services.ptp ? podRefs(ctx.store.list(GVR.pods, { namespace: PTP_NAMESPACE })) : [];
    const { ovn, rest } = splitOvn(
      targetGroups(
        address,
        ctx.nodes.map((n) => n.name),
        pods,
        [...extra],
        ptpPods,
      ),
    );
    writeAtomic(targetsFile, `${JSON.stringify(rest, null, 2)}\n`);
    writeAtomic(ovnTargetsFile, `${JSON.stringify(ovn, null, 2)}\n`);
  };
  writeTargets();
  let pending: NodeJS.Timeout | undefined;
  const rewrite = (): void => {
    pending ??= setTimeout(() => {
      pending = undefined;
      try {
        writeTargets();
      } catch (e) {
        ctx.log(`sim: prometheus targets not written: ${e instanceof Error ? e.message : String(e)}`);
      }
    }, 300);
  };
  const unwatchers = [OVN_NAMESPACE, PTP_NAMESPACE].map((namespace) => ctx.store.watch(GVR.pods, rewrite, { namespace }));
  const unwatch = (): void => unwatchers.forEach((u) => u());

  const configFile = path.join(dir, 'prometheus.yml');
  writeAtomic(
    configFile,
    promConfig({
      scrapeInterval: envSeconds('NETHARNESS_SIM_SCRAPE_INTERVAL', 2),
      ovnScrapeInterval: envSeconds('NETHARNESS_SIM_OVN_SCRAPE_INTERVAL', 10),
      targetsFile,
      ovnTargetsFile,
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'prometheus.log');
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      bin,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=2d',
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', fd, fd] },
    );
  } finally {
    fs.closeSync(fd);
  }
  const cleanup = async (): Promise<void> => {
    unwatch();
    if (pending) clearTimeout(pending);
    obs.stop();
    await exporter.close();
  };
  if (child.pid === undefined) {
    await cleanup();
    throw new InfraError(`sim: could not start ${bin}`, `see ${logFile}`);
  }
  const pid = child.pid;
  try {
    await waitReady(url, child, logFile, 60_000);
  } catch (e) {
    await terminate(pid, 2000, child);
    await cleanup();
    throw e;
  }

  ensureService(ctx, THANOS_SERVICE, { 'app.kubernetes.io/name': 'thanos-query' });
  ensureService(ctx, PROMETHEUS_SERVICE, { 'app.kubernetes.io/name': 'prometheus' });
  const unregister = [THANOS_SERVICE, PROMETHEUS_SERVICE].flatMap((svc) => [
    ctx.services.serviceProxy?.register(MONITORING_NAMESPACE, svc, 'web', url) ?? (() => undefined),
    ctx.services.serviceProxy?.register(MONITORING_NAMESPACE, svc, 9091, url) ?? (() => undefined),
  ]);
  ctx.log(`sim: prometheus ${url} (pid ${pid}), tsdb ${tsdb}; thanos-querier via the API service proxy`);

  return {
    url,
    pid,
    addTarget(t) {
      extra.add(t);
      writeTargets();
      return () => {
        extra.delete(t);
        writeTargets();
      };
    },
    async stop() {
      for (const u of unregister) u();
      await terminate(pid, 10_000, child);
      await cleanup();
    },
  };
}

/** The sim part (skipped with NETHARNESS_SIM_PROMETHEUS=0). */
export const prometheusPart = {
  name: 'prometheus',
  start: async (ctx: SimContext): Promise<Stoppable> => {
    if (process.env.NETHARNESS_SIM_PROMETHEUS === '0') {
      ctx.log('sim: prometheus disabled (NETHARNESS_SIM_PROMETHEUS=0)');
      return { stop: async () => undefined };
    }
    return startPrometheus(ctx);
  },
};
