/**
 * Free EgressIP addresses from the nodes' primary subnet (`k8s.ovn.org/node-primary-ifaddr`), as
 * kube-burner-ocp's egressip workload picks them: skip the first 4 addresses, every node IP (primary
 * ifaddr, host-cidrs, status addresses), the gateway next-hops (`k8s.ovn.org/l3-gateway-config`), the
 * broadcast address and addresses already used by EgressIPs.
 */
import type * as k8s from '@kubernetes/client-node';
import { canonIp, familyOf, hostsOf, stripPrefix } from './net.ts';
import type { Family } from './model.ts';

function jsonOr<T>(s: string | undefined, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

/** Every address of the nodes that must not become an EgressIP. */
export function nodeAddresses(nodes: k8s.V1Node[]): Set<string> {
  const out = new Set<string>();
  for (const n of nodes) {
    const a = n.metadata?.annotations ?? {};
    const prim = jsonOr<{ ipv4?: string; ipv6?: string }>(a['k8s.ovn.org/node-primary-ifaddr'], {});
    for (const v of [prim.ipv4, prim.ipv6]) if (v) out.add(canonIp(v));
    for (const c of jsonOr<string[]>(a['k8s.ovn.org/host-cidrs'], [])) out.add(canonIp(c));
    for (const addr of n.status?.addresses ?? [])
      if (addr.type === 'InternalIP' || addr.type === 'ExternalIP') out.add(canonIp(addr.address));
    const gw = jsonOr<Record<string, { 'next-hops'?: string[]; 'next-hop'?: string; 'ip-addresses'?: string[] }>>(
      a['k8s.ovn.org/l3-gateway-config'],
      {},
    );
    for (const cfg of Object.values(gw)) {
      for (const h of cfg?.['next-hops'] ?? []) out.add(canonIp(h));
      if (cfg?.['next-hop']) out.add(canonIp(cfg['next-hop']));
      for (const ip of cfg?.['ip-addresses'] ?? []) out.add(canonIp(ip));
    }
  }
  return out;
}

/** The primary subnet (CIDR) of a family, from the first node that has one. */
export function primarySubnet(nodes: k8s.V1Node[], f: Family): string | undefined {
  for (const n of nodes) {
    const prim = jsonOr<{ ipv4?: string; ipv6?: string }>(n.metadata?.annotations?.['k8s.ovn.org/node-primary-ifaddr'], {});
    const cidr = f === 'v4' ? prim.ipv4 : prim.ipv6;
    if (cidr && cidr.includes('/')) {
      const [, len] = cidr.split('/');
      // network address of the CIDR: hostsOf computes from any address inside it
      const first = hostsOf(cidr, 1).next().value;
      if (!first) return undefined;
      return `${first}/${len}`;
    }
  }
  return undefined;
}

/** `count` free addresses of family `f`, lowest first, or fewer if the subnet runs out. */
export function pickFreeEgressIPs(nodes: k8s.V1Node[], used: Iterable<string>, count: number, f: Family, skipFirst = 4): string[] {
  const subnet = primarySubnet(nodes, f);
  if (!subnet) return [];
  const taken = nodeAddresses(nodes);
  for (const u of used) taken.add(canonIp(u));
  const out: string[] = [];
  let i = 0;
  for (const ip of hostsOf(subnet, 1 << 16)) {
    i++;
    if (i <= skipFirst) continue;
    const c = canonIp(ip);
    if (familyOf(c) !== f || taken.has(c)) continue;
    out.push(c);
    if (out.length >= count) break;
  }
  return out;
}

export { stripPrefix };
