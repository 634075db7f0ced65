/** Small IP helpers for the check (pure): family, canonical form, offsets, the served-pods address-set names. */
import type { Family } from './model.ts';
import { hashForOVN } from '../../ovn/ids.ts';

export function familyOf(ip: string): Family {
  return ip.includes(':') ? 'v6' : 'v4';
}

export function stripPrefix(cidr: string): string {
  const i = cidr.indexOf('/');
  return i < 0 ? cidr : cidr.slice(0, i);
}

const v6Cache = new Map<string, string>();

/** Canonical text of an IP (RFC 5952 for v6, via WHATWG URL), without prefix. */
export function canonIp(ip: string): string {
  const a = stripPrefix(ip.trim());
  if (!a.includes(':')) return a;
  const hit = v6Cache.get(a);
  if (hit) return hit;
  let c = a.toLowerCase();
  try {
    c = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    /* leave as is */
  }
  if (v6Cache.size > 500_000) v6Cache.clear();
  v6Cache.set(a, c);
  return c;
}

/**
 * s[from, to) as an int32 when it is an IPv4 address in canonical dotted-quad form (no leading zeros, no
 * prefix, no spaces), else undefined. Read in place: no substring, no split.
 */
export function v4Key(s: string, from = 0, to = s.length): number | undefined {
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      v = (v << 8) | octet;
      dots++;
      octet = 0;
      digits = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9 || (digits > 0 && octet === 0)) return undefined;
    octet = octet * 10 + d;
    digits++;
    if (octet > 255) return undefined;
  }
  if (digits === 0 || dots !== 3) return undefined;
  return (v << 8) | octet;
}

/** An IP as a map key: an int32 for IPv4, the canonical text otherwise. Equal keys <=> equal canonIp(). */
export type IpKey = number | string;

export function ipKey(ip: string): IpKey {
  const k = v4Key(ip);
  if (k !== undefined) return k;
  const c = canonIp(ip);
  return v4Key(c) ?? c;
}

function v4ToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 '${ip}'`);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function intToV4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function v6ToBig(ip: string): bigint {
  const full = canonIp(ip);
  const [head, tail] = full.includes('::') ? full.split('::') : [full, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 '${ip}'`);
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

function bigToV6(n: bigint): string {
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return canonIp(g.join(':'));
}

/** base network address + offset: ('100.64.0.0', 3) -> '100.64.0.3'. */
export function addOffset(base: string, offset: number): string {
  const b = stripPrefix(base);
  if (familyOf(b) === 'v4') return intToV4((v4ToInt(b) + offset) >>> 0);
  return bigToV6(v6ToBig(b) + BigInt(offset));
}

/** All host addresses of a v4 CIDR, or the first `limit` of a v6 one (network address excluded). */
export function* hostsOf(cidr: string, limit = 4096): Generator<string> {
  const [addr, lenS] = cidr.split('/');
  const len = Number(lenS);
  if (familyOf(addr) === 'v4') {
    const size = 2 ** (32 - len);
    const net = (v4ToInt(addr) & (size === 2 ** 32 ? 0 : ~(size - 1))) >>> 0;
    const last = size > 2 ? size - 1 : size; // skip broadcast
    for (let i = 1; i < last && i <= limit; i++) yield intToV4((net + i) >>> 0);
  } else {
    const bits = 128 - len;
    const mask = bits >= 128 ? 0n : ~((1n << BigInt(bits)) - 1n) & ((1n << 128n) - 1n);
    const net = v6ToBig(addr) & mask;
    for (let i = 1; i <= limit; i++) yield bigToV6(net + BigInt(i));
  }
}

/** Address_Set.name of egressip-served-pods for a family (current ids: ovn-org/ovn-kubernetes go-controller/pkg/libovsdb/ops/db_object_types.go AddressSetEgressIP, pkg/ovn/address_set/address_set.go). */
export function servedPodsAddressSetName(f: Family, network = 'default'): string {
  return hashForOVN(`default-network-controller:EgressIP:egressip-served-pods:${f}:${network}`);
}

/** The legacy name (FNV of "egressip-served-pods_v4"). */
export function legacyServedPodsAddressSetName(f: Family): string {
  return hashForOVN(`egressip-served-pods_${f}`);
}

export const JOIN_SUBNET: Record<Family, string> = { v4: '100.64.0.0/16', v6: 'fd98::/64' };

/** GR join IP from k8s.ovn.org/node-id: 100.64.0.(id+1) / fd98::(id+1), as upstream derives it. */
export function joinIpFromNodeId(id: number, f: Family): string {
  return addOffset(stripPrefix(JOIN_SUBNET[f]), id + 1);
}
