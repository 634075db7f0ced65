/**
 * The protobuf pod list (parsePodListProtobuf) gives the same PodInfo as the JSON scan of the same pods, on random
 * pods encoded here from the field numbers of kubernetes/api core/v1/generated.proto the way the apiserver's
 * generated marshallers write them (non-pointer strings and bools always, even empty; skipped fields of every wire
 * type the check does not read); a cut or foreign body throws, never returns pods; the check asks for protobuf
 * and falls back to JSON by the answer's Content-Type.
 */
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodListDecodeError, parsePodListProtobuf } from '../../harness/checks/egressip/pod-list-pb.ts';
import { parsePodList } from '../../harness/checks/egressip/pod-list.ts';
import { listPods } from '../../harness/checks/egressip/collect.ts';
import { connect } from '../../harness/cluster/connect.ts';
import { mulberry32 } from '../../harness/random.ts';

// ---------------------------------------------------------------- a minimal protobuf writer (test side)

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const key = (tag: number, wt: number) => varint(tag * 8 + wt);
const bytesField = (tag: number, b: Buffer | number[]): number[] => [...key(tag, 2), ...varint(b.length), ...b];
const str = (tag: number, s: string): number[] => bytesField(tag, Buffer.from(s, 'utf8'));
const vint = (tag: number, n: number): number[] => [...key(tag, 0), ...varint(n)];
const msg = (tag: number, parts: number[][]): number[] => bytesField(tag, parts.flat());
const map = (tag: number, m: Record<string, string>): number[][] => Object.entries(m).map(([k, v]) => msg(tag, [str(1, k), str(2, v)]));

/** An abstract pod: what the check reads, plus things it skips. */
interface Pod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  deleting: boolean;
  node: string;
  hostNetwork: boolean;
  phase: string;
  podIPs: string[];
}

const TEXTS = ['web', 'a"b', 'back\\slash', 'ü', '✓ check', '🚀', '', 'x'.repeat(300)];

function randomPod(r: () => number, i: number): Pod {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const labels: Record<string, string> = {};
  for (let k = 0, n = Math.floor(r() * 4); k < n; k++) labels[pick(['app', 'tier', 'k8s.io/name', `l${k}`])] = pick(TEXTS);
  const ip = () => pick([`10.128.${i % 250}.${(i * 7) % 250}`, `fd00::${i.toString(16)}`, `fd00:0:0::0${(i % 9) + 1}`]);
  return {
    name: `pod-${i}-${pick(TEXTS)}`,
    namespace: pick(['prod', 'ns-ü', 'default']),
    labels,
    deleting: r() < 0.15,
    node: r() < 0.9 ? `worker-${i % 5}` : '',
    hostNetwork: r() < 0.2,
    phase: pick(['Running', 'Pending', 'Succeeded', 'Failed', '']),
    podIPs: Array.from({ length: Math.floor(r() * 3) }, ip),
  };
}

/** The pod as the apiserver's JSON has it (omitempty). */
function json(p: Pod): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: p.name, namespace: p.namespace, uid: 'u', annotations: { a: '{"x":1}' } };
  if (Object.keys(p.labels).length) metadata.labels = p.labels;
  if (p.deleting) metadata.deletionTimestamp = '2026-12-04T10:00:00Z';
  const spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'pause', ports: [{ containerPort: 8080 }] }] };
  if (p.node) spec.nodeName = p.node;
  if (p.hostNetwork) spec.hostNetwork = true;
  const status: Record<string, unknown> = { conditions: [{ type: 'Ready', status: 'True' }] };
  if (p.phase) status.phase = p.phase;
  if (p.podIPs.length) {
    status.podIP = p.podIPs[0];
    status.podIPs = p.podIPs.map((ip) => ({ ip }));
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status };
}

/** The pod as the apiserver's protobuf has it: gogo marshallers write non-pointer strings/bools even when empty. */
function proto(p: Pod): number[] {
  const metadata = [
    str(1, p.name),
    str(2, ''), // generateName
    str(3, p.namespace),
    str(5, 'u'),
    vint(7, 0), // generation
    msg(8, [vint(1, 1_764_842_400), vint(2, 0)]), // creationTimestamp
    ...(p.deleting ? [msg(9, [vint(1, 1_764_842_400), vint(2, 0)])] : []),
    ...map(11, p.labels),
    ...map(12, { a: '{"x":1}' }),
    msg(17, [str(1, 'kubelet'), str(2, 'Update'), msg(7, [str(1, '{"f:status":{}}')])]), // managedFields
  ];
  const spec = [
    msg(2, [str(1, 'c'), str(2, 'pause'), msg(6, [str(1, ''), vint(3, 8080), str(4, 'TCP')])]),
    str(3, 'Always'),
    vint(4, 30),
    str(10, p.node),
    vint(11, p.hostNetwork ? 1 : 0),
    [...key(99, 1), 1, 2, 3, 4, 5, 6, 7, 8], // a fixed64 field the check does not know
    [...key(98, 5), 1, 2, 3, 4], // a fixed32 one
  ];
  const status = [
    str(1, p.phase),
    msg(2, [str(1, 'Ready'), str(2, 'True')]),
    str(5, '192.168.0.1'),
    str(6, p.podIPs[0] ?? ''),
    ...p.podIPs.map((ip) => msg(12, [str(1, ip)])),
  ];
  return [...msg(1, metadata), ...msg(2, spec), ...msg(3, status)];
}

