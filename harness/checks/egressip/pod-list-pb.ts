/**
 * The API's pod list in the Kubernetes protobuf encoding (`Accept: application/vnd.kubernetes.protobuf`), read
 * straight into the check's PodInfo rows. The protobuf body is about half the JSON one, and what the check does
 * not read (containers, conditions, annotations, managedFields) is skipped by its length prefix instead of byte by
 * byte, so the biggest API read of the check costs a fraction of the JSON scan (pod-list.ts). client-go asks for
 * the same encoding (ovnkube's own clients do), and so does e.g. VictoriaMetrics' Kubernetes discovery.
 *
 * Wire format (k8s.io/apimachinery pkg/runtime/serializer/protobuf): the magic `k8s\0`, then a runtime.Unknown
 * {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}; raw is a v1.PodList
 * {1 ListMeta {3 continue}, 2 repeated Pod}. Field numbers from kubernetes/api core/v1/generated.proto:
 * Pod {1 metadata, 2 spec, 3 status}; ObjectMeta {1 name, 3 namespace, 9 deletionTimestamp, 11 labels};
 * PodSpec {10 nodeName, 11 hostNetwork}; PodStatus {1 phase, 6 podIP, 12 podIPs}; PodIP {1 ip}; a map is
 * repeated {1 key, 2 value}.
 *
 * Same PodInfo as the JSON scan of the same list (test/harness/egressip-pod-list-pb.test.ts); a body that is not
 * such a message, or is cut short, throws a PodListDecodeError naming the byte offset.
 */
import { canonIp } from './net.ts';
import type { PodInfo } from './model.ts';
import { blankPod } from './pod-list.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

export class PodListDecodeError extends Error {
  override name = 'PodListDecodeError';
}

/** A cursor over protobuf fields of one message, [i, end) of b. */
class Fields {
  tag = 0;
  /** wire type of the last field */
  wt = 0;
  /** value range of the last length-delimited field */
  s = 0;
  e = 0;
  /** value of the last varint field (exact up to 2^53) */
  v = 0;
  constructor(
    private readonly b: Buffer,
    private i: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  private fail(msg: string, at = this.i): never {
    throw new PodListDecodeError(`${this.what}: ${msg} at byte ${at}`);
  }

  private varint(): number {
    const b = this.b;
    let x = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (this.i >= this.end) this.fail('cut short in a varint');
      const c = b[this.i++]!;
      x += (c & 0x7f) * mul;
      if (c < 0x80) return x;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** The next field (tag, wire type and value read); false at the end of the message. */
  next(): boolean {
    if (this.i >= this.end) return false;
    const at = this.i;
    const key = this.varint();
    this.tag = Math.floor(key / 8);
    this.wt = key & 7;
    if (this.tag === 0) this.fail('field number 0', at);
    switch (this.wt) {
      case 0:
        this.v = this.varint();
        break;
      case 1:
      case 5: {
        const n = this.wt === 1 ? 8 : 4;
        if (this.i + n > this.end) this.fail('cut short in a fixed-size field');
        this.i += n;
        break;
      }
      case 2: {
        const n = this.varint();
        if (this.i + n > this.end) this.fail(`field ${this.tag} of ${n} bytes runs past its message`);
        this.s = this.i;
        this.e = this.i + n;
        this.i = this.e;
        break;
      }
      default:
        this.fail(`wire type ${this.wt} of field ${this.tag} (groups are not used by Kubernetes)`, at);
    }
    return true;
  }

  private want(wt: number, what: string): void {
    if (this.wt !== wt) this.fail(`${what}: wire type ${this.wt}, expected ${wt}`);
  }

  string(what: string): string {
    this.want(2, what);
    return this.b.toString('utf8', this.s, this.e);
  }

  bool(what: string): boolean {
    this.want(0, what);
    return this.v !== 0;
  }

  message(what: string): Fields {
    this.want(2, what);
    return new Fields(this.b, this.s, this.e, what);
  }
}

function labelsOf(f: Fields, into: Record<string, string>): void {
  const entry = f.message('metadata.labels');
  let k = '';
  let v = '';
  while (entry.next()) {
    if (entry.tag === 1) k = entry.string('labels key');
    else if (entry.tag === 2) v = entry.string('labels value');
  }
  into[k] = v;
}

function podOf(f: Fields): PodInfo {
  const p = blankPod();
  let podIP: string | undefined;
  let podIPs: string[] | undefined;
  while (f.next()) {
    if (f.tag === 1) {
      const m = f.message('metadata');
      while (m.next()) {
        if (m.tag === 1) p.name = m.string('metadata.name');
        else if (m.tag === 3) p.namespace = m.string('metadata.namespace');
        else if (m.tag === 9)
          p.terminating = true; // deletionTimestamp is set
        else if (m.tag === 11) labelsOf(m, p.labels);
      }
    } else if (f.tag === 2) {
      const s = f.message('spec');
      while (s.next()) {
        if (s.tag === 10) p.node = s.string('spec.nodeName') || undefined;
        else if (s.tag === 11) p.hostNetwork = s.bool('spec.hostNetwork');
      }
    } else if (f.tag === 3) {
      const s = f.message('status');
      while (s.next()) {
        if (s.tag === 1) p.phase = s.string('status.phase') || 'Unknown';
        else if (s.tag === 6) podIP = s.string('status.podIP');
        else if (s.tag === 12) {
          const e = s.message('status.podIPs[]');
          while (e.next()) if (e.tag === 1) (podIPs ??= []).push(e.string('status.podIPs[].ip'));
        }
      }
    }
  }
  // as podInfo: podIPs when present, else podIP (protobuf has no "present but empty" list)
  const ips = podIPs ? podIPs.filter((x) => x) : podIP ? [podIP] : [];
  for (let i = 0; i < ips.length; i++) ips[i] = canonIp(ips[i]!);
  p.ips = ips;
  return p;
}

/** The PodInfo rows of a protobuf PodList body, and its continue token (when the list was asked with `limit`). */
export function parsePodListProtobuf(body: Buffer): { pods: PodInfo[]; continue?: string } {
  for (let k = 0; k < MAGIC.length; k++)
    if (body[k] !== MAGIC[k]) throw new PodListDecodeError(`not a Kubernetes protobuf body (no "k8s\\0" magic; ${body.length} bytes)`);
  const env = new Fields(body, MAGIC.length, body.length, 'runtime.Unknown');
  let kind = '';
  let apiVersion = '';
  let raw: Fields | undefined;
  while (env.next()) {
    if (env.tag === 1) {
      const t = env.message('typeMeta');
      while (t.next()) {
        if (t.tag === 1) apiVersion = t.string('typeMeta.apiVersion');
        else if (t.tag === 2) kind = t.string('typeMeta.kind');
      }
    } else if (env.tag === 2) raw = env.message('PodList');
  }
  if (kind !== 'PodList' || apiVersion !== 'v1')
    throw new PodListDecodeError(`expected a v1 PodList, got ${apiVersion || '?'} ${kind || '?'}`);
  // a body cut right after the type has no items field at all: an error, not an empty list
  if (!raw) throw new PodListDecodeError(`the v1 PodList has no raw message (${body.length} bytes: cut short?)`);
  const pods: PodInfo[] = [];
  let cont: string | undefined;
  while (raw.next()) {
    if (raw.tag === 2) pods.push(podOf(raw.message('items[]')));
    else if (raw.tag === 1) {
      const m = raw.message('metadata');
      while (m.next()) if (m.tag === 3) cont = m.string('metadata.continue') || undefined;
    }
  }
  return cont ? { pods, continue: cont } : { pods };
}
