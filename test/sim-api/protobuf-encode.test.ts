/**
 * Pods and pod lists in the Kubernetes protobuf encoding (sim/api/protobuf-encode.ts): golden bytes written out
 * from the field numbers of kubernetes/api core/v1/generated.proto and apimachinery meta/v1/generated.proto (so
 * the encoder is checked against the spec, not against itself), a round trip of real sim pods through a minimal
 * decoder of this file, the HTTP negotiation (envelope, selectors, limit/continue, JSON fallback, 406), and real
 * kubectl (client-go's generated protobuf decoder) reading a pod the sim answered in protobuf.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../sim/types.ts';
import { MemoryStore } from '../../sim/api/store.ts';
import { negotiate } from '../../sim/api/request.ts';
import { encodeObjectMessage, ProtobufEncodeError, protobufObjectBody } from '../../sim/api/protobuf-encode.ts';
import { api, kubectl, startTestCluster, type TestCluster } from './helpers.ts';

const PB = 'application/vnd.kubernetes.protobuf';
const PB_JSON = `${PB}, application/json`;
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/** Four pods of the full embedded cluster (`kubectl get pods -A -o json`): chaos-mesh, ovnkube control plane and node, linuxptp. */
const SIM_PODS = (JSON.parse(readFileSync(join(import.meta.dirname, 'sim-pods.fixture.json'), 'utf8')) as { items: KubeObject[] }).items;

/** Rows of byte values and UTF-8 strings, one protobuf tag (and what follows it) per row. */
const bytes = (...rows: (number | string)[][]): Buffer =>
  Buffer.concat(rows.flat().map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from([p]))));

// ---- a minimal protobuf reader, independent of the encoder ----

interface RawField {
  no: number;
  wire: number;
  num: bigint;
  data: Buffer;
}

function readFields(b: Buffer): RawField[] {
  const out: RawField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let x = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= b.length) throw new Error(`cut short in a varint at ${i}`);
      const c = b[i++];
      x |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) return x;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const f: RawField = { no: key >> 3, wire: key & 7, num: 0n, data: Buffer.alloc(0) };
    if (f.no === 0) throw new Error(`field number 0 at ${i}`);
    if (f.wire === 0) f.num = varint();
    else if (f.wire === 2) {
      const n = Number(varint());
      if (i + n > b.length) throw new Error(`field ${f.no} runs past the end`);
      f.data = b.subarray(i, i + n);
      i += n;
    } else throw new Error(`unexpected wire type ${f.wire} for field ${f.no}`);
    out.push(f);
  }
  return out;
}

const str = (f: RawField) => f.data.toString('utf8');

function unwrap(body: Buffer): { apiVersion: string; kind: string; raw: Buffer; rest: RawField[] } {
  expect([...body.subarray(0, 4)]).toEqual([0x6b, 0x38, 0x73, 0x00]);
  const env = readFields(body.subarray(4));
  const tm = readFields(env.find((f) => f.no === 1)?.data ?? Buffer.alloc(0));
  return {
    apiVersion: str(tm.find((f) => f.no === 1) as RawField),
    kind: str(tm.find((f) => f.no === 2) as RawField),
    raw: env.find((f) => f.no === 2)?.data ?? Buffer.alloc(0),
    rest: env.filter((f) => f.no > 2),
  };
}

interface PodView {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  deletionTimestamp?: string;
  nodeName?: string;
  hostNetwork?: boolean;
  phase?: string;
  podIP?: string;
  podIPs: string[];
}

