/**
 * An embedded cluster with PTP, driven as a user drives a live one: `netharness sim --detach` through the
 * CLI, then kubectl (logs, exec curl of :9091/metrics, exec pmc, get/patch PtpConfigs, debug pods on a node,
 * Chaos Mesh objects, the fault library's ConfigMap) and a real HTTP client through the API server's service
 * proxy to cloud-event-proxy's REST API v2 with a local consumer endpoint receiving the events.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseLine, type PtpLogRecord } from '../../harness/ptp/log.ts';
import { interpretPtpMetrics, type PtpMetrics } from '../../harness/ptp/metrics.ts';
import { pmcArgv } from '../../harness/ptp/pmc.ts';
import { CLI, ROOT, stopSim } from '../support/cli.ts';

export const NS = 'openshift-ptp';
export const REST = '/api/ocloudNotifications/v2';

export interface LogLine {
  raw: string;
  rec?: PtpLogRecord;
  /** the kubelet's RFC 3339 timestamp of the line (`kubectl logs --timestamps`), when read with one */
  time?: string;
}

/** An RFC 3339 time as nanoseconds since the epoch (the kubelet's RFC3339Nano trims trailing zeros: no string compare). */
export function rfc3339Ns(t: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) throw new Error(`not an RFC 3339 time: '${t}'`);
  const sec = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(sec)) throw new Error(`not an RFC 3339 time: '${t}'`);
  return BigInt(sec) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

export interface ReceivedEvent {
  at: number;
  type: string;
  source: string;
  values: { ResourceAddress: string; data_type: string; value: string | number }[];
}

export class PtpSimCluster {
  readonly workdir = mkdtempSync(join(tmpdir(), 'nh-ptp-sim-'));
  kubeconfig = '';
  server = '';
  private token = '';
  private ca = '';
  node = '';
  pod = '';
  iface = '';
  profile = '';
  ptpConfig = '';
  readonly events: ReceivedEvent[] = [];
  private consumer?: http.Server;
  endpoint = '';

  constructor(private readonly opts: { nodes?: string; speed?: number; ptp?: string } = {}) {}

