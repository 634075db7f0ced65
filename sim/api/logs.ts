/**
 * pods/log: reads from the PodRuntime (the kubelet), formats like the kubelet (optional RFC3339Nano
 * timestamp prefix), and with follow=true streams chunked until the pod stops, is deleted, or the
 * client leaves. Bad option values are 400s, as on the real server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, LogEntry, LogOptions, ObjectStore, PodRuntime } from '../types.ts';
import { ApiStatusError } from './errors.ts';
import { GVR } from '../gvr.ts';

export function pickContainer(pod: KubeObject, requested: string | null, allowInit = true): string {
  const spec = (pod.spec ?? {}) as {
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
  const names = (spec.containers ?? []).map((c) => c.name);
  const all = [
    ...names,
    ...(allowInit ? (spec.initContainers ?? []).map((c) => c.name) : []),
    ...(spec.ephemeralContainers ?? []).map((c) => c.name),
  ];
  if (requested) {
    if (!all.includes(requested))
      throw new ApiStatusError(400, 'BadRequest', `container ${requested} is not valid for pod ${pod.metadata.name}`);
    return requested;
  }
  const def = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (def && names.includes(def)) return def;
  if (names.length === 1) return names[0];
  throw new ApiStatusError(
    400,
    'BadRequest',
    `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`,
  );
}

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw new ApiStatusError(400, 'BadRequest', `${name}: invalid value "${v}": expected an integer`);
  const n = Number(v);
  if (n < min)
    throw new ApiStatusError(
      422,
      'Invalid',
      `PodLogOptions "" is invalid: ${name}: Invalid value: ${n}: must be greater than or equal to ${min}`,
      {
        kind: 'PodLogOptions',
        causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${n}: must be greater than or equal to ${min}`, field: name }],
      },
    );
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

export function parseLogOptions(q: URLSearchParams): LogOptions & { follow: boolean } {
  const sinceTime = q.get('sinceTime') ?? undefined;
  if (sinceTime !== undefined && Number.isNaN(Date.parse(sinceTime)))
    throw new ApiStatusError(400, 'BadRequest', `sinceTime: invalid value "${sinceTime}": expected RFC3339 time`);
  return {
    follow: boolParam(q, 'follow'),
    previous: boolParam(q, 'previous'),
    timestamps: boolParam(q, 'timestamps'),
    tailLines: intParam(q, 'tailLines', 0),
    sinceSeconds: intParam(q, 'sinceSeconds', 1),
    limitBytes: intParam(q, 'limitBytes', 1),
    sinceTime,
  };
}

/** Follow ends when the pod is gone or finished, or the followed container has terminated. */
function podStopped(pod: KubeObject | undefined, container: string): boolean {
  const status = pod?.status as
    | {
        phase?: string;
        containerStatuses?: { name: string; state?: { terminated?: unknown } }[];
        initContainerStatuses?: { name: string; state?: { terminated?: unknown } }[];
      }
    | undefined;
  if (!pod || status?.phase === 'Succeeded' || status?.phase === 'Failed') return true;
  const cs = [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].find((c) => c.name === container);
  return !!cs?.state?.terminated;
}

export function serveLogs(
  req: IncomingMessage,
  res: ServerResponse,
  store: ObjectStore,
  runtime: PodRuntime | undefined,
  pod: KubeObject,
  q: URLSearchParams,
): void {
  const container = pickContainer(pod, q.get('container'));
  const opts = parseLogOptions(q);
  const ref = { namespace: pod.metadata.namespace ?? 'default', pod: pod.metadata.name, container };
  const fmt = (e: LogEntry) => (opts.timestamps ? `${e.time} ${e.line}\n` : `${e.line}\n`);
  const entries = runtime
    ? runtime.readLogs(ref, {
        previous: opts.previous,
        sinceSeconds: opts.sinceSeconds,
        sinceTime: opts.sinceTime,
        tailLines: opts.tailLines,
        timestamps: opts.timestamps,
        limitBytes: opts.limitBytes,
      })
    : [];
  let budget = opts.limitBytes ?? Infinity;
  let text = '';
  for (const e of entries) text += fmt(e);
  if (text.length > budget) text = Buffer.from(text).subarray(0, budget).toString();
  budget -= Buffer.byteLength(text);

  if (!opts.follow || !runtime || opts.previous) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  if (text) res.write(text);
  let done = false;
  const podsGvr = GVR.pods;
  const finish = () => {
    if (done) return;
    done = true;
    unfollow();
    unwatch();
    res.end();
  };
  const unfollow = runtime.followLogs(ref, (e) => {
    if (done) return;
    let chunk = fmt(e);
    if (Buffer.byteLength(chunk) > budget) chunk = Buffer.from(chunk).subarray(0, Math.max(0, budget)).toString();
    budget -= Buffer.byteLength(chunk);
    if (chunk) res.write(chunk);
    if (budget <= 0) finish();
  });
  const unwatch = store.watch(
    podsGvr,
    (ev) => {
      if (ev.type === 'DELETED' || podStopped(ev.object, container)) setImmediate(finish);
    },
    { namespace: ref.namespace, fieldSelector: `metadata.name=${ref.pod}` },
  );
  req.on('close', finish);
  res.on('close', finish);
  if (podStopped(store.get(podsGvr, ref.namespace, ref.pod), container)) setImmediate(finish);
}