/** ObjectMeta {1 name, 3 namespace, 9 deletionTimestamp, 11 labels}, PodSpec {10 nodeName, 11 hostNetwork}, PodStatus {1 phase, 6 podIP, 12 podIPs {1 ip}} */
function podFromProtobuf(msg: Buffer): PodView {
  const p: PodView = { name: '', namespace: '', labels: {}, podIPs: [] };
  for (const f of readFields(msg)) {
    if (f.no === 1)
      for (const m of readFields(f.data)) {
        if (m.no === 1) p.name = str(m);
        else if (m.no === 3) p.namespace = str(m);
        else if (m.no === 9) {
          const secs = readFields(m.data).find((t) => t.no === 1)?.num ?? 0n;
          p.deletionTimestamp = new Date(Number(secs) * 1000).toISOString().replace('.000Z', 'Z');
        } else if (m.no === 11) {
          const e = readFields(m.data);
          p.labels[str(e.find((x) => x.no === 1) as RawField)] = str(e.find((x) => x.no === 2) as RawField);
        }
      }
    else if (f.no === 2)
      for (const s of readFields(f.data)) {
        if (s.no === 10) p.nodeName = str(s);
        else if (s.no === 11) p.hostNetwork = s.num === 1n;
      }
    else if (f.no === 3)
      for (const s of readFields(f.data)) {
        if (s.no === 1) p.phase = str(s);
        else if (s.no === 6) p.podIP = str(s);
        else if (s.no === 12) p.podIPs.push(str(readFields(s.data).find((x) => x.no === 1) as RawField));
      }
  }
  return p;
}

