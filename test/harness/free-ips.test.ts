import { describe, it, expect } from 'vitest';
import type * as k8s from '@kubernetes/client-node';
import { pickFreeEgressIPs, nodeAddresses } from '../../harness/checks/egressip/free-ips.ts';
import { parseKubeconfigPath } from '../../harness/runner/sim-target.ts';
import { joinIpFromNodeId, canonIp, hostsOf } from '../../harness/checks/egressip/net.ts';

function node(name: string, i: number, dual = false): k8s.V1Node {
  const v4 = `192.168.126.${10 + i}`;
  const v6 = `fd00:126::${(10 + i).toString(16)}`;
  return {
    metadata: {
      name,
      annotations: {
        'k8s.ovn.org/node-primary-ifaddr': JSON.stringify(dual ? { ipv4: `${v4}/24`, ipv6: `${v6}/64` } : { ipv4: `${v4}/24` }),
        'k8s.ovn.org/host-cidrs': JSON.stringify([`${v4}/24`]),
        'k8s.ovn.org/l3-gateway-config': JSON.stringify({
          default: { mode: 'shared', 'next-hops': ['192.168.126.1'], 'ip-addresses': [`${v4}/24`] },
        }),
      },
    },
    status: { addresses: [{ type: 'InternalIP', address: v4 }] },
  };
}

describe('free EgressIP addresses (kube-burner-ocp style)', () => {
  const nodes = [1, 2, 3, 4, 5, 6].map((i) => node(`n${i}`, i, true));
  it('skips the first 4 addresses, node IPs, the gateway and used IPs', () => {
    const ips = pickFreeEgressIPs(nodes, ['192.168.126.6'], 10, 'v4');
    expect(ips).toEqual([
      '192.168.126.5',
      '192.168.126.7',
      '192.168.126.8',
      '192.168.126.9',
      '192.168.126.10',
      '192.168.126.17',
      '192.168.126.18',
      '192.168.126.19',
      '192.168.126.20',
      '192.168.126.21',
    ]);
    expect(nodeAddresses(nodes).has('192.168.126.1')).toBe(true);
  });
  it('IPv6 from the v6 primary subnet', () => {
    const ips = pickFreeEgressIPs(nodes, [], 3, 'v6');
    expect(ips).toEqual(['fd00:126::5', 'fd00:126::6', 'fd00:126::7']);
  });
  it('runs out gracefully', () => {
    expect(pickFreeEgressIPs(nodes, [], 1000, 'v4').length).toBe(254 - 4 - 6);
    expect(pickFreeEgressIPs([], [], 3, 'v4')).toEqual([]);
  });
});

describe('net helpers', () => {
  it('join IP from node-id, canonical v6, hosts', () => {
    expect(joinIpFromNodeId(1, 'v4')).toBe('100.64.0.2');
    expect(joinIpFromNodeId(300, 'v4')).toBe('100.64.1.45');
    expect(joinIpFromNodeId(4, 'v6')).toBe('fd98::5');
    expect(canonIp('FD01:0000:0:0::0A/64')).toBe('fd01::a');
    expect([...hostsOf('10.0.0.0/30')]).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});

describe('sim target', () => {
  it('reads the kubeconfig path the sim prints', () => {
    expect(parseKubeconfigPath('export KUBECONFIG=/tmp/x/kubeconfig\n', '/nonexistent')).toBe('/tmp/x/kubeconfig');
    expect(parseKubeconfigPath('{"kubeconfig":"/a/b"}', '/nonexistent')).toBe('/a/b');
    expect(parseKubeconfigPath('ready\nkubeconfig: /c/kubeconfig\n', '/nonexistent')).toBe('/c/kubeconfig');
    expect(parseKubeconfigPath('nothing here', '/nonexistent')).toBeUndefined();
  });
});
