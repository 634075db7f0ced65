/**
 * The pod list scanned from the API's bytes (parsePodList) gives exactly what JSON.parse + podInfo gives, on
 * random pods with escapes, multi-byte text, nulls, absent and reordered fields and large skipped subtrees;
 * a body that is cut short or is not a PodList throws, never returns pods.
 */
import { describe, expect, it } from 'vitest';
import type * as k8s from '@kubernetes/client-node';
import { JsonScanError, parsePodList } from '../../harness/checks/egressip/pod-list.ts';
import { listPods, podInfo } from '../../harness/checks/egressip/collect.ts';
import { connect, type Cluster } from '../../harness/cluster/connect.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../harness/random.ts';

const rng = mulberry32; // seeded, so a failure names its seed

const TEXTS = ['web', 'a"b', 'back\\slash', 'tab\there', 'new\nline', 'ü', '✓ check', '🚀', 'ctl\u0001', '', 'x'.repeat(300), '\\"', '"'];

function randomPod(r: () => number, i: number): Record<string, unknown> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const maybe = (p: number): boolean => r() < p;
  const labels: Record<string, string> = {};
  for (let k = 0, n = Math.floor(r() * 4); k < n; k++) labels[pick(['app', 'tier', 'k8s.io/name', pick(TEXTS)])] = pick(TEXTS);
  const ip = (): string =>
    pick([`10.128.${i % 250}.${(i * 7) % 250}`, `fd00::${i.toString(16)}`, `fd00:0:0::0${(i % 9) + 1}`, '10.0.0.01']);
  const metadata: Record<string, unknown> = {
    name: `pod-${i}-${pick(TEXTS)}`,
    namespace: pick(['prod', 'ns-ü', 'default']),
    uid: `uid-${i}`,
    annotations: {
      'k8s.ovn.org/pod-networks': JSON.stringify({ default: { ip_addresses: [`${ip()}/23`], routes: [{ dest: '100.64.0.0/16' }] } }),
    },
    managedFields: Array.from({ length: Math.floor(r() * 3) }, () => ({
      manager: 'kubelet',
      fieldsV1: { 'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"Ready"}': {} } } },
    })),
  };
  if (maybe(0.7)) metadata.labels = maybe(0.1) ? null : labels;
  if (maybe(0.15)) metadata.deletionTimestamp = pick(['2026-12-03T00:00:00Z', null, '']);
  const spec: Record<string, unknown> = {
    containers: [{ name: 'c', image: 'pause', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '1m' } } }],
    terminationGracePeriodSeconds: pick([0, 30, 1.5e3, -1]),
  };
  if (maybe(0.9)) spec.nodeName = maybe(0.05) ? null : `worker-${i % 5}`;
  if (maybe(0.3)) spec.hostNetwork = pick([true, false, null]);
  const status: Record<string, unknown> = {
    conditions: [{ type: 'Ready', status: pick(['True', 'False']), lastProbeTime: null }],
    hostIP: '192.168.0.1',
  };
  if (maybe(0.9)) status.phase = pick(['Running', 'Pending', 'Succeeded', 'Failed', null]);
  if (maybe(0.8)) status.podIP = maybe(0.1) ? null : ip();
  if (maybe(0.7))
    status.podIPs = maybe(0.1) ? null : maybe(0.1) ? [] : Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({ ip: ip() }));
  const pod: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod', metadata, spec, status };
  if (maybe(0.2)) delete pod.status;
  if (maybe(0.1)) delete pod.spec;
  // JSON key order is the server's: shuffle it
  const keys = Object.keys(pod).sort(() => r() - 0.5);
  return Object.fromEntries(keys.map((k) => [k, pod[k]]));
}

function randomList(seed: number, n: number): Record<string, unknown> {
  const r = rng(seed);
  return {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '42' },
    items: Array.from({ length: n }, (_, i) => randomPod(r, i)),
  };
}

const viaJsonParse = (text: string) => ((JSON.parse(text) as k8s.V1PodList).items ?? []).map(podInfo);