function podFromJson(o: KubeObject): PodView {
  const spec = (o.spec ?? {}) as { nodeName?: string; hostNetwork?: boolean };
  const status = (o.status ?? {}) as { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
  const v: PodView = {
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? '',
    labels: { ...(o.metadata.labels ?? {}) },
    podIPs: (status.podIPs ?? []).map((x) => x.ip),
  };
  if (o.metadata.deletionTimestamp) v.deletionTimestamp = o.metadata.deletionTimestamp;
  if (spec.nodeName !== undefined) v.nodeName = spec.nodeName;
  if (spec.hostNetwork !== undefined) v.hostNetwork = spec.hostNetwork;
  if (status.phase !== undefined) v.phase = status.phase;
  if (status.podIP !== undefined) v.podIP = status.podIP;
  return v;
}

/** PodList {1 ListMeta {2 resourceVersion, 3 continue, 4 remainingItemCount}, 2 items} */
function podListFromProtobuf(body: Buffer): { pods: PodView[]; resourceVersion?: string; continue?: string; remaining?: number } {
  const env = unwrap(body);
  expect(env).toMatchObject({ apiVersion: 'v1', kind: 'PodList' });
  const out: { pods: PodView[]; resourceVersion?: string; continue?: string; remaining?: number } = { pods: [] };
  for (const f of readFields(env.raw)) {
    if (f.no === 2) out.pods.push(podFromProtobuf(f.data));
    else if (f.no === 1)
      for (const m of readFields(f.data)) {
        if (m.no === 2) out.resourceVersion = str(m);
        else if (m.no === 3) out.continue = str(m);
        else if (m.no === 4) out.remaining = Number(m.num);
      }
  }
  return out;
}

// ---- (a) golden bytes ----

describe('protobuf encoding of v1 Pod: golden bytes from the field numbers', () => {
  it('a tiny pod, byte by byte, in its runtime.Unknown envelope', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', labels: { b: '2', a: '1' }, creationTimestamp: '1970-01-01T00:02:08Z' },
      spec: {
        containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 8080, protocol: 'TCP' }] }],
        nodeName: 'n',
        hostNetwork: true,
      },
      status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }] },
    } as unknown as KubeObject;
    const metadata = bytes(
      [0x0a, 0x1c], // Pod.metadata = 1, 28 bytes
      [0x0a, 0x01, 'p'], // ObjectMeta.name = 1
      [0x1a, 0x02, 'ns'], // ObjectMeta.namespace = 3
      [0x42, 0x03, 0x08, 0x80, 0x01], // ObjectMeta.creationTimestamp = 8: Time {seconds = 1: 128}
      [0x5a, 0x06, 0x0a, 0x01, 'a', 0x12, 0x01, '1'], // ObjectMeta.labels = 11, entries sorted by key {1 key, 2 value}
      [0x5a, 0x06, 0x0a, 0x01, 'b', 0x12, 0x01, '2'],
    );
    const spec = bytes(
      [0x12, 0x17], // Pod.spec = 2, 23 bytes
      [0x12, 0x10], // PodSpec.containers = 2
      [0x0a, 0x01, 'c'], // Container.name = 1
      [0x12, 0x01, 'i'], // Container.image = 2
      [0x32, 0x08], // Container.ports = 6
      [0x18, 0x90, 0x3f], // ContainerPort.containerPort = 3: 8080
      [0x22, 0x03, 'TCP'], // ContainerPort.protocol = 4
      [0x52, 0x01, 'n'], // PodSpec.nodeName = 10
      [0x58, 0x01], // PodSpec.hostNetwork = 11: true
    );
    const status = bytes(
      [0x1a, 0x1f], // Pod.status = 3, 31 bytes
      [0x0a, 0x07, 'Running'], // PodStatus.phase = 1
      [0x32, 0x08, '10.0.0.1'], // PodStatus.podIP = 6
      [0x62, 0x0a, 0x0a, 0x08, '10.0.0.1'], // PodStatus.podIPs = 12: PodIP {ip = 1}
    );
    const message = Buffer.concat([metadata, spec, status]);
    expect(message.length).toBe(88);
    expect(encodeObjectMessage(pod).toString('hex')).toBe(message.toString('hex'));
    const envelope = bytes(
      ['k8s', 0x00], // magic
      [0x0a, 0x09, 0x0a, 0x02, 'v1', 0x12, 0x03, 'Pod'], // Unknown.typeMeta = 1 {apiVersion = 1, kind = 2}
      [0x12, 0x58], // Unknown.raw = 2, 88 bytes
    );
    const tail = bytes([0x1a, 0x00, 0x22, 0x00]); // Unknown.contentEncoding = 3 "", contentType = 4 ""
    expect(protobufObjectBody('v1', 'Pod', encodeObjectMessage(pod)).toString('hex')).toBe(
      Buffer.concat([envelope, message, tail]).toString('hex'),
    );
  });

  it('a probe: ProbeHandler inlined in JSON is its own message (Probe.handler = 1), IntOrString writes all three fields', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      spec: { containers: [{ name: 'c', livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 } }] },
    };
    const want = bytes(
      [0x12, 0x16], // Pod.spec = 2
      [0x12, 0x14], // PodSpec.containers = 2
      [0x0a, 0x01, 'c'], // Container.name = 1
      [0x52, 0x0f], // Container.livenessProbe = 10
      [0x0a, 0x0b], // Probe.handler = 1 (ProbeHandler)
      [0x1a, 0x09], // ProbeHandler.tcpSocket = 3
      [0x0a, 0x07, 0x08, 0x00, 0x10, 0x90, 0x3f, 0x1a, 0x00], // TCPSocketAction.port = 1: IntOrString {type 0, intVal 8080, strVal ""}
      [0x20, 0x05], // Probe.periodSeconds = 4
    );
    expect(encodeObjectMessage(pod as unknown as KubeObject).toString('hex')).toBe(want.toString('hex'));
  });

  it("a negative int32 is ten bytes of two's complement (proto2 int32), a string port is IntOrString type 1", () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      spec: { containers: [{ name: 'c', readinessProbe: { httpGet: { port: 'http' } } }] },
      status: { containerStatuses: [{ name: 'c', state: { terminated: { exitCode: -1 } } }] },
    };
    const want = bytes(
      [0x12, 0x17], // Pod.spec = 2
      [0x12, 0x15], // PodSpec.containers = 2
      [0x0a, 0x01, 'c'], // Container.name = 1
      [0x5a, 0x10], // Container.readinessProbe = 11
      [0x0a, 0x0e], // Probe.handler = 1
      [0x12, 0x0c], // ProbeHandler.httpGet = 2
      [0x12, 0x0a], // HTTPGetAction.port = 2
      [0x08, 0x01, 0x10, 0x00, 0x1a, 0x04, 'http'], // IntOrString {type = 1: 1 (string), intVal = 2: 0, strVal = 3}
      [0x1a, 0x14], // Pod.status = 3
      [0x42, 0x12], // PodStatus.containerStatuses = 8
      [0x0a, 0x01, 'c'], // ContainerStatus.name = 1
      [0x12, 0x0d], // ContainerStatus.state = 2
      [0x1a, 0x0b], // ContainerState.terminated = 3
      [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // ContainerStateTerminated.exitCode = 1: -1
    );
    expect(encodeObjectMessage(pod as unknown as KubeObject).toString('hex')).toBe(want.toString('hex'));
  });
});

