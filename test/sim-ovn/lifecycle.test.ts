import { describe, expect, it } from 'vitest';
import { nodeRebooting, podNode, podRunning, wantedState } from '../../sim/ovn/lifecycle.ts';
import type { KubeObject } from '../../sim/types.ts';

const pod = (phase: string, deleting = false): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'ovnkube-node-x',
    namespace: 'openshift-ovn-kubernetes',
    ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: { nodeName: 'worker-0' },
  status: { phase },
});
const node = (rebooting: boolean): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'worker-0', annotations: rebooting ? { 'sim.netharness.io/rebooting': 'true' } : {} },
});

describe('OVN lifecycle wanted state (pure)', () => {
  it('pod helpers', () => {
    expect(podRunning(pod('Running'))).toBe(true);
    expect(podRunning(pod('Running', true))).toBe(false);
    expect(podRunning(pod('Pending'))).toBe(false);
    expect(podNode(pod('Running'))).toBe('worker-0');
    expect(nodeRebooting(node(true))).toBe(true);
    expect(nodeRebooting(node(false))).toBe(false);
  });

  it('no pod seen yet: everything runs (processes start with the cluster)', () => {
    expect(wantedState(undefined, [], false)).toEqual({ host: true, pod: true });
    expect(wantedState(node(false), [pod('Pending')], false)).toEqual({ host: true, pod: true });
  });

  it('pod was running and is gone / terminating / failed: pod processes stop, host stays', () => {
    expect(wantedState(node(false), [], true)).toEqual({ host: true, pod: false });
    expect(wantedState(node(false), [pod('Running', true)], true)).toEqual({ host: true, pod: false });
    expect(wantedState(node(false), [pod('Failed')], true)).toEqual({ host: true, pod: false });
  });

  it('a replacement pod running: pod processes run', () => {
    expect(wantedState(node(false), [pod('Running', true), pod('Running')], true)).toEqual({ host: true, pod: true });
  });

  it('rebooting node: nothing runs, whatever the pod says', () => {
    expect(wantedState(node(true), [pod('Running')], true)).toEqual({ host: false, pod: false });
    expect(wantedState(node(true), [], false)).toEqual({ host: false, pod: false });
  });
});
