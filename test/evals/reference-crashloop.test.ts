/**
 * The reference agent's crash-loop detection, on hand-made tool outputs: a crash-looping ovnkube-controller is
 * named whether the first look finds it waiting in CrashLoopBackOff or Running for a moment between two back-offs
 * (it looks again and sees the back-off or the restart count grow); a pod that crashed before and has been up
 * since (same restart count on every look), or whose last exit was clean, is not called a crash loop.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../evals/agents/reference/playbook.ts';
import type { Tools } from '../../evals/agents/reference/mcp.ts';

const POD = 'ovnkube-node-abcde';

/** One YAML per k8s_get call, in order (the last one repeats). */
function fakeTools(podYamls: string[]): Tools & { gets: number } {
  const out: Record<string, string> = {
    Node: 'worker-1  Ready=True  roles=worker\nworker-2  Ready=True  roles=worker',
    Namespace: 'default\nopenshift-ovn-kubernetes',
    Pod: `openshift-ovn-kubernetes/${POD}  phase=Running  node=worker-1  ready=8/8  restarts=3  age=5m`,
  };
  const tools = {
    gets: 0,
    async call(name: string, args: Record<string, unknown> = {}) {
      if (name === 'k8s_list') return { text: out[String(args.kind)] ?? '', isError: false };
      if (name === 'k8s_get') {
        const yaml = podYamls[Math.min(tools.gets++, podYamls.length - 1)]!;
        return {
          text: yaml
            .split('\n')
            .filter((l) => new RegExp(String(args.grep)).test(l))
            .join('\n'),
          isError: false,
        };
      }
      if (name === 'k8s_pod_logs')
        return { text: 'I1203 starting\npanic: runtime error: invalid memory address or nil pointer dereference', isError: false };
      return { text: 'nothing here', isError: true };
    },
  };
  return tools as unknown as Tools & { gets: number };
}

const pod = (state: string, restarts: number, last = 'Error') => `status:
  containerStatuses:
    - name: ovnkube-controller
      restartCount: ${restarts}
      state:
${state}
      lastState:
        terminated:
          exitCode: ${last === 'Error' ? 2 : 0}
          reason: ${last}`;
const waiting = (n: number) => pod('        waiting:\n          reason: CrashLoopBackOff', n);
const running = (n: number, last = 'Error') => pod('        running:\n          startedAt: "2026-12-03T17:00:00Z"', n, last);
const question = 'Since a short while, nothing new seems to be programmed on node worker-1. Find the root cause.';

describe('reference agent: ovnkube-controller crash loop', () => {
  it('waiting in CrashLoopBackOff at the first look: named, with the panic', async () => {
    const t = fakeTools([waiting(3)]);
    const d = await diagnose(t, question);
    expect(d.category).toBe('k8s/crash-loop');
    expect(d.entities).toEqual(['worker-1', POD, 'ovnkube-controller']);
    expect(d.mechanism).toMatch(/CrashLoopBackOff: it keeps restarting and crashes at start \(panic: runtime error/);
    expect(t.gets).toBe(1);
  });
  it('Running between two back-offs at the first look: the next look sees the back-off', async () => {
    const t = fakeTools([running(3), waiting(3)]);
    const d = await diagnose(t, question);
    expect(d.category).toBe('k8s/crash-loop');
    expect(d.mechanism).toMatch(/is in CrashLoopBackOff/);
    expect(t.gets).toBe(2);
  });
  it('Running on every look, but the restart count grows: the same loop', async () => {
    const t = fakeTools([running(3), running(3), running(4)]);
    const d = await diagnose(t, question);
    expect(d.category).toBe('k8s/crash-loop');
    expect(d.mechanism).toMatch(/its restart count grew within seconds/);
    expect(t.gets).toBe(3);
  }, 20_000);
  it('crashed before and up since (same count on every look), or a clean last exit: not a crash loop', async () => {
    const healed = fakeTools([running(3)]);
    expect((await diagnose(healed, question)).category).not.toBe('k8s/crash-loop');
    expect(healed.gets).toBe(3);
    const clean = fakeTools([running(3, 'Completed')]);
    expect((await diagnose(clean, question)).category).not.toBe('k8s/crash-loop');
    expect(clean.gets).toBe(1);
  }, 20_000);
});
