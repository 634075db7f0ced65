/**
 * Pod IPs from the node's pod subnet (sim/topology.ts): .3 upward (.1 is the ovn_cluster_router
 * port, .2 the management port), v4, v6 or both with the same host offset, as ovnkube allocates.
 */
import { podSpec } from '../controllers/kinds.ts';
import { hasV4, hasV6, nodeAddressing, stripPrefix } from '../topology.ts';
import type { IpStack, KubeObject, SimNodeSpec } from '../types.ts';

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToV4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export class NodeIpam {
  private readonly used = new Set<number>();
  private next = 3;
  private readonly v4Base?: number;
  private readonly v6Prefix?: string;
  private readonly size: number;

  constructor(node: Pick<SimNodeSpec, 'name' | 'id'>, stack: IpStack) {
    const a = nodeAddressing(node, stack);
    if (hasV4(stack) && a.podSubnet.v4) {
      const [ip, len] = a.podSubnet.v4.split('/');
      this.v4Base = v4ToInt(ip);
      this.size = 2 ** (32 - Number(len));
    } else this.size = 65536;
    if (hasV6(stack) && a.podSubnet.v6) this.v6Prefix = a.podSubnet.v6.split('::/')[0];
  }

  /** Offsets 3 .. size-2; throws when the subnet is full. */
  allocate(): { offset: number; ips: string[] } {
    const max = this.size - 2;
    for (let tries = 0; tries < max; tries++) {
      const off = this.next;
      this.next = this.next >= max ? 3 : this.next + 1;
      if (!this.used.has(off)) {
        this.used.add(off);
        return { offset: off, ips: this.ipsFor(off) };
      }
    }
    throw new Error('pod subnet exhausted');
  }

  /** Marks an IP taken (ovnkube already annotated it); returns its offset or undefined when outside the subnet. */
  reserve(ip: string): number | undefined {
    let off: number | undefined;
    if (ip.includes('.') && this.v4Base !== undefined) {
      const d = v4ToInt(ip) - this.v4Base;
      if (d > 0 && d < this.size) off = d;
    } else if (ip.includes(':') && this.v6Prefix && ip.startsWith(`${this.v6Prefix}::`)) {
      const d = Number.parseInt(ip.slice(this.v6Prefix.length + 2) || '0', 16);
      if (Number.isFinite(d) && d > 0) off = d;
    }
    if (off !== undefined) this.used.add(off);
    return off;
  }

  release(offset: number | undefined): void {
    if (offset !== undefined) this.used.delete(offset);
  }

  ipsFor(off: number): string[] {
    const ips: string[] = [];
    if (this.v4Base !== undefined) ips.push(intToV4(this.v4Base + off));
    if (this.v6Prefix) ips.push(`${this.v6Prefix}::${off.toString(16)}`);
    return ips;
  }

  get inUse(): number {
    return this.used.size;
  }
}

/**
 * The IPs of a pod being started: the node IPs for hostNetwork pods; the k8s.ovn.org/pod-networks
 * annotation's addresses when ovnkube wrote one first (reserved here); else the next free offset.
 */
export function podIps(pod: KubeObject, ipam: NodeIpam | undefined, nodeIps: string[]): { ips: string[]; offset?: number } | undefined {
  if (podSpec(pod).hostNetwork) return { ips: nodeIps };
  if (!ipam) return undefined;
  const ann = pod.metadata.annotations?.['k8s.ovn.org/pod-networks'];
  if (ann) {
    try {
      const nets = JSON.parse(ann) as Record<string, { ip_addresses?: string[] }>;
      const addrs = nets.default?.ip_addresses ?? [];
      if (addrs.length) {
        const ips = addrs.map(stripPrefix);
        let offset: number | undefined;
        for (const ip of ips) offset ??= ipam.reserve(ip);
        return { ips, offset };
      }
    } catch {
      // fall through to our own allocation
    }
  }
  const a = ipam.allocate();
  return { ips: a.ips, offset: a.offset };
}
