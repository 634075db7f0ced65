/**
 * A capture shows the fault: the gate's pod conditions are checked on the pods the capture listed, not only on the
 * gate's own earlier read (a crash-looping container leaves CrashLoopBackOff between restarts, and a bundle that
 * listed it Running showed the replayed agent nothing: CI at 8557001, replay-bundle). podGateResult is the one
 * evaluator of pod conditions, for the live gate and the capture.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { podGateResult } from '../../evals/runner/gate.ts';
import { GATE_RELISTS, relistAtGate } from '../../evals/replay/capture.ts';
import type { Manifest } from '../../mcp/bundle-format.ts';
import type { K8sObject } from '../../mcp/target.ts';
import { InfraError } from '../../harness/errors.ts';

const NS = 'openshift-ovn-kubernetes';

function pod(name: string, node: string, waiting?: string, extra: Partial<k8s.V1Pod> = {}): k8s.V1Pod {
  return {
    metadata: { name, namespace: NS, labels: { app: 'ovnkube-node' }, ...extra.metadata },
    spec: { nodeName: node, containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: waiting ? 'False' : 'True' }],
      containerStatuses: [
        {
          name: 'ovnkube-controller',
          ready: !waiting,
          restartCount: waiting ? 3 : 0,
          image: 'x',
          imageID: 'x',
          state: waiting ? { waiting: { reason: waiting } } : { running: {} },
        },
        { name: 'nbdb', ready: true, restartCount: 0, image: 'x', imageID: 'x', state: { running: {} } },
      ],
    },
  };
}

type PodCondition = Parameters<typeof podGateResult>[0];
const crashloop: PodCondition = {
  kind: 'pod',
  namespace: NS,
  selector: 'app=ovnkube-node',
  node: 'worker-1',
  container: 'ovnkube-controller',
  state: 'CrashLoopBackOff',
};

describe('podGateResult', () => {
  it('holds for the selected pod on the node in the state, and only there', () => {
    expect(podGateResult(crashloop, [pod('a', 'worker-0'), pod('b', 'worker-1', 'CrashLoopBackOff')]).ok).toBe(true);
    // the same state on another node, another namespace, or a pod being deleted does not count
    expect(podGateResult(crashloop, [pod('a', 'worker-0', 'CrashLoopBackOff'), pod('b', 'worker-1')]).ok).toBe(false);
    const other = pod('b', 'worker-1', 'CrashLoopBackOff');
    other.metadata!.namespace = 'default';
    expect(podGateResult(crashloop, [other]).ok).toBe(false);
    const deleting = pod('b', 'worker-1', 'CrashLoopBackOff');
    deleting.metadata!.deletionTimestamp = new Date();
    expect(podGateResult(crashloop, [deleting])).toEqual({ ok: false, seen: 'no pod' });
    // another label, another container's state
    const unlabelled = pod('b', 'worker-1', 'CrashLoopBackOff');
    unlabelled.metadata!.labels = { app: 'other' };
    expect(podGateResult(crashloop, [unlabelled]).ok).toBe(false);
    expect(podGateResult({ ...crashloop, container: 'nbdb' }, [pod('b', 'worker-1', 'CrashLoopBackOff')]).ok).toBe(false);
  });

  it('names the pods and states it saw; Absent and by-name conditions', () => {
    const r = podGateResult(crashloop, [pod('b', 'worker-1')]);
    expect(r).toEqual({ ok: false, seen: 'b: Running/Ready' });
    expect(podGateResult({ ...crashloop, state: 'Absent' } as PodCondition, [pod('a', 'worker-0')])).toEqual({ ok: true, seen: '0 pods' });
    expect(podGateResult({ ...crashloop, state: 'Absent' } as PodCondition, [pod('b', 'worker-1')]).ok).toBe(false);
    const byName: PodCondition = { kind: 'pod', namespace: NS, name: 'b', state: 'NotReady' };
    expect(podGateResult(byName, [pod('b', 'worker-1', 'CrashLoopBackOff')]).ok).toBe(true);
    expect(podGateResult(byName, [pod('c', 'worker-1', 'CrashLoopBackOff')]).ok).toBe(false);
  });
});

describe('relistAtGate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nh-capture-gate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = (): Manifest =>
    ({
      kinds: [
        { apiVersion: 'v1', kind: 'Node', file: 'objects/Node.json', count: 0 },
        { apiVersion: 'v1', kind: 'Pod', file: 'Pod.json', count: 0 },
        { apiVersion: 'v1', kind: 'Namespace', file: 'Namespace.json', count: 0 },
      ],
    }) as unknown as Manifest;
  const holds = (pods: k8s.V1Pod[]) => {
    const r = podGateResult(crashloop, pods);
    return r.ok ? undefined : r.seen;
  };

  it('lists the pods again (after another regate) until they show the gate, then the other kinds', async () => {
    const m = manifest();
    m.kinds[0].file = 'Node.json';
    // the first list catches the container between two back-offs (Running), the second in CrashLoopBackOff
    const podLists = [[pod('b', 'worker-1')], [pod('b', 'worker-1', 'CrashLoopBackOff')]];
    const calls: string[] = [];
    let regates = 0;
    const list = async (k: { kind: string }): Promise<K8sObject[]> => {
      calls.push(k.kind);
      return (k.kind === 'Pod' ? podLists.shift()! : [{ metadata: { name: 'x' } }]) as K8sObject[];
    };
    await relistAtGate(dir, m, list, async () => regates++, holds);
    expect(regates).toBe(2);
    expect(calls).toEqual(['Pod', 'Pod', 'Node', 'Namespace']);
    const written = JSON.parse(readFileSync(join(dir, 'Pod.json'), 'utf8')) as k8s.V1Pod[];
    expect(written[0].status?.containerStatuses?.[0].state?.waiting?.reason).toBe('CrashLoopBackOff');
  });

  it('never showing the gate is an InfraError naming the condition and what was listed, after GATE_RELISTS tries', async () => {
    const m = manifest();
    m.kinds[0].file = 'Node.json';
    let regates = 0;
    const err = await relistAtGate(
      dir,
      m,
      async (k) => (k.kind === 'Pod' ? [pod('b', 'worker-1')] : []) as K8sObject[],
      async () => regates++,
      holds,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as Error).message).toMatch(/after 5 tries the listed pods still did not show the gate: b: Running\/Ready/);
    expect(regates).toBe(GATE_RELISTS);
  });
});
