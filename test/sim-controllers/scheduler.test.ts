import { describe, expect, it } from 'vitest';
import { filterNode, fitErrorMessage, selectNode, REASON_AFFINITY, REASON_TOO_MANY_PODS } from '../../sim/controllers/scheduler.ts';
import {
  findUntoleratedTaint,
  matchLabelSelector,
  matchLabelSelectorString,
  matchNodeSelectorTerms,
  parseLabelSelector,
  toleratesTaint,
} from '../../sim/controllers/selectors.ts';
import { nodeShouldRunDaemonPod } from '../../sim/controllers/daemonset.ts';
import { maxSurgeUnavailable } from '../../sim/controllers/deployment.ts';
import { templateHash } from '../../sim/controllers/workload.ts';
import type { KubeObject } from '../../sim/types.ts';

function node(
  name: string,
  opts: {
    master?: boolean;
    taints?: { key: string; value?: string; effect: string }[];
    labels?: Record<string, string>;
    maxPods?: number;
    unschedulable?: boolean;
  } = {},
): KubeObject {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    ...(opts.master ? { 'node-role.kubernetes.io/master': '' } : { 'node-role.kubernetes.io/worker': '' }),
    ...opts.labels,
  };
  const taints = [...(opts.master ? [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] : []), ...(opts.taints ?? [])];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: { ...(taints.length ? { taints } : {}), ...(opts.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable: { pods: String(opts.maxPods ?? 250) } },
  };
}

function pod(spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c' }], ...spec } };
}

const cluster = [
  node('master-0', { master: true }),
  node('master-1', { master: true }),
  node('master-2', { master: true }),
  node('worker-0'),
  node('worker-1'),
  node('worker-2'),
];

describe('label selectors', () => {
  it('parses and matches the string syntax', () => {
    expect(parseLabelSelector('app=x,tier in (a, b),!legacy,env!=prod,k')).toEqual([
      { key: 'app', op: '=', values: ['x'] },
      { key: 'tier', op: 'in', values: ['a', 'b'] },
      { key: 'legacy', op: '!', values: [] },
      { key: 'env', op: '!=', values: ['prod'] },
      { key: 'k', op: 'exists', values: [] },
    ]);
    expect(matchLabelSelectorString({ app: 'x', tier: 'b', k: '' }, 'app=x,tier in (a,b),!legacy,env!=prod,k')).toBe(true);
    expect(matchLabelSelectorString({ app: 'x', tier: 'c', k: '' }, 'tier in (a,b)')).toBe(false);
    expect(matchLabelSelectorString({ app: 'x', legacy: '1' }, '!legacy')).toBe(false);
    expect(matchLabelSelectorString({ app: 'x' }, 'tier notin (a)')).toBe(true);
    expect(() => parseLabelSelector('a=b,,')).toThrow();
  });

  it('matches metav1.LabelSelector objects', () => {
    expect(
      matchLabelSelector(
        { app: 'a', t: 'x' },
        { matchLabels: { app: 'a' }, matchExpressions: [{ key: 't', operator: 'In', values: ['x', 'y'] }] },
      ),
    ).toBe(true);
    expect(matchLabelSelector({ app: 'a' }, { matchExpressions: [{ key: 't', operator: 'Exists' }] })).toBe(false);
    expect(matchLabelSelector({ app: 'a' }, {})).toBe(true);
    expect(matchLabelSelector({ app: 'a' }, undefined)).toBe(false);
  });

  it('matches node selector terms (ORed terms, matchFields metadata.name)', () => {
    const n = cluster[3];
    expect(matchNodeSelectorTerms(n, [{ matchExpressions: [{ key: 'node-role.kubernetes.io/worker', operator: 'Exists' }] }])).toBe(true);
    expect(
      matchNodeSelectorTerms(n, [
        { matchExpressions: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists' }] },
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-0'] }] },
      ]),
    ).toBe(true);
    expect(
      matchNodeSelectorTerms(n, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['worker-0'] }] }]),
    ).toBe(false);
    expect(matchNodeSelectorTerms(n, [{}])).toBe(false);
  });
});

