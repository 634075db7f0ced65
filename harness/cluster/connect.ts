/**
 * The one way anything outside sim/ reaches a cluster: a kubeconfig.
 * The embedded cluster writes one (results/sim/kubeconfig); a real OpenShift cluster has its own.
 */
import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { InfraError, UsageError } from '../errors.ts';

export interface ClusterOptions {
  /** Path to a kubeconfig; default: $KUBECONFIG, then ~/.kube/config. */
  kubeconfig?: string;
  /** A context name from the kubeconfig; default: its current-context. */
  context?: string;
}

export interface Cluster {
  kc: k8s.KubeConfig;
  /** The kubeconfig path this came from (for spawning kubectl or child processes). */
  kubeconfigPath?: string;
  server: string;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  custom: k8s.CustomObjectsApi;
  objects: k8s.KubernetesObjectApi;
}

export function connect(opts: ClusterOptions = {}): Cluster {
  const kc = new k8s.KubeConfig();
  const path = opts.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0];
  if (opts.kubeconfig && !existsSync(opts.kubeconfig)) {
    throw new UsageError(
      `--kubeconfig: no file at ${opts.kubeconfig}`,
      'pass the path of a kubeconfig, or omit --kubeconfig to use the embedded cluster',
    );
  }
  try {
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
  } catch (err) {
    throw new InfraError(
      `could not load kubeconfig${path ? ` ${path}` : ''}: ${(err as Error).message}`,
      'check that the file is a valid kubeconfig',
    );
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new UsageError(
        `--context: no context '${opts.context}' in the kubeconfig (have: ${kc
          .getContexts()
          .map((c) => c.name)
          .join(', ')})`,
      );
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new InfraError('the kubeconfig has no current cluster', 'set current-context or pass --context');
  return {
    kc,
    kubeconfigPath: path,
    server: cluster.server,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
  };
}

/** HTTP status of a client-node error, if it carries one. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number')
    return (err as { code: number }).code;
  return undefined;
}

/** True for connection-level failures (the cluster is unreachable), as opposed to API answers. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } })?.cause?.code ?? (err as { code?: unknown })?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE'].includes(code);
}