  async start(): Promise<void> {
    const args = [
      'sim',
      '--detach',
      '--workdir',
      this.workdir,
      '--speed',
      String(this.opts.speed ?? 10),
      '--nodes',
      this.opts.nodes ?? '1+1',
    ];
    if (this.opts.ptp) args.push('--ptp', this.opts.ptp);
    const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    const m = /KUBECONFIG=(\S+)/.exec(r.stdout);
    if (r.status !== 0 || !m) throw new Error(`sim did not start (exit ${r.status}): ${r.stderr.slice(-800)}`);
    this.kubeconfig = m[1];
    const kc = parseYaml(readFileSync(this.kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
      users: { name: string; user: { token?: string } }[];
      contexts: { name: string; context: { user: string } }[];
      'current-context': string;
    };
    this.server = kc.clusters[0].cluster.server;
    this.ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'] ?? '', 'base64').toString('utf8');
    const user = kc.contexts.find((c) => c.name === kc['current-context'])?.context.user;
    this.token = kc.users.find((u) => u.name === user)?.user.token ?? '';
    await this.pickTarget();
  }

  /** The first worker with a daemon pod and a matched profile: its pod, profile, slave interface. */
  async pickTarget(): Promise<void> {
    const cfgs = JSON.parse(await this.kubectl(['get', 'ptpconfigs', '-n', NS, '-o', 'json'])) as {
      items: {
        metadata: { name: string };
        spec: { profile: { name: string; interface?: string; ptp4lOpts?: string; ptp4lConf?: string }[] };
        status?: { matchList?: { nodeName: string; profile: string }[] };
      }[];
    };
    const pods = JSON.parse(await this.kubectl(['get', 'pods', '-n', NS, '-l', 'app=linuxptp-daemon', '-o', 'json'])) as {
      items: { metadata: { name: string }; spec: { nodeName: string } }[];
    };
    for (const c of cfgs.items)
      for (const m of c.status?.matchList ?? []) {
        const pod = pods.items.find((p) => p.spec.nodeName === m.nodeName);
        const prof = c.spec.profile.find((p) => p.name === m.profile);
        if (!pod || !prof || !/-s\b/.test(prof.ptp4lOpts ?? '')) continue;
        this.node = m.nodeName;
        this.pod = pod.metadata.name;
        this.profile = prof.name;
        this.ptpConfig = c.metadata.name;
        this.iface = prof.interface ?? /^\[(\w[\w.-]*)\]/m.exec(prof.ptp4lConf ?? '')?.[1] ?? '';
        return;
      }
    throw new Error(
      `no ordinary-clock node with a daemon pod and a slave-only profile: ${JSON.stringify(cfgs.items.map((c) => c.status))}`,
    );
  }

  kubectl(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = spawn('kubectl', ['--kubeconfig', this.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
      c.stdin.end(input ?? '');
    });
  }

  apply(obj: unknown): Promise<string> {
    return this.kubectl(['apply', '-f', '-'], JSON.stringify(obj));
  }

  async logs(container = 'linuxptp-daemon-container'): Promise<LogLine[]> {
    const text = await this.kubectl(['logs', '-n', NS, this.pod, '-c', container]);
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((raw) => ({ raw, rec: parseLine(raw) }));
  }

  /**
   * A place in the container's log: the kubelet's timestamp of its newest line (`kubectl logs --tail 1 --timestamps`),
   * so what comes after it is found by time, not by a line count (the kubelet keeps a ring of lines, and a test
   * must not depend on how many lines came before). Epoch for an empty log.
   */
  async logMark(container = 'linuxptp-daemon-container'): Promise<string> {
    const last = await this.kubectl(['logs', '-n', NS, this.pod, '-c', container, '--tail', '1', '--timestamps']);
    return last.trim().split(' ')[0] || '1970-01-01T00:00:00Z';
  }

  /**
   * The lines logged after `mark` (a logMark): `kubectl logs --since-time <mark> --timestamps`. kubectl sends sinceTime
   * with whole seconds (metav1.Time) and the kubelet returns every line from that second on, so the lines of the mark's
   * second up to the mark itself are dropped here by their nanosecond timestamps.
   */
  async logsSince(mark: string, container = 'linuxptp-daemon-container'): Promise<LogLine[]> {
    const after = rfc3339Ns(mark);
    const text = await this.kubectl(['logs', '-n', NS, this.pod, '-c', container, '--since-time', mark, '--timestamps']);
    const out: LogLine[] = [];
    for (const l of text.split('\n')) {
      const sp = l.indexOf(' ');
      if (sp < 0) continue;
      const time = l.slice(0, sp);
      if (rfc3339Ns(time) <= after) continue;
      const raw = l.slice(sp + 1);
      if (raw.trim()) out.push({ raw, time, rec: parseLine(raw) });
    }
    return out;
  }

  /** `argv` run in linuxptp-daemon-container of the node's daemon pod (kubectl exec); its stdout. */
  daemonExec(argv: string[]): Promise<string> {
    return this.kubectl(['exec', '-n', NS, this.pod, '-c', 'linuxptp-daemon-container', '--', ...argv]);
  }

  async metricsText(): Promise<string> {
    return this.daemonExec(['curl', '-s', 'localhost:9091/metrics']);
  }

  /** A config file the daemon wrote for its processes (/var/run/ptp4l.0.config, ...). */
  configFile(name = 'ptp4l.0.config'): Promise<string> {
    return this.daemonExec(['cat', `/var/run/${name}`]);
  }

  async metrics(): Promise<PtpMetrics> {
    return interpretPtpMetrics(await this.metricsText());
  }

  pmc(dataset: string, config = 0): Promise<string> {
    return this.daemonExec(pmcArgv(dataset, config));
  }

  /** A request through the API server's service proxy to this node's cloud-event-proxy (REST API v2). */
  rest(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, node = this.node): Promise<{ status: number; body: string }> {
    const svc = `ptp-event-publisher-service-${node.split('.')[0]}`;
    const url = new URL(`/api/v1/namespaces/${NS}/services/${svc}:9043/proxy${REST}${path}`, this.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: this.ca || undefined,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json' } : {}),
          },
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async currentState(resource: string): Promise<{ value?: string; metric?: number; raw: unknown }> {
    const r = await this.rest('GET', `/cluster/node/${this.node}/${resource}/CurrentState`);
    if (r.status !== 200) throw new Error(`CurrentState ${resource}: HTTP ${r.status} ${r.body}`);
    const ev = JSON.parse(r.body) as ReceivedEvent & { data: { values: ReceivedEvent['values'] } };
    const note = ev.data.values.find((v) => v.data_type === 'notification');
    const metric = ev.data.values.find((v) => v.data_type === 'metric');
    return { value: note?.value as string | undefined, metric: metric === undefined ? undefined : Number(metric.value), raw: ev };
  }

  /** A local consumer (as a cloud-event consumer pod would run) and subscriptions to every resource of the node. */
  async subscribeAll(): Promise<string[]> {
    this.consumer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (text) {
          const ev = JSON.parse(text) as { type: string; source: string; data: { values: ReceivedEvent['values'] } };
          this.events.push({ at: performance.now(), type: ev.type, source: ev.source, values: ev.data.values });
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.consumer!.listen(0, '127.0.0.1', () => r()));
    this.endpoint = `http://127.0.0.1:${(this.consumer.address() as AddressInfo).port}/event`;
    const ids: string[] = [];
    for (const r of [
      'sync/ptp-status/lock-state',
      'sync/sync-status/os-clock-sync-state',
      'sync/ptp-status/clock-class',
      'sync/sync-status/sync-state',
    ]) {
      const a = await this.rest('POST', '/subscriptions', {
        ResourceAddress: `/cluster/node/${this.node}/${r}`,
        EndpointUri: this.endpoint,
      });
      if (a.status !== 201) throw new Error(`subscribe ${r}: HTTP ${a.status} ${a.body}`);
      ids.push((JSON.parse(a.body) as { SubscriptionId: string }).SubscriptionId);
    }
    return ids;
  }

  /** Notification values of the received events of a resource kind (lock-state, os-clock-sync-state, ...), from index `from`. */
  eventValues(kind: string, from = 0): string[] {
    return this.events
      .slice(from)
      .filter((e) => e.source.endsWith(`/${kind}`))
      .map((e) => String((e.values.find((v) => v.data_type === 'notification') ?? e.values[0]).value));
  }

  async fault(id: string, value: string): Promise<void> {
    await this.faults({ [id]: value });
  }

  /** Several fault switches in one merge patch of ConfigMap netharness/netharness-faults. */
  async faults(data: Record<string, string>): Promise<void> {
    await this.kubectl(['patch', 'configmap', '-n', 'netharness', 'netharness-faults', '--type', 'merge', '-p', JSON.stringify({ data })]);
  }

  /** The PtpConfig's profiles set back to those of `original` (its `kubectl get -o json` taken before a test edited it). */
  async restoreProfiles(original: string): Promise<void> {
    const orig = JSON.parse(original) as { spec: { profile: unknown[] } };
    await this.kubectl([
      'patch',
      'ptpconfig',
      '-n',
      NS,
      this.ptpConfig,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { profile: orig.spec.profile } }),
    ]);
  }

