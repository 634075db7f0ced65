/**
 * The reference agent's crash-loop detection, on hand-made tool outputs: a crash-looping ovnkube-controller is
 * named whether the moment of the look finds it waiting in CrashLoopBackOff or briefly Running between two
 * back-offs; a container that restarted once, or restarts without a failed exit, is not called a crash loop.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../evals/agents/reference/playbook.ts';
import type { Tools } from '../../evals/agents/reference/mcp.ts';

const POD = 'ovnkube-node-abcde';

function fakeTools(restarts: number, podYaml: string): Tools {
  const out: Record<string, string> = {
    Node: 'worker-1  Ready=True  roles=worker\nworker-2  Ready=True  roles=worker',
    Namespace: 'default\nopenshift-ovn-kubernetes',
    Pod: `openshift-ovn-kubernetes/${POD}  phase=Running  node=worker-1  ready=7/8  restarts=${restarts}  age=5m`,
  };
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    if (name === 'k8s_list') return { text: out[String(args.kind)] ?? '', isError: false };
    if (name === 'k8s_get')
      return {
        text: podYaml
          .split('\n')
          .filter((l) => new RegExp(String(args.grep)).test(l))
          .join('\n'),
        isError: false,
      };
    if (name === 'k8s_pod_logs')
      return { text: 'I1203 starting\npanic: runtime error: invalid memory address or nil pointer dereference', isError: false };
    return { text: 'nothing here', isError: true };
  };
  return { call } as unknown as Tools;
}

const waiting = `status:
  containerStatuses:
    - name: ovnkube-controller
      state:
        waiting:
          reason: CrashLoopBackOff
      lastState:
        terminated:
          exitCode: 2
          reason: Error`;
const runningAgain = `status:
  containerStatuses:
    - name: ovnkube-controller
      state:
        running:
          startedAt: "2026-12-03T17:00:00Z"
      lastState:
        terminated:
          exitCode: 2
          reason: Error`;
const completed = runningAgain.replace('reason: Error', 'reason: Completed').replace('exitCode: 2', 'exitCode: 0');
const question = 'Since a short while, nothing new seems to be programmed on node worker-1. Find the root cause.';

describe('reference agent: ovnkube-controller crash loop', () => {
  it('waiting in CrashLoopBackOff: named, with the panic', async () => {
    const d = await diagnose(fakeTools(3, waiting), question);
    expect(d.category).toBe('k8s/crash-loop');
    expect(d.entities).toContain('worker-1');
    expect(d.mechanism).toMatch(/CrashLoopBackOff: it keeps restarting and crashes at start \(panic: runtime error/);
  });
  it('Running again between two back-offs, restarts growing with a failed exit: the same loop', async () => {
    const d = await diagnose(fakeTools(3, runningAgain), question);
    expect(d.category).toBe('k8s/crash-loop');
    expect(d.entities).toEqual(['worker-1', POD, 'ovnkube-controller']);
    expect(d.mechanism).toMatch(/crash-looping: it keeps restarting \(3 restarts, the last one ended in Error/);
  });
  it('one restart, or restarts that ended cleanly, are not a crash loop', async () => {
    for (const [n, yaml] of [
      [1, runningAgain],
      [4, completed],
    ] as const) {
      const d = await diagnose(fakeTools(n, yaml), question);
      expect(d.category, `restarts=${n}`).not.toBe('k8s/crash-loop');
    }
  });
});
