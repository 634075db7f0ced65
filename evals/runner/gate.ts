/**
 * The readiness gate: every condition of the case's gate must hold (polled) before the agent starts, so a
 * fault that did not take is never scored as a wrong answer. A gate that does not hold within its timeout
 * is an infrastructure error naming the condition that failed and what was seen.
 */
import type * as k8s from '@kubernetes/client-node';
import { execIn } from '../../harness/cluster/exec.ts';
import { InfraError } from '../../harness/errors.ts';
import { getCheck } from '../../harness/checks/registry.ts';
import { runCheck } from '../../harness/checks/run.ts';
import { connectPrometheus, type PromClient } from '../../harness/metrics/client.ts';
import { api } from '../../harness/scenario-kit/egressip.ts';
import { nodeReady, podReady, sleep } from '../../harness/wait/index.ts';
import type { GateCondition } from '../cases/schema.ts';
import { nodeShell, resolvePod, type StepEnv } from './inject.ts';
import { labelSelectorMatches } from '../../mcp/bundle-target.ts';

export interface ConditionResult {
  ok: boolean;
  /** what was seen, for the error message */
  seen: string;
}

export function describeCondition(c: GateCondition): string {
  switch (c.kind) {
    case 'finding':
      return `check ${c.check} reports ${c.findingKind}${c.node ? ` on ${c.node}` : ''}${c.subject ? ` about ${c.subject}` : ''}`;
    case 'check-passes':
      return `check ${c.check} passes`;
    case 'metric':
      return `${c.query} ${c.op} ${c.value}`;
    case 'pod':
      return `pod ${c.namespace}/${c.name ?? c.selector}${c.node ? ` on ${c.node}` : ''} ${c.state}`;
    case 'node':
      return `node ${c.name} ${c.ready ? 'Ready' : 'NotReady'}`;
    case 'exec':
      return `${c.argv.join(' ')} ${c.exitCode !== undefined ? `exits ${c.exitCode}` : ''}${c.stdoutMatches ? ` prints /${c.stdoutMatches}/` : ''}`.trim();
  }
}

const compare = (a: number, op: string, b: number): boolean =>
  op === '==' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;

function podState(p: k8s.V1Pod, container?: string): string[] {
  const states: string[] = [p.status?.phase ?? 'Unknown'];
  states.push(podReady(p) ? 'Ready' : 'NotReady');
  for (const cs of p.status?.containerStatuses ?? []) {
    if (container && cs.name !== container) continue;
    if (cs.state?.waiting?.reason) states.push(cs.state.waiting.reason);
    if (container && !cs.ready && !states.includes('NotReady')) states.push('NotReady');
  }
  return states;
}

type PodCondition = Extract<GateCondition, { kind: 'pod' }>;

/**
 * A pod condition on listed pods (the live gate's read, or the objects a capture listed): the pods it names (by name
 * or selector, on its node), not being deleted, and whether one of them is in the state.
 */
export function podGateResult(c: PodCondition, listed: k8s.V1Pod[]): ConditionResult {
  const pods = listed.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.metadata?.namespace === c.namespace &&
      (c.name ? p.metadata?.name === c.name : labelSelectorMatches(c.selector ?? '', p.metadata?.labels)) &&
      (!c.node || p.spec?.nodeName === c.node),
  );
  if (c.state === 'Absent') return { ok: pods.length === 0, seen: `${pods.length} pods` };
  const seen = pods.map((p) => `${p.metadata?.name}: ${podState(p, c.container).join('/')}`);
  return { ok: pods.length > 0 && pods.some((p) => podState(p, c.container).includes(c.state)), seen: seen.join('; ') || 'no pod' };
}

export class GateChecker {
  private prom?: PromClient;
  constructor(private readonly env: StepEnv) {}