function protoList(pods: Pod[], cont = ''): Buffer {
  const list = [msg(1, [str(2, '42'), str(3, cont)]), ...pods.map((p) => bytesField(2, proto(p)))];
  const unknown = [msg(1, [str(1, 'v1'), str(2, 'PodList')]), bytesField(2, list.flat()), str(3, ''), str(4, '')];
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, ...unknown.flat()]);
}
const jsonList = (pods: Pod[], cont?: string): Buffer =>
  Buffer.from(
    JSON.stringify({
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '42', ...(cont ? { continue: cont } : {}) },
      items: pods.map(json),
    }),
  );

// ---------------------------------------------------------------- tests

describe('parsePodListProtobuf: the same PodInfo as the JSON pod list', () => {
  it('on 200 random lists', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = mulberry32(seed);
      const pods = Array.from({ length: 1 + (seed % 17) }, (_, i) => randomPod(r, i));
      const cont = seed % 3 ? '' : `c${seed}`;
      const pb = parsePodListProtobuf(protoList(pods, cont));
      expect(pb, `seed ${seed}`).toEqual(parsePodList(jsonList(pods, cont || undefined)));
      expect(pb.pods.length).toBe(pods.length);
    }
  });

  it('an empty list', () => {
    expect(parsePodListProtobuf(protoList([]))).toEqual({ pods: [] });
  });

  it('a body cut anywhere throws a PodListDecodeError or gives the whole list (a cut after the last pod)', () => {
    const pods = Array.from({ length: 3 }, (_, i) => randomPod(mulberry32(7), i));
    const body = protoList(pods);
    const whole = parsePodListProtobuf(body);
    let threw = 0;
    for (let n = 0; n < body.length; n++) {
      let got: ReturnType<typeof parsePodListProtobuf> | Error;
      try {
        got = parsePodListProtobuf(body.subarray(0, n));
      } catch (err) {
        got = err as Error;
      }
      if (got instanceof Error) {
        expect(got, `cut at ${n}`).toBeInstanceOf(PodListDecodeError);
        threw++;
      } else expect(got, `cut at ${n} of ${body.length}`).toEqual(whole);
    }
    expect(threw).toBeGreaterThan(body.length - 10);
  });

  it('not a PodList: no magic, another kind, a group wire type, a length past the end', () => {
    expect(() => parsePodListProtobuf(Buffer.from('{"kind":"PodList"}'))).toThrow(/no "k8s\\0" magic/);
    const other = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, [str(1, 'v1'), str(2, 'ServiceList')]), ...bytesField(2, [])]);
    expect(() => parsePodListProtobuf(other)).toThrow(/expected a v1 PodList, got v1 ServiceList/);
    const group = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, [str(1, 'v1'), str(2, 'PodList')]), ...bytesField(2, [...key(2, 3)])]);
    expect(() => parsePodListProtobuf(group)).toThrow(/wire type 3/);
    const long = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...key(2, 2), ...varint(1000), 1, 2]);
    expect(() => parsePodListProtobuf(long)).toThrow(/runs past its message/);
    const wrongType = Buffer.from([
      0x6b,
      0x38,
      0x73,
      0x00,
      ...msg(1, [str(1, 'v1'), str(2, 'PodList')]),
      ...bytesField(2, bytesField(2, msg(1, [vint(1, 5)]))),
    ]);
    expect(() => parsePodListProtobuf(wrongType)).toThrow(/metadata.name: wire type 0, expected 2/);
  });
});

describe('listPods: protobuf when the server answers it, JSON when it does not', () => {
  /** an API server answering GET /api/v1/pods in the encoding `mode` picks from the Accept header; the Accepts seen */
  async function withServer(mode: 'protobuf' | 'json-only' | 'bad-protobuf', pods: Pod[], f: (kubeconfig: string) => Promise<void>) {
    const accepts: string[] = [];
    const srv = createServer((req, res) => {
      accepts.push(String(req.headers.accept));
      const wantsPb = String(req.headers.accept).includes('application/vnd.kubernetes.protobuf');
      if (mode !== 'json-only' && wantsPb) {
        res.writeHead(200, { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
        res.end(mode === 'bad-protobuf' ? protoList(pods).subarray(0, 40) : protoList(pods));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(jsonList(pods));
      }
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'nh-podpb-'));
    const kc = join(dir, 'kubeconfig');
    const port = (srv.address() as AddressInfo).port;
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    try {
      await f(kc);
    } finally {
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return accepts;
  }

  const pods = Array.from({ length: 5 }, (_, i) => randomPod(mulberry32(3), i));
  const want = parsePodList(jsonList(pods)).pods;

  it('asks for protobuf first and decodes it', async () => {
    const accepts = await withServer('protobuf', pods, async (kc) => {
      expect(await listPods(connect({ kubeconfig: kc }))).toEqual(want);
    });
    expect(accepts[0]).toBe('application/vnd.kubernetes.protobuf, application/json');
  });

  it('a server without protobuf answers JSON: the same pods', async () => {
    await withServer('json-only', pods, async (kc) => {
      expect(await listPods(connect({ kubeconfig: kc }))).toEqual(want);
    });
  });

  it('a cut protobuf body is an error naming the path and the encoding', async () => {
    await withServer('bad-protobuf', pods, async (kc) => {
      await expect(listPods(connect({ kubeconfig: kc }))).rejects.toThrow(/GET \/api\/v1\/pods: bad protobuf pod list: .*at byte \d+/);
    });
  });
});
