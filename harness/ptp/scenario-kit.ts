/**
 * The PTP fault scenarios' shared flow (scenarios/ptp-*.ts): pick a PTP node and its profile, wait for a
 * healthy baseline, sample the node's metrics every `pollSeconds` (5 s as the conformance suite polls,
 * divided by the sim speed on the sim), inject, wait for the degraded state, clear, wait for recovery within
 * the conformance limits (FAULTY within 3 min of link down, SLAVE within 5 min of link up, offset in range
 * within 2 min), record the measurements and a summary table. Reached through the kubeconfig only.
 */
import { z } from 'zod';
import type * as k8s from '@kubernetes/client-node';
import { scenario, type Scenario, type TestContext } from '../runner/scenario.ts';
import type { Cluster } from '../cluster/connect.ts';
import { describeApiError, execIn } from '../cluster/exec.ts';
import { InfraError, UsageError } from '../errors.ts';
import { debugPod } from '../chaos/node-actions.ts';
import { sleep, waitFor } from '../wait/index.ts';
import { faultIdParam, switchFault } from '../scenario-kit/egressip.ts';
import {
  DAEMON_CONTAINER,
  PTP_GROUP,
  PTP_NAMESPACE,
  PTP_VERSION,
  currentState,
  eventPublisherEnabled,
  listDaemonPods,
  readMetricsText,
  stateOf,
} from './cluster.ts';
import { interpretPtpMetrics, type ClockState, type Role } from './metrics.ts';
import { sampleFrom, summariseRecovery, type PtpSample, type Recovery } from './recovery.ts';
import { profileFromSpec, type ProfileSpec } from '../checks/ptp/model.ts';

export const ptpScenarioParams = z.object({
  /** node to fault; default: the first node the PtpConfig matchList selects */
  node: z.string().default(''),
  /** interface to take down / watch; default: the profile's first slave interface */
  iface: z.string().default(''),
  /** the conformance suite's poll period (s), divided by the speed factor */
  pollSeconds: z.number().min(0.05).default(5),
  /** divide the conformance limits and the poll by this (the sim's speed factor; 1 on a real cluster) */
  speed: z.number().min(1).default(1),
  /** how long the fault stays before it is cleared (s, real time before the speed division) */
  holdSeconds: z.number().min(0).default(30),
  debugImage: z.string().default('registry.redhat.io/rhel9/support-tools'),
  /** sim only: also switch this fault of the fault library on, after the healthy baseline and before the injection (the scenario must then fail) */
  fault: faultIdParam,
  faultValue: z.string().default('on'),
  /** ptp-gm-loss: the fault-library id that stops the grandmaster's announces (the embedded cluster's catalogue) */
  gmFault: z.string().default('ptp-grandmaster-loss'),
});
export type PtpScenarioParams = z.output<typeof ptpScenarioParams>;

/** The conformance limits (openshift/ptp-operator test/conformance/serial/ptp.go), seconds. */
export const LIMITS = { faultyS: 180, slaveS: 300, offsetS: 120, holdoverS: 180, processS: 180 };

export interface PtpTarget {
  node: string;
  pod: string;
  profile: ProfileSpec;
  iface: string;
}

export async function pickPtpTarget(cluster: Cluster, p: PtpScenarioParams): Promise<PtpTarget> {
  let configs: {
    metadata?: { name?: string };
    spec?: { profile?: Record<string, unknown>[] };
    status?: { matchList?: { nodeName?: string; profile?: string }[] };
  }[];
  try {
    configs =
      (
        (await cluster.custom.listNamespacedCustomObject({
          group: PTP_GROUP,
          version: PTP_VERSION,
          namespace: PTP_NAMESPACE,
          plural: 'ptpconfigs',
        })) as { items?: typeof configs }
      ).items ?? [];
  } catch (err) {
    throw new InfraError(`list PtpConfigs: ${describeApiError(err)}`, 'is the PTP operator installed?');
  }
  const profiles = new Map(configs.flatMap((c) => (c.spec?.profile ?? []).map((x) => [String(x.name), profileFromSpec(x)] as const)));
  const matches = configs.flatMap((c) => c.status?.matchList ?? []).filter((m) => m.nodeName && m.profile && profiles.has(m.profile));
  const m = p.node ? matches.find((x) => x.nodeName === p.node) : matches.sort((a, b) => a.nodeName!.localeCompare(b.nodeName!))[0];
  if (!m)
    throw new UsageError(
      p.node
        ? `--param node=${p.node}: no PtpConfig profile applies to it (status.matchList)`
        : 'no node has a PTP profile (PtpConfig status.matchList is empty)',
    );
  const profile = profiles.get(m.profile!)!;
  const pod = (await listDaemonPods(cluster)).find((x) => x.node === m.nodeName);
  if (!pod) throw new InfraError(`no linuxptp-daemon pod on ${m.nodeName}`);
  const iface = p.iface || profile.interfaces.find((i) => !profile.masterPorts.includes(i)) || profile.interfaces[0];
  if (!iface) throw new UsageError(`profile ${profile.name} has no interface; pass --param iface=<name>`);
  return { node: m.nodeName!, pod: pod.pod, profile, iface };
}

