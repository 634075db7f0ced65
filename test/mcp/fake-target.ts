/** An in-memory Target that records every call; node commands answer from canned outputs. */
import type { CommandOutput, K8sObject, ListQuery, LogQuery, NodeCommand, Target } from '../../mcp/target.ts';

export interface FakeCall {
  op: 'list' | 'get' | 'logs' | 'nodeExec';
  args: unknown;
}

export class FakeTarget implements Target {
  readonly description = 'fake';
  readonly mode = 'live' as const;
  calls: FakeCall[] = [];
  constructor(
    public objects: K8sObject[] = [],
    public outputs: (cmd: NodeCommand) => Partial<CommandOutput> = () => ({ stdout: '' }),
    public logText = '',
  ) {}
  async list(q: ListQuery): Promise<K8sObject[]> {
    this.calls.push({ op: 'list', args: q });
    return this.objects
      .filter((o) => o.kind === q.kind && (!q.namespace || o.metadata?.namespace === q.namespace))
      .map((o) => structuredClone(o));
  }
  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<K8sObject | undefined> {
    this.calls.push({ op: 'get', args: { apiVersion, kind, name, namespace } });
    const o = this.objects.find((x) => x.kind === kind && x.metadata?.name === name && (!namespace || x.metadata?.namespace === namespace));
    return o ? structuredClone(o) : undefined;
  }
  async logs(q: LogQuery): Promise<string> {
    this.calls.push({ op: 'logs', args: q });
    return this.logText;
  }
  async nodeExec(cmd: NodeCommand): Promise<CommandOutput> {
    this.calls.push({ op: 'nodeExec', args: cmd });
    const o = this.outputs(cmd);
    return { stdout: o.stdout ?? '', stderr: o.stderr ?? '', exitCode: o.exitCode ?? 0, where: `ovnkube-node-x/${cmd.container}` };
  }
  async nodes(): Promise<string[]> {
    return ['ovn-worker', 'ovn-worker2'];
  }
  async close(): Promise<void> {}
}

export const NAT_JSON = JSON.stringify({
  headings: ['_uuid', 'external_ids', 'external_ip', 'logical_ip', 'logical_port', 'options', 'type'],
  data: Array.from({ length: 300 }, (_, i) => [
    ['uuid', `0000-${i}`],
    [
      'map',
      [
        ['k8s.ovn.org/name', `eip_ns/pod-${i}`],
        ['k8s.ovn.org/owner-type', 'EgressIP'],
      ],
    ],
    '172.18.0.33',
    `10.128.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    'k8s-ovn-worker2',
    ['map', [['stateless', 'false']]],
    'snat',
  ]),
});

export function sampleObjects(): K8sObject[] {
  const now = new Date().toISOString();
  return [
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ovn-worker', labels: { 'k8s.ovn.org/egress-assignable': '' }, creationTimestamp: now },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ovn-worker2', creationTimestamp: now },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '172.18.0.3' }] },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod', labels: { env: 'prod' }, creationTimestamp: now } },
    ...Array.from({ length: 5 }, (_, i): K8sObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: 'prod', labels: { app: 'web' }, creationTimestamp: now, managedFields: [{ manager: 'x' }] },
      spec: { nodeName: i % 2 ? 'ovn-worker' : 'ovn-worker2', containers: [{ name: 'web', image: 'nginx' }] },
      status: { phase: 'Running', podIP: `10.128.0.${i + 5}`, containerStatuses: [{ ready: true, restartCount: 0 }] },
    })),
    {
      apiVersion: 'k8s.ovn.org/v1',
      kind: 'EgressIP',
      metadata: { name: 'eip-prod', creationTimestamp: now },
      spec: {
        egressIPs: ['172.18.0.33', '172.18.0.34'],
        namespaceSelector: { matchLabels: { env: 'prod' } },
        podSelector: { matchLabels: { app: 'web' } },
      },
      status: { items: [{ node: 'ovn-worker', egressIP: '172.18.0.33' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'prod', creationTimestamp: now },
      type: 'Warning',
      reason: 'BackOff',
      involvedObject: { kind: 'Pod', name: 'web-1' },
      message: 'Back-off restarting',
      lastTimestamp: now,
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'prod' }, data: { t: 'c2VjcmV0' } },
  ];
}