  async evaluate(c: GateCondition): Promise<ConditionResult> {
    const { cluster } = this.env;
    switch (c.kind) {
      case 'finding':
      case 'check-passes': {
        const check = getCheck(c.check);
        if (!check) throw new InfraError(`gate: no check '${c.check}' is registered`);
        const r = await runCheck(check, cluster, c.params ?? {}, { signal: this.env.signal, concurrency: 8 });
        if (c.kind === 'check-passes')
          return {
            ok: r.passed,
            seen: r.passed ? 'passes' : `${r.findings.length} findings (${[...new Set(r.findings.map((f) => f.kind))].join(', ')})`,
          };
        const hit = r.findings.some(
          (f) => f.kind === c.findingKind && (!c.node || f.node === c.node) && (!c.subject || f.subject.includes(c.subject)),
        );
        return {
          ok: hit,
          seen: r.findings.length
            ? r.findings
                .slice(0, 5)
                .map((f) => `${f.kind}@${f.node ?? f.subject}`)
                .join(', ')
            : 'no findings',
        };
      }
      case 'metric': {
        this.prom ??= await connectPrometheus(cluster);
        const series = await this.prom.query(c.query, undefined, this.env.signal);
        const values = series.map((s) => s.points.at(-1)?.[1]).filter((v): v is number => typeof v === 'number');
        return {
          ok: values.length > 0 && values.every((v) => compare(v, c.op, c.value)),
          seen: values.length ? values.join(', ') : 'no samples',
        };
      }
      case 'pod': {
        const list = c.name
          ? await cluster.core
              .readNamespacedPod({ namespace: c.namespace, name: c.name })
              .then((p) => [p])
              .catch(() => [] as k8s.V1Pod[])
          : (
              await api(
                `list pods ${c.selector}`,
                cluster.core.listNamespacedPod({
                  namespace: c.namespace,
                  labelSelector: c.selector,
                  ...(c.node ? { fieldSelector: `spec.nodeName=${c.node}` } : {}),
                }),
              )
            ).items;
        return podGateResult(c, list);
      }
      case 'node': {
        const n = await api(`read node ${c.name}`, cluster.core.readNode({ name: c.name }));
        const ready = nodeReady(n);
        return { ok: ready === c.ready, seen: ready ? 'Ready' : 'NotReady' };
      }
      case 'exec': {
        const r =
          'pod' in c.target
            ? await execIn(
                cluster,
                { namespace: c.target.pod.namespace, pod: await resolvePod(cluster, c.target.pod), container: c.target.pod.container },
                c.argv,
                { timeoutMs: 30_000 },
              )
            : { ...(await nodeShell(this.env, c.target.node, c.argv)), stderr: '' };
        const codeOk = c.exitCode === undefined ? true : c.exitCode === 'nonzero' ? r.exitCode !== 0 : r.exitCode === c.exitCode;
        const outOk = c.stdoutMatches ? new RegExp(c.stdoutMatches, 'm').test(r.stdout) : true;
        return { ok: codeOk && outOk, seen: `exit ${r.exitCode}${r.stdout ? `, ${r.stdout.trim().slice(0, 120)}` : ''}` };
      }
    }
  }

  /** Poll until every condition holds; InfraError on timeout. Returns the attempts made. */
  async wait(conditions: GateCondition[], timeoutMs: number, intervalMs = 500): Promise<number> {
    const t0 = performance.now();
    let attempts = 0;
    let last: { c: GateCondition; r: ConditionResult | Error } | undefined;
    for (;;) {
      attempts++;
      let all = true;
      for (const c of conditions) {
        let r: ConditionResult | Error;
        try {
          r = await this.evaluate(c);
        } catch (err) {
          if (this.env.signal?.aborted) throw err;
          r = err as Error;
        }
        if (r instanceof Error || !r.ok) {
          all = false;
          last = { c, r };
          break;
        }
      }
      if (all) return attempts;
      if (performance.now() - t0 >= timeoutMs) {
        const seen = last ? (last.r instanceof Error ? `error: ${last.r.message}` : `seen: ${last.r.seen}`) : '';
        throw new InfraError(
          `gate: '${last ? describeCondition(last.c) : '?'}' did not hold within ${Math.round(timeoutMs / 1000)} s (${seen})`,
          'the fault did not take (or the gate expects the wrong thing); the trial is retried, not scored',
        );
      }
      await sleep(intervalMs, this.env.signal);
    }
  }
}