describe('parsePodList: the same PodInfo as JSON.parse + podInfo', () => {
  it('on 200 random lists, compact and indented', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const list = randomList(seed, 1 + (seed % 17));
      for (const text of [JSON.stringify(list), JSON.stringify(list, null, seed % 2 ? 2 : '\t')]) {
        const got = parsePodList(Buffer.from(text, 'utf8')).pods;
        const want = viaJsonParse(text);
        if (JSON.stringify(got) !== JSON.stringify(want)) expect({ seed, got }).toEqual({ seed, got: want });
      }
    }
  });

  it('escaped keys, keys after items, a continue token, an empty and a null items', () => {
    const text =
      '{"items":[{"meta\\u0064ata":{"name":"p\\u00fc","namespace":"n","labels":{"a\\"b":"c\\\\d"}},"status":{"phase":"Running","podIPs":[{"ip":"10.0.0.1"}]},"spec":{"nodeName":"w1"}}],' +
      '"metadata":{"continue":"tok\\/1","resourceVersion":"9"},"kind":"PodList"}';
    const got = parsePodList(Buffer.from(text));
    expect(got.continue).toBe('tok/1');
    expect(got.pods).toEqual(viaJsonParse(text));
    expect(got.pods[0]).toMatchObject({ name: 'pü', labels: { 'a"b': 'c\\d' }, ips: ['10.0.0.1'], node: 'w1' });
    expect(parsePodList(Buffer.from('{"kind":"PodList","items":[]}')).pods).toEqual([]);
    expect(parsePodList(Buffer.from(' {"items":null} \n')).pods).toEqual([]);
  });
});

describe('parsePodList: a body that is not a whole PodList throws', () => {
  it('cut short at every byte position', () => {
    const body = Buffer.from(JSON.stringify(randomList(7, 3)), 'utf8');
    for (let k = 0; k < body.length; k++) {
      let pods: unknown;
      try {
        pods = parsePodList(body.subarray(0, k)).pods;
      } catch (err) {
        expect(err).toBeInstanceOf(JsonScanError);
        continue;
      }
      expect({ cut: k, pods }).toEqual({ cut: k, pods: undefined });
    }
  });

  it('not JSON, mismatched brackets, trailing data, wrong shapes', () => {
    const bad: [string, RegExp][] = [
      ['<html>502 Bad Gateway</html>', /expected an object/],
      ['{"items":[{"metadata":{"name":"a"]}]}', /mismatched bracket|expected/],
      ['{"items":[{"spec":{"containers":[{]}]}}]}', /mismatched bracket/],
      ['{"items":[]} {"items":[]}', /trailing data/],
      ['{"items":{}}', /items: expected an array/],
      ['{"items":[{"metadata":{"name":5}}]}', /metadata.name: expected a string/],
      ['{"items":[{"status":{"podIPs":[{"ip":"1.2.3.4"}],"phase":"Running"},"spec":{"hostNetwork":tru}}]}', /bad JSON value/],
      ['{"items":[{"metadata":{"name":"a\\x"}}]}', /bad JSON value/],
      ['{"items":[null]}', /pod: null in items/],
      ['{"items":[{}],}', /expected a key/],
      ['', /unexpected end/],
      ['null', /the body is null/],
    ];
    for (const [text, re] of bad) expect(() => parsePodList(Buffer.from(text)), text).toThrow(re);
  });
});

describe('listPods: host-network pods left to the server, with a fallback', () => {
  /** A stand-in API server on plain HTTP: `knowsSelector` false answers 400 to the field selector, as a server before it. */
  async function withServer(knowsSelector: boolean, fn: (cluster: Cluster, seen: string[]) => Promise<void>): Promise<void> {
    const seen: string[] = [];
    const list = randomList(3, 6);
    const srv = createServer((req, res) => {
      seen.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      const fs = url.searchParams.get('fieldSelector');
      if (fs && !knowsSelector) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 400, message: `field label not supported: ${fs.split('!=')[0]}` }));
        return;
      }
      const items = (list.items as { spec?: { hostNetwork?: unknown } }[]).filter((p) => !fs || p.spec?.hostNetwork !== true);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...list, items }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'nh-podlist-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const port = (srv.address() as AddressInfo).port;
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    try {
      await fn(connect({ kubeconfig }), seen);
    } finally {
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const served = (text: string) => viaJsonParse(text).filter((p) => !p.hostNetwork);

  it('asks for spec.hostNetwork!=true and reads the same non-host-network pods', async () => {
    await withServer(true, async (cluster, seen) => {
      const pods = await listPods(cluster);
      expect(seen).toEqual([`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.hostNetwork!=true')}`]);
      expect(pods).toEqual(served(JSON.stringify(randomList(3, 6))));
    });
  });

  it('a server without that field selector (400): the whole list once more, host-network pods then skipped by the check', async () => {
    await withServer(false, async (cluster, seen) => {
      const pods = await listPods(cluster);
      expect(seen).toHaveLength(2);
      expect(seen[1]).toBe('/api/v1/pods');
      expect(pods).toEqual(viaJsonParse(JSON.stringify(randomList(3, 6))));
    });
  });
});
