/**
 * The API's pod list (`GET /api/v1/pods`, a v1 PodList in JSON) read straight from the response bytes into the
 * check's PodInfo rows. A pull scanner over the body Buffer decodes only the fields the check reads
 * (metadata.name/namespace/labels/deletionTimestamp, spec.nodeName/hostNetwork, status.phase/podIP/podIPs) and
 * skips everything else (containers, conditions, annotations, managedFields) without building its strings or
 * objects. At 2000 pods (5 MB) that is several times less CPU and garbage than JSON.parse + podInfo, and the
 * check shares two cores with the NB dumps it waits for.
 *
 * Same result as `list.items.map(podInfo)` on `JSON.parse(body)` (test/harness/egressip-pod-list.test.ts checks
 * that on random lists); a body that is not JSON, or is cut short, throws a JsonScanError.
 */
import { canonIp } from './net.ts';
import type { PodInfo } from './model.ts';
import { JsonScanError, JsonScanner, keyBytes as key } from './json-scan.ts';

export { JsonScanError };

const K = {
  items: key('items'),
  metadata: key('metadata'),
  continue: key('continue'),
  name: key('name'),
  namespace: key('namespace'),
  labels: key('labels'),
  deletionTimestamp: key('deletionTimestamp'),
  spec: key('spec'),
  nodeName: key('nodeName'),
  hostNetwork: key('hostNetwork'),
  status: key('status'),
  phase: key('phase'),
  podIP: key('podIP'),
  podIPs: key('podIPs'),
  ip: key('ip'),
};

function stringMap(s: JsonScanner, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s.open(0x7b, what)) return out;
  for (let first = true; s.nextKey(first); first = false) {
    const k = s.keyText();
    s.peek();
    out[k] = s.value() as string;
  }
  return out;
}

/** A pod before its fields are read: what an absent field means (shared by the JSON and protobuf readers). */
export function blankPod(): PodInfo {
  return { namespace: '', name: '', node: undefined, ips: [], phase: 'Unknown', hostNetwork: false, labels: {}, terminating: false };
}

function podOf(s: JsonScanner): PodInfo {
  const p = blankPod();
  let podIPs: string[] | undefined;
  let podIP: string | undefined;
  if (!s.open(0x7b, 'pod')) throw new JsonScanError('pod: null in items');
  for (let first = true; s.nextKey(first); first = false) {
    if (s.is(K.metadata)) {
      if (!s.open(0x7b, 'metadata')) continue;
      for (let f = true; s.nextKey(f); f = false) {
        if (s.is(K.name)) p.name = s.optString('metadata.name') ?? '';
        else if (s.is(K.namespace)) p.namespace = s.optString('metadata.namespace') ?? '';
        else if (s.is(K.labels)) p.labels = stringMap(s, 'metadata.labels');
        else if (s.is(K.deletionTimestamp)) p.terminating = !!s.value();
        else s.skip();
      }
    } else if (s.is(K.spec)) {
      if (!s.open(0x7b, 'spec')) continue;
      for (let f = true; s.nextKey(f); f = false) {
        if (s.is(K.nodeName)) p.node = s.optString('spec.nodeName');
        else if (s.is(K.hostNetwork)) p.hostNetwork = !!s.value();
        else s.skip();
      }
    } else if (s.is(K.status)) {
      if (!s.open(0x7b, 'status')) continue;
      for (let f = true; s.nextKey(f); f = false) {
        if (s.is(K.phase)) p.phase = s.optString('status.phase') ?? 'Unknown';
        else if (s.is(K.podIP)) podIP = s.optString('status.podIP');
        else if (s.is(K.podIPs)) {
          if (!s.open(0x5b, 'status.podIPs')) {
            podIPs = undefined;
            continue;
          }
          podIPs = [];
          for (let e = true; s.nextElem(e); e = false) {
            let ip: string | undefined;
            if (s.open(0x7b, 'status.podIPs[]'))
              for (let g = true; s.nextKey(g); g = false) {
                if (s.is(K.ip)) ip = s.optString('status.podIPs[].ip');
                else s.skip();
              }
            if (ip) podIPs.push(ip);
          }
        } else s.skip();
      }
    } else s.skip();
  }
  // as podInfo: podIPs when present (even empty), else podIP
  const ips = podIPs ?? (podIP ? [podIP] : []);
  for (let i = 0; i < ips.length; i++) ips[i] = canonIp(ips[i]);
  p.ips = ips;
  return p;
}

/** The PodInfo rows of a PodList body, and its continue token (when the list was asked with `limit`). */
export function parsePodList(body: Buffer): { pods: PodInfo[]; continue?: string } {
  const s = new JsonScanner(body);
  const pods: PodInfo[] = [];
  let cont: string | undefined;
  if (!s.open(0x7b, 'PodList')) throw new JsonScanError('PodList: the body is null');
  for (let first = true; s.nextKey(first); first = false) {
    if (s.is(K.items)) {
      if (!s.open(0x5b, 'items')) continue;
      for (let e = true; s.nextElem(e); e = false) pods.push(podOf(s));
    } else if (s.is(K.metadata)) {
      if (!s.open(0x7b, 'metadata')) continue;
      for (let f = true; s.nextKey(f); f = false) {
        if (s.is(K.continue)) cont = s.optString('metadata.continue');
        else s.skip();
      }
    } else s.skip();
  }
  s.end();
  return cont ? { pods, continue: cont } : { pods };
}