  /** Polls the daemon's metrics until `pred` holds; returns them. */
  async waitMetrics(pred: (m: PtpMetrics) => boolean, what: string, timeoutMs = 30_000): Promise<PtpMetrics> {
    return until(
      async () => {
        const m = await this.metrics();
        return pred(m) ? m : undefined;
      },
      timeoutMs,
      what,
    );
  }

  /** A privileged pod on the node running `script` under chroot /host (what `oc debug node/<n>` does); waits for it. */
  async onNode(script: string): Promise<void> {
    const name = `nh-ptp-debug-${Date.now() % 1_000_000}-${Math.floor(Math.random() * 1000)}`;
    await this.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: this.node,
        hostNetwork: true,
        hostPID: true,
        restartPolicy: 'Never',
        containers: [
          {
            name: 'debug',
            image: 'registry.redhat.io/rhel9/support-tools',
            command: ['chroot', '/host', 'sh', '-c', script],
            securityContext: { privileged: true, runAsUser: 0 },
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: '/' } }],
      },
    });
    const stop = performance.now() + 60_000;
    for (;;) {
      const ph = (await this.kubectl(['get', 'pod', '-n', 'default', name, '-o', 'jsonpath={.status.phase}'])).trim();
      if (ph === 'Succeeded') break;
      if (ph === 'Failed' || performance.now() > stop)
        throw new Error(`debug pod ${name} on ${this.node} (${script}): ${ph || 'not done'}`);
      await sleep(200);
    }
    await this.kubectl(['delete', 'pod', '-n', 'default', name, '--wait=false']);
  }

  execDaemon(argv: string[]): Promise<string> {
    return this.kubectl(['exec', '-n', NS, this.pod, '-c', 'linuxptp-daemon-container', '--', ...argv]);
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.consumer ? this.consumer.close(() => r()) : r()));
    if (this.kubeconfig) stopSim(this.workdir);
    rmSync(this.workdir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a defined value; throws with `what` and the last value seen. */
export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const stop = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (performance.now() > stop)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${String(last)})` : ''}`);
    await sleep(250);
  }
}
