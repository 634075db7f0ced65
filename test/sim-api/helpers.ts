/**
 * Shared by the sim API suites: one API-only cluster per test file, a FakeRuntime as kubelet,
 * kubectl (v1.32 when the gcloud dispatcher ships it), and a raw HTTPS client with either identity.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { startCluster, type RunningCluster } from '../../sim/cluster.ts';
import { FakeRuntime } from './fake-runtime.ts';

export interface TestCluster {
  cluster: RunningCluster;
  runtime: FakeRuntime;
  kubeconfig: string;
  dir: string;
  adminToken: string;
  readonlyToken: string;
  ca: string;
}

export async function startTestCluster(opts: { historySize?: number; bookmarkIntervalMs?: number } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'nh-simapi-'));
  const cluster = await startCluster({ workdir: dir, apiOnly: true, log: () => {}, ...opts });
  // stopping the cluster also removes its temporary workdir (nothing left in /tmp by the API suites)
  const stop = cluster.stop;
  cluster.stop = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const runtime = new FakeRuntime();
  cluster.ctx.services.podRuntime = runtime;
  const kc = YAML.parse(readFileSync(cluster.kubeconfigPath, 'utf8')) as {
    users: { name: string; user: { token: string } }[];
    clusters: { cluster: Record<string, string> }[];
  };
  const tok = (n: string) => kc.users.find((u) => u.name === n)?.user.token ?? '';
  return {
    cluster,
    runtime,
    kubeconfig: cluster.kubeconfigPath,
    dir,
    adminToken: tok('netharness-admin'),
    readonlyToken: tok('mcp-readonly'),
    ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
  };
}

/** kubectl 1.32: the gcloud dispatcher on PATH would pick a client matching the server (1.31). */
export function kubectlBin(): string {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  try {
    const real = realpathSync('/usr/bin/kubectl');
    const v132 = join(dirname(real), 'kubectl.1.32');
    if (existsSync(v132)) return v132;
  } catch (_e) {
    // not the dispatcher
  }
  return 'kubectl';
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(
  tc: TestCluster,
  args: string[],
  opts: { input?: string; context?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, KUBECONFIG: tc.kubeconfig, KUBECACHEDIR: join(tc.dir, 'kubecache'), HOME: tc.dir };
    const full = [...(opts.context ? ['--context', opts.context] : []), ...args];
    const child = execFile(
      kubectlBin(),
      full,
      { env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
            ? (err as unknown as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) {
      child.stdin?.end(opts.input);
    }
  });
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** the body as received (binary answers: protobuf) */
  body: Buffer;
  json: () => Record<string, unknown>;
}

export function api(
  tc: TestCluster,
  method: string,
  path: string,
  opts: { body?: string | Buffer; contentType?: string; accept?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const url = new URL(path, tc.cluster.server);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token === undefined ? tc.adminToken : opts.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
    if (opts.accept) headers.Accept = opts.accept;
    if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    const req = https.request(url, { method, headers, ca: tc.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export const podManifest = (name: string, ns = 'default', extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app: 'web' } },
  spec: { nodeName: 'worker-0', containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  ...extra,
});