describe('taints and tolerations', () => {
  const master = { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' as const };
  it('follows v1.Toleration.ToleratesTaint', () => {
    expect(toleratesTaint({ operator: 'Exists' }, master)).toBe(true);
    expect(toleratesTaint({ key: 'node-role.kubernetes.io/master', operator: 'Exists' }, master)).toBe(true);
    expect(toleratesTaint({ key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoExecute' }, master)).toBe(false);
    expect(toleratesTaint({ key: 'node-role.kubernetes.io/master', value: '' }, master)).toBe(true);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, master)).toBe(false);
    expect(findUntoleratedTaint([master, { key: 'x', effect: 'PreferNoSchedule' }], [], ['NoSchedule', 'NoExecute'])).toEqual(master);
  });
});

describe('scheduler filters and message', () => {
  it('keeps ordinary pods off masters and spreads least-loaded', () => {
    const counts: Record<string, number> = { 'worker-0': 3, 'worker-1': 1, 'worker-2': 2 };
    expect(selectNode(pod(), cluster, (n) => counts[n] ?? 0)).toEqual({ node: 'worker-1' });
    expect(selectNode(pod(), cluster, () => 0)).toEqual({ node: 'worker-0' });
  });

  it('honours nodeSelector kubernetes.io/hostname and node affinity In/NotIn/Exists', () => {
    expect(selectNode(pod({ nodeSelector: { 'kubernetes.io/hostname': 'worker-2' } }), cluster, () => 0)).toEqual({ node: 'worker-2' });
    const aff = (op: string, values?: string[]) => ({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: op, ...(values ? { values } : {}) }] }],
          },
        },
      },
    });
    expect(selectNode(pod(aff('In', ['worker-1'])), cluster, () => 0)).toEqual({ node: 'worker-1' });
    expect(selectNode(pod(aff('NotIn', ['worker-0', 'worker-1'])), cluster, () => 0)).toEqual({ node: 'worker-2' });
    expect(selectNode(pod(aff('Exists')), cluster, () => 0)).toEqual({ node: 'worker-0' });
  });

  it('lets tolerating pods onto masters', () => {
    const p = pod({
      nodeSelector: { 'node-role.kubernetes.io/master': '' },
      tolerations: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(selectNode(p, cluster, () => 0)).toEqual({ node: 'master-0' });
  });

  it('writes the kube-scheduler FitError message', () => {
    const p = pod({ nodeSelector: { disktype: 'ssd' } });
    const r = selectNode(p, cluster, () => 0);
    expect(r.node).toBeUndefined();
    expect(r.message).toBe(
      "0/6 nodes are available: 3 node(s) didn't match Pod's node affinity/selector, 3 node(s) had untolerated taint {node-role.kubernetes.io/master: }. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
    );
  });

  it('treats NotReady taints and pod limits like the real filters', () => {
    const notReady = node('worker-9', {
      taints: [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      ],
    });
    expect(filterNode(pod(), notReady, 0)?.reason).toBe('node(s) had untolerated taint {node.kubernetes.io/unreachable: }');
    expect(filterNode(pod({ tolerations: [{ operator: 'Exists' }] }), notReady, 0)).toBeUndefined();
    const full = node('worker-8', { maxPods: 2 });
    expect(filterNode(pod(), full, 2)).toEqual({ reason: REASON_TOO_MANY_PODS, unresolvable: false });
    expect(filterNode(pod({ nodeSelector: { a: 'b' } }), full, 0)?.reason).toBe(REASON_AFFINITY);
    expect(filterNode(pod(), node('w', { unschedulable: true }), 0)?.reason).toBe('node(s) were unschedulable');
    expect(
      fitErrorMessage(2, [
        { reason: REASON_TOO_MANY_PODS, unresolvable: false },
        { reason: 'node(s) had untolerated taint {node-role.kubernetes.io/master: }', unresolvable: true },
      ]),
    ).toBe(
      '0/2 nodes are available: 1 Too many pods, 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
    expect(fitErrorMessage(0, [])).toBe('no nodes available to schedule pods');
  });
});

describe('workload helpers', () => {
  it('DaemonSet eligibility: masters need a toleration, unreachable nodes keep running pods but get no new ones', () => {
    const tpl = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c' }] } };
    expect(nodeShouldRunDaemonPod(tpl, cluster[0])).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod({ ...tpl, spec: { ...tpl.spec, tolerations: [{ operator: 'Exists' as const }] } }, cluster[0])).toEqual({
      shouldRun: true,
      shouldContinueRunning: true,
    });
    const unreachable = node('w', {
      taints: [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      ],
    });
    expect(nodeShouldRunDaemonPod(tpl, unreachable)).toEqual({ shouldRun: false, shouldContinueRunning: true });
  });

  it('rolling update bounds and template hashes', () => {
    expect(maxSurgeUnavailable({ replicas: 10, selector: {}, template: { spec: { containers: [] } } })).toEqual({
      surge: 3,
      unavailable: 2,
    });
    expect(
      maxSurgeUnavailable({
        replicas: 1,
        selector: {},
        template: { spec: { containers: [] } },
        strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
      }),
    ).toEqual({ surge: 0, unavailable: 1 });
    const a = templateHash({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const b = templateHash({
      metadata: { labels: { app: 'a', 'pod-template-hash': a } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(templateHash({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'y' }] } })).not.toBe(a);
  });
});
