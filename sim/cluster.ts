/**
 * startCluster(): assembles the embedded cluster. Order matters:
 *   store + registry -> bootstrap objects (CRDs, namespaces, nodes, RBAC, ClusterVersion)
 *   -> HTTP API listening -> kubeconfig -> each part of simParts in order.
 * stop() undoes it in reverse. Tokens are random per cluster and only written to the kubeconfig.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IpStack, SimContext, SimNodeSpec, Stoppable } from './types.ts';
import type { PtpMode } from './ptp/types.ts';
import { defaultNodes } from './topology.ts';
import { simParts } from './parts.ts';
import { MemoryStore } from './api/store.ts';
import { watchCrds } from './api/crds.ts';
import { bootstrap, ADMIN_USER, READONLY_SA } from './api/bootstrap.ts';
import { ApiServer } from './api/server.ts';
import { serviceAccountUser, TokenAuthenticator } from './api/rbac.ts';
import { writeKubeconfig } from './api/kubeconfig.ts';
import { selfSignedCert } from './api/tls.ts';
import { DEFAULT_WORKDIR } from './constants.ts';

export interface StartOptions {
  workdir?: string;
  nodes?: SimNodeSpec[];
  port?: number;
  ipStack?: IpStack;
  speed?: number;
  log?: (line: string) => void;
  /** Start only the API (no simParts): for API tests and benchmarks. */
  apiOnly?: boolean;
  /** Watch history size (events); older resourceVersions get 410 Expired. */
  historySize?: number;
  bookmarkIntervalMs?: number;
  /** PTP topology (sim/ptp): oc (default) | bc | dual-nic | none */
  ptp?: PtpMode;
}

export interface RunningCluster {
  kubeconfigPath: string;
  server: string;
  ctx: SimContext;
  /** the store behind ctx.store with its extra API (tests) */
  store: MemoryStore;
  api: ApiServer;
  stop(): Promise<void>;
}

export async function startCluster(opts: StartOptions = {}): Promise<RunningCluster> {
  const workdir = resolve(opts.workdir ?? DEFAULT_WORKDIR);
  mkdirSync(workdir, { recursive: true });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const nodes = opts.nodes ?? defaultNodes();
  const ipStack = opts.ipStack ?? 'ipv4';
  const store = new MemoryStore(undefined, opts.historySize);
  watchCrds(store);
  const ctx: SimContext = { store, workdir, nodes, ipStack, speed: opts.speed ?? 1, log, services: {}, ptpMode: opts.ptp ?? 'oc' };
  // Graceful pod deletion only when a kubelet is there to finish it.
  store.gracefulPods = () => ctx.services.podRuntime !== undefined;
  bootstrap(store, nodes, ipStack);
  await new Promise((r) => setImmediate(r)); // CRD Established status lands

  const tokens = { admin: randomBytes(32).toString('base64url'), readonly: randomBytes(32).toString('base64url') };
  const authn = new TokenAuthenticator();
  authn.add(tokens.admin, { username: ADMIN_USER, groups: ['system:masters', 'system:authenticated'] });
  authn.add(tokens.readonly, serviceAccountUser(READONLY_SA.namespace, READONLY_SA.name));
  const tls = selfSignedCert();
  const api = new ApiServer({
    store,
    authn,
    podRuntime: () => ctx.services.podRuntime,
    log,
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
    tls,
  });
  ctx.services.serviceProxy = api.serviceProxy;
  const port = await api.listen(opts.port ?? 0, '127.0.0.1');
  const server = `https://127.0.0.1:${port}`;
  const kubeconfigPath = join(workdir, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, server, tokens, tls.certPem);

  const started: { name: string; s: Stoppable }[] = [];
  const stopAll = async () => {
    for (const { name, s } of started.reverse()) {
      try {
        await s.stop();
      } catch (e) {
        log(`sim: stopping ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    started.length = 0;
    await api.close();
  };
  if (!opts.apiOnly) {
    try {
      for (const part of simParts) {
        started.push({ name: part.name, s: await part.start(ctx) });
      }
    } catch (e) {
      await stopAll();
      throw e;
    }
  }
  let stopped: Promise<void> | undefined;
  return { kubeconfigPath, server, ctx, store, api, stop: () => (stopped ??= stopAll()) };
}