/** Samples the node's metrics in the background until stopped. */
export class Sampler {
  readonly samples: PtpSample[] = [];
  private stopped = false;
  private loop: Promise<void>;
  constructor(
    private readonly cluster: Cluster,
    private readonly target: PtpTarget,
    private readonly intervalMs: number,
    readonly t0: number,
    signal: AbortSignal,
    private readonly sidecar = false,
  ) {
    this.loop = (async () => {
      while (!this.stopped && !signal.aborted) {
        await this.sampleOnce();
        await sleep(this.intervalMs, signal).catch(() => undefined);
      }
    })();
  }
  async sampleOnce(): Promise<PtpSample> {
    const at = performance.now() - this.t0;
    let s: PtpSample;
    try {
      s = sampleFrom(interpretPtpMetrics(await readMetricsText(this.cluster, this.target.pod)), this.target.iface, at);
    } catch (err) {
      s = { at, processes: {}, error: (err as Error).message };
    }
    if (this.sidecar)
      s.sidecarLock = await currentState(this.cluster, this.target.node, 'lockState', this.intervalMs * 2 + 2000)
        .then((ev) => stateOf(ev).value)
        .catch(() => undefined);
    this.samples.push(s);
    return s;
  }
  /** Wait until a (new) sample satisfies pred; resolves its time (ms since t0). */
  async until(
    pred: (s: PtpSample) => boolean,
    timeoutMs: number,
    describe: string,
    signal: AbortSignal,
    from = 0,
  ): Promise<number | undefined> {
    try {
      const w = await waitFor(() => this.samples.find((s) => s.at >= from && pred(s))?.at, {
        timeoutMs,
        intervalMs: Math.max(20, this.intervalMs / 4),
        signal,
        describe,
      });
      return w.value;
    } catch (err) {
      if ((err as Error).name === 'WaitTimeoutError') return undefined;
      throw err;
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** Run a command on the node in a privileged debug pod (what `oc debug node/<node>` creates) and wait for it to end. */
export async function runOnNode(
  cluster: Cluster,
  node: string,
  script: string,
  opts: { image: string; signal: AbortSignal; timeoutMs?: number },
): Promise<void> {
  const m: k8s.V1Pod = debugPod(node, ['chroot', '/host', 'sh', '-c', script], { image: opts.image });
  m.metadata!.generateName = `netharness-ptp-${node.replace(/[^a-z0-9-]/g, '-').slice(0, 30)}-`;
  m.metadata!.labels = { 'app.kubernetes.io/managed-by': 'netharness', 'netharness.io/node-action': 'ptp' };
  let name: string;
  try {
    name = (await cluster.core.createNamespacedPod({ namespace: 'default', body: m })).metadata?.name ?? '';
  } catch (err) {
    throw new InfraError(
      `create the debug pod on ${node}: ${describeApiError(err)}`,
      'node commands need a privileged debug pod (cluster-admin)',
    );
  }
  try {
    await waitFor(
      async () => {
        const ph = (await cluster.core.readNamespacedPod({ namespace: 'default', name })).status?.phase;
        if (ph === 'Failed') throw new InfraError(`debug pod ${name} on ${node} failed running: ${script}`);
        return ph === 'Succeeded';
      },
      { timeoutMs: opts.timeoutMs ?? 120_000, intervalMs: 250, signal: opts.signal, describe: `debug pod ${name} on ${node} to finish` },
    );
  } finally {
    await cluster.core.deleteNamespacedPod({ namespace: 'default', name, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

/** exec in the node's linuxptp-daemon-container (pkill a process, as the conformance suite does for ts2phc). */
export async function execInDaemon(cluster: Cluster, t: PtpTarget, argv: string[]): Promise<void> {
  const r = await execIn(cluster, { namespace: PTP_NAMESPACE, pod: t.pod, container: DAEMON_CONTAINER }, argv, { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new InfraError(`${argv.join(' ')} in ${t.pod}: exit ${r.exitCode} ${r.stderr.trim().slice(0, 200)}`);
}

export interface FaultDef {
  name: string;
  description: string;
  /** what the fault must produce before it is cleared */
  degraded: { describe: string; pred: (s: PtpSample) => boolean; limitS: number };
  /** inject; returns the clear action (undefined: the system recovers by itself, e.g. the daemon restarts a killed process) */
  inject(t: TestContext<PtpScenarioParams>, target: PtpTarget, p: PtpScenarioParams): Promise<(() => Promise<void>) | undefined>;
  /** wanted role after recovery (default SLAVE) */
  role?: Role;
}

const locked = (s: PtpSample, min: number, max: number) =>
  s.clockState === 'LOCKED' &&
  s.offsetNs !== undefined &&
  s.offsetNs >= min &&
  s.offsetNs < max &&
  !Object.values(s.processes).some((u) => !u);

const fmt = (v: number | undefined) => (v === undefined ? null : Number(v.toFixed(1)));

export function ptpFaultScenario(def: FaultDef): Scenario<typeof ptpScenarioParams> {
  return scenario(
    {
      name: def.name,
      description: def.description,
      params: ptpScenarioParams,
      quick: { holdSeconds: 10 },
      sim: () => ({ nodes: '3+2', speed: 20 }),
      tags: ['chaos', 'ptp'],
    },
    async (t, p) => {
      const speed = t.target.kind === 'sim' && p.speed === 1 ? 20 : p.speed;
      const lim = (s: number) => (s * 1000) / speed;
      const cluster = t.cluster;
      const target = await pickPtpTarget(cluster, p);
      const { minOffsetNs: min, maxOffsetNs: max } = target.profile.thresholds;
      t.log(
        `${def.name}: node ${target.node}, profile ${target.profile.name}, interface ${target.iface}, poll ${(p.pollSeconds / speed).toFixed(2)} s (speed ${speed})`,
      );
      const t0 = performance.now();
      const sidecar = await eventPublisherEnabled(cluster);
      const sampler = new Sampler(cluster, target, lim(p.pollSeconds), t0, t.signal, sidecar);
      t.defer(() => sampler.stop(), 'stop the metrics sampler');
      let rec: Recovery | undefined;
      t.defer(() => {
        if (!rec) return;
        t.summarize({
          title: `${def.name} on ${target.node} (${target.profile.name}, ${target.iface}); times in s${speed > 1 ? `, sim speed ${speed}` : ''}`,
          columns: [
            'roles',
            'clock states',
            'clock classes',
            'sidecar lock-state',
            'to FAULTY',
            'to HOLDOVER',
            'to FREERUN',
            'holdover',
            'to role',
            're-lock',
            'worst |offset| ns',
          ],
          rows: [
            [
              rec.roles.join('>'),
              rec.clockStates.join('>'),
              rec.clockClasses.join('>'),
              rec.sidecarStates.join('>') || '-',
              fmt(rec.toFaultyS),
              fmt(rec.toHoldoverS),
              fmt(rec.toFreerunS),
              fmt(rec.holdoverS),
              fmt(rec.toRoleS),
              fmt(rec.relockS),
              rec.worstOffsetNs ?? null,
            ],
          ],
        });
      }, 'summary table');

      await t.step('baseline: locked, offset in range', async (s) => {
        const want = def.role ?? 'SLAVE';
        const at = await sampler.until(
          (x) => locked(x, min, max) && x.role === want,
          lim(LIMITS.offsetS),
          `${target.node} LOCKED, ${target.iface} ${want}`,
          s.signal,
        );
        await s.check(`${target.node} locked before the fault`, () => ({
          ok: at !== undefined,
          summary:
            at !== undefined
              ? `LOCKED, ${target.iface} ${want}, offset in [${min}, ${max})`
              : `not LOCKED with offset in range within ${LIMITS.offsetS / speed} s: ${JSON.stringify(sampler.samples.at(-1))}`,
          findings: at !== undefined ? [] : [{ kind: 'ptp-not-locked', node: target.node, message: 'baseline not locked' }],
        }));
      });

      let injectAt = 0;
      let clear: (() => Promise<void>) | undefined;
      await t.step('inject', async (s) => {
        // the fault-library fault goes on after the healthy baseline, so it can only act on the injection and the
        // recovery: a scenario run with its matching fault fails there, not at the baseline lock
        if (p.fault) await switchFault(t as TestContext<unknown>, p.fault, p.faultValue);
        injectAt = performance.now() - t0;
        clear = await def.inject(t, target, p);
        s.event({ kind: def.name, target: target.node, details: { iface: target.iface, profile: target.profile.name } });
        if (clear)
          t.defer(async () => {
            if (clear) await clear().catch(() => undefined);
          }, 'clear the fault');
      });

      await t.step(`wait: ${def.degraded.describe}`, async (s) => {
        const at = await sampler.until(def.degraded.pred, lim(def.degraded.limitS), def.degraded.describe, s.signal, injectAt);
        await s.check(`${def.degraded.describe} within ${def.degraded.limitS} s`, () => ({
          ok: at !== undefined,
          summary:
            at !== undefined
              ? `${((at - injectAt) / 1000).toFixed(1)} s after the injection`
              : `not seen within ${(def.degraded.limitS / speed).toFixed(1)} s`,
          findings: at !== undefined ? [] : [{ kind: 'ptp-fault-not-visible', node: target.node, message: def.degraded.describe }],
        }));
      });

      await t.step('hold', async (s) => {
        await sleep(lim(p.holdSeconds), s.signal);
      });
      const clearAt = performance.now() - t0;
      if (clear) {
        const c = clear;
        clear = undefined;
        await t.step('clear the fault', async () => c());
      }

      await t.step('wait: recovered', async (s) => {
        const role = def.role ?? 'SLAVE';
        const roleAt = await sampler.until((x) => x.role === role, lim(LIMITS.slaveS), `${target.iface} ${role}`, s.signal, clearAt);
        const lockAt = await sampler.until(
          (x) => locked(x, min, max),
          lim(LIMITS.offsetS) + (roleAt ?? clearAt) - clearAt,
          `${target.node} LOCKED`,
          s.signal,
          clearAt,
        );
        if (sidecar && lockAt !== undefined)
          await sampler.until(
            (x) => x.sidecarLock === 'LOCKED',
            lim(LIMITS.offsetS),
            `${target.node} sidecar lock-state LOCKED`,
            s.signal,
            lockAt,
          );
        rec = summariseRecovery(sampler.samples, { injectAt, clearAt, minOffsetNs: min, maxOffsetNs: max, role });
        const m = (name: string, v: number | undefined, unit = 's') =>
          v !== undefined && s.record({ name, value: v, unit, labels: { node: target.node, scenario: def.name } });
        m('ptp_to_faulty_seconds', rec.toFaultyS);
        m('ptp_to_holdover_seconds', rec.toHoldoverS);
        m('ptp_to_freerun_seconds', rec.toFreerunS);
        m('ptp_holdover_seconds', rec.holdoverS);
        m('ptp_relock_seconds', rec.relockS);
        m('ptp_worst_offset_ns', rec.worstOffsetNs, 'ns');
        // the clock first: a clock that did not re-lock is the finding (its sidecar cannot be LOCKED either)
        await s.check(`${target.iface} back to ${role} within ${LIMITS.slaveS} s and LOCKED in range within ${LIMITS.offsetS} s`, () => ({
          ok: roleAt !== undefined && lockAt !== undefined,
          summary:
            roleAt !== undefined && lockAt !== undefined
              ? `re-locked ${rec!.relockS?.toFixed(1)} s after the clear (roles ${rec!.roles.join('>')}, states ${rec!.clockStates.join('>')})`
              : `not recovered: role ${roleAt === undefined ? 'not back' : 'ok'}, lock ${lockAt === undefined ? 'not back' : 'ok'}; last sample ${JSON.stringify(sampler.samples.at(-1))}`,
          findings:
            roleAt !== undefined && lockAt !== undefined
              ? []
              : [
                  {
                    kind: roleAt === undefined ? 'ptp-role-not-recovered' : 'ptp-not-relocked',
                    node: target.node,
                    expected: roleAt === undefined ? role : 'LOCKED',
                    actual: String(roleAt === undefined ? sampler.samples.at(-1)?.role : sampler.samples.at(-1)?.clockState),
                    message: 'no recovery within the conformance limits',
                  },
                ],
          data: { ...rec },
        }));
        // the sidecar's published state (lock-state CurrentState) must be LOCKED again once recovered; its
        // sequence is recorded (a brief excursion can fall between two polls, so it is not required)
        if (sidecar) {
          const seq = rec.sidecarStates;
          const ok = seq.at(-1) === 'LOCKED';
          await s.check('cloud-event-proxy lock-state LOCKED after recovery', () => ({
            ok,
            summary: `sidecar lock-state sequence ${seq.join('>') || '(none read)'}`,
            findings: ok
              ? []
              : [
                  {
                    kind: 'ptp-sidecar-not-locked',
                    node: target.node,
                    expected: 'LOCKED',
                    actual: seq.at(-1) ?? 'unreadable',
                    message: `sidecar lock-state sequence ${seq.join('>')}`,
                  },
                ],
          }));
        }
      });
    },
  );
}

export type { ClockState };