describe('protobuf encoding refuses what it cannot write (typed error, never a silently shorter message)', () => {
  const base = () => JSON.parse(JSON.stringify(SIM_PODS[0])) as KubeObject & { spec: { containers: Record<string, unknown>[] } };

  it('a field outside the schema names its path', () => {
    const pod = base();
    pod.spec.containers[0].notAField = 1;
    expect(() => encodeObjectMessage(pod)).toThrow(ProtobufEncodeError);
    expect(() => encodeObjectMessage(pod)).toThrow('spec.containers[0].notAField: field not in');
  });

  it('metadata.managedFields (not in the schema) is refused too', () => {
    const pod = base();
    pod.metadata.managedFields = [{ manager: 'kubectl', operation: 'Update' }] as unknown as typeof pod.metadata.managedFields;
    expect(() => encodeObjectMessage(pod)).toThrow('metadata.managedFields');
  });

  it('a value of the wrong JSON type, and a kind without a schema', () => {
    const pod = base();
    (pod.spec as Record<string, unknown>).hostNetwork = 'yes';
    expect(() => encodeObjectMessage(pod)).toThrow('spec.hostNetwork: expected a boolean');
    const pod2 = base();
    pod2.metadata.creationTimestamp = 'yesterday';
    expect(() => encodeObjectMessage(pod2)).toThrow('metadata.creationTimestamp: expected an RFC 3339 time');
    expect(() => encodeObjectMessage({ apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP', metadata: { name: 'e' } })).toThrow(
      'k8s.ovn.org/v1/EgressIP: no protobuf schema',
    );
  });
});

// ---- (b) round trip of real sim pods ----

describe('real sim pods through the encoder and an independent decoder', () => {
  it('every fixture pod encodes; name, namespace, labels, nodeName, hostNetwork, phase, podIP, podIPs come back', () => {
    expect(SIM_PODS.length).toBeGreaterThanOrEqual(4);
    for (const pod of SIM_PODS) expect(podFromProtobuf(encodeObjectMessage(pod))).toEqual(podFromJson(pod));
    expect(SIM_PODS.some((p) => (p.spec as { hostNetwork?: boolean }).hostNetwork === true)).toBe(true);
    expect(SIM_PODS.some((p) => (p.status as { podIPs?: unknown[] }).podIPs?.length)).toBe(true);
  });

  it('a terminating pod keeps its deletionTimestamp', () => {
    const pod = JSON.parse(JSON.stringify(SIM_PODS[1])) as KubeObject;
    pod.metadata.deletionTimestamp = '2026-12-04T15:00:00Z';
    pod.metadata.deletionGracePeriodSeconds = 30;
    const got = podFromProtobuf(encodeObjectMessage(pod));
    expect(got.deletionTimestamp).toBe('2026-12-04T15:00:00Z');
    expect(got).toEqual(podFromJson(pod));
  });

  it('the message is about half the JSON text', () => {
    let json = 0;
    let pb = 0;
    for (const pod of SIM_PODS) {
      json += Buffer.byteLength(JSON.stringify(pod));
      pb += encodeObjectMessage(pod).length;
    }
    expect(pb).toBeLessThan(json * 0.75);
  });

  it('the store caches the encoded bytes per stored version', () => {
    const store = new MemoryStore();
    store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
    store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
    const first = store.getEntry(PODS, 'ns', 'p')?.protobuf;
    expect(first).toBeInstanceOf(Buffer);
    expect(store.getEntry(PODS, 'ns', 'p')?.protobuf).toBe(first);
    store.mutate(PODS, 'ns', 'p', (o) => {
      o.metadata.labels = { a: 'b' };
    });
    const second = store.getEntry(PODS, 'ns', 'p')?.protobuf as Buffer;
    expect(second).not.toBe(first);
    expect(podFromProtobuf(second).labels).toEqual({ a: 'b' });
  });
});

describe('negotiate with protobuf offered', () => {
  it('protobuf first, with the next acceptable type as fallback', () => {
    expect(negotiate(PB_JSON, { protobuf: true })).toEqual({ kind: 'protobuf', fallback: { kind: 'json' } });
    expect(negotiate(PB, { protobuf: true })).toEqual({ kind: 'protobuf' });
    expect(negotiate(`application/json, ${PB}`, { protobuf: true })).toEqual({ kind: 'json' });
    expect(negotiate(PB_JSON)).toEqual({ kind: 'json' });
    expect(() => negotiate(PB)).toThrow(
      /only the following media types are accepted: application\/json, application\/yaml \(the sim serves .* pods only\)/,
    );
  });
});

// ---- (c) HTTP, (d) kubectl ----

describe('the embedded API answers pods in protobuf', () => {
  let tc: TestCluster;
  const fixture: KubeObject[] = [];

  beforeAll(async () => {
    tc = await startTestCluster();
    const s = tc.cluster.store;
    for (const ns of new Set(SIM_PODS.map((p) => p.metadata.namespace as string))) {
      if (!s.get(NAMESPACES, undefined, ns)) s.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    for (const p of SIM_PODS) {
      const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...md } = p.metadata;
      s.create(PODS, { ...p, metadata: md, status: undefined } as KubeObject);
      s.mutate(PODS, md.namespace, md.name, (o) => void (o.status = JSON.parse(JSON.stringify(p.status))), { subresource: 'status' });
      fixture.push(s.get(PODS, md.namespace, md.name) as KubeObject);
    }
  }, 120_000);
  afterAll(async () => {
    await tc?.cluster.stop();
  });

  const jsonList = async (path: string) =>
    (await api(tc, 'GET', path)).json() as unknown as { items: KubeObject[]; metadata: Record<string, unknown> };

  it('GET /api/v1/pods: PodList in the envelope, every pod present with the same fields as the JSON list', async () => {
    const r = await api(tc, 'GET', '/api/v1/pods', { accept: PB_JSON });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(PB);
    const env = unwrap(r.body);
    expect(env.rest.map((f) => [f.no, f.data.length])).toEqual([
      [3, 0],
      [4, 0],
    ]);
    const got = podListFromProtobuf(r.body);
    const want = await jsonList('/api/v1/pods');
    expect(got.pods).toEqual(want.items.map(podFromJson));
    expect(got.pods.length).toBeGreaterThanOrEqual(SIM_PODS.length);
    for (const p of fixture) expect(got.pods).toContainEqual(podFromJson(p));
    expect(got.resourceVersion).toBe(String(want.metadata.resourceVersion));
  });

  it('fieldSelector spec.hostNetwork!=true is honoured', async () => {
    const path = `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.hostNetwork!=true')}`;
    const got = podListFromProtobuf((await api(tc, 'GET', path, { accept: PB_JSON })).body);
    const want = await jsonList(path);
    expect(got.pods).toEqual(want.items.map(podFromJson));
    expect(got.pods.length).toBeGreaterThan(0);
    expect(got.pods.every((p) => p.hostNetwork !== true)).toBe(true);
    expect(got.pods.length).toBeLessThan((await jsonList('/api/v1/pods')).items.length);
  });

  it('labelSelector and limit/continue page through every pod once', async () => {
    const all = (await jsonList('/api/v1/pods')).items.map(podFromJson);
    const seen: PodView[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const r = await api(tc, 'GET', `/api/v1/pods?limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, { accept: PB });
      expect(r.headers['content-type']).toBe(PB);
      const page = podListFromProtobuf(r.body);
      expect(page.pods.length).toBeLessThanOrEqual(2);
      if (page.continue) expect(page.remaining).toBeGreaterThan(0);
      seen.push(...page.pods);
      cont = page.continue;
      pages++;
    } while (cont && pages < 50);
    expect(seen).toEqual(all);
    expect(pages).toBeGreaterThan(1);
    const app = SIM_PODS[0].metadata.labels as Record<string, string>;
    const [k, v] = Object.entries(app)[0];
    const sel = `/api/v1/pods?labelSelector=${encodeURIComponent(`${k}=${v}`)}`;
    expect(podListFromProtobuf((await api(tc, 'GET', sel, { accept: PB })).body).pods).toEqual(
      (await jsonList(sel)).items.map(podFromJson),
    );
  });

  it('GET one pod: v1 Pod in the envelope', async () => {
    const p = fixture[2];
    const r = await api(tc, 'GET', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { accept: PB_JSON });
    expect(r.headers['content-type']).toBe(PB);
    const env = unwrap(r.body);
    expect(env).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    expect(podFromProtobuf(env.raw)).toEqual(podFromJson(p));
  });

  it('a CRD: protobuf only is 406, protobuf then JSON is JSON', async () => {
    const only = await api(tc, 'GET', '/apis/k8s.ovn.org/v1/egressips', { accept: PB });
    expect(only.status).toBe(406);
    expect(only.json()).toMatchObject({ kind: 'Status', reason: 'NotAcceptable' });
    expect(String(only.json().message)).toContain('only the following media types are accepted');
    const both = await api(tc, 'GET', '/apis/k8s.ovn.org/v1/egressips', { accept: PB_JSON });
    expect(both.status).toBe(200);
    expect(both.headers['content-type']).toBe('application/json');
    expect(both.json().kind).toBe('EgressIPList');
  });

  it('watch and Table keep answering JSON', async () => {
    const w = await api(tc, 'GET', '/api/v1/pods?watch=true&timeoutSeconds=1', { accept: PB_JSON });
    expect(w.headers['content-type']).toBe('application/json');
    expect(JSON.parse(w.text.split('\n')[0]).type).toBe('ADDED');
    const t = await api(tc, 'GET', '/api/v1/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(t.json().kind).toBe('Table');
  });

  it('kubectl describe (typed client, protobuf) reads the pod the sim answered in protobuf', async () => {
    const p = fixture[0];
    const r = await kubectl(tc, ['-v=8', 'describe', 'pod', '-n', p.metadata.namespace as string, p.metadata.name]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toMatch(/Content-Type: application\/vnd\.kubernetes\.protobuf/);
    const status = p.status as { podIP: string };
    expect(r.stdout).toContain(p.metadata.name);
    expect(r.stdout).toContain(status.podIP);
    expect(r.stdout).toContain((p.spec as { nodeName: string }).nodeName);
  });

  it('a pod that cannot be encoded: JSON when the Accept header allows it, else 406 naming the field', async () => {
    const s = tc.cluster.store;
    s.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pb-odd' } });
    s.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'odd', namespace: 'pb-odd' },
      spec: { nodeName: 'worker-0', containers: [{ name: 'c', image: 'i' }], notAPodField: true },
    } as KubeObject);
    const list = await api(tc, 'GET', '/api/v1/namespaces/pb-odd/pods', { accept: PB_JSON });
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toBe('application/json');
    expect((list.json().items as KubeObject[]).map((o) => o.metadata.name)).toEqual(['odd']);
    const one = await api(tc, 'GET', '/api/v1/namespaces/pb-odd/pods/odd', { accept: PB_JSON });
    expect(one.headers['content-type']).toBe('application/json');
    const refused = await api(tc, 'GET', '/api/v1/namespaces/pb-odd/pods/odd', { accept: PB });
    expect(refused.status).toBe(406);
    expect(String(refused.json().message)).toContain('spec.notAPodField');
    // the other namespaces still list in protobuf
    const fine = await api(tc, 'GET', `/api/v1/namespaces/${fixture[0].metadata.namespace}/pods`, { accept: PB });
    expect(fine.headers['content-type']).toBe(PB);
  });
});
