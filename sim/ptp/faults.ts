/**
 * The runtime of the PTP faults: the fault library's PTP ids (faults/ptp.ts, switched in ConfigMap
 * netharness/netharness-faults) and the Chaos Mesh kinds that act on PTP (StressChaos and TimeChaos whose
 * records target a linuxptp-daemon pod), applied through the emulator's fault hooks (ctx.services.ptp.faults,
 * sim/ptp/types.ts). What a user does directly (ip link in a debug pod, pkill in the daemon container, a
 * PtpConfig edit) reaches the emulator without this module.
 *
 * Symptoms follow the sources named in faults/ptp.ts; the CPU-contention and clock-jump lines are linuxptp's
 * clockcheck.c texts, CPU contention's offset spikes as in nxp-archive/openil issue #88 (stress-ng next to ptp4l).
 */
import type { FaultId } from '../../faults/index.ts';
import { FaultSwitch } from '../ovnkube/faults.ts';
import { injectedChaos } from '../chaos/controller.ts';
import type { KubeObject, SimContext, Stoppable } from '../types.ts';
import type { NodePtpView, PtpProcessName, PtpSim } from './types.ts';
import { startEventProxy, type EventProxyRuntime } from './event-proxy.ts';
import { startPtpNodeFaults } from './faults-node.ts';

const PTP_NAMESPACE = 'openshift-ptp';

/** Go time.ParseDuration for the units TimeChaos uses ("-10m", "1h2m3.5s", "100ms", "2us"); ns; undefined when invalid. */
export function parseGoDuration(s: string): number | undefined {
  const m = /^([+-])?((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(s.trim());
  if (!m) return undefined;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const p of m[2].matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(p[1]) * unit[p[2]];
  return m[1] === '-' ? -total : total;
}

/** The interfaces of a node's ptp4l ports that follow a master (where TX timestamps matter for a slave). */
function slaveIfaces(v: NodePtpView): string[] {
  return v.ptp4l.flatMap((p) => p.ports.filter((x) => !x.masterOnly).map((x) => x.iface));
}

interface ChaosTarget {
  key: string;
  node: string;
  chaos: KubeObject;
}

export function startPtpFaults(ctx: SimContext, proxy?: EventProxyRuntime): Stoppable & { staleOnRestart(node: string): boolean } {
  const ptp = ctx.services.ptp as PtpSim | undefined;
  const switches = FaultSwitch.bind(ctx);
  const timers: ReturnType<typeof setInterval>[] = [];
  const sec = (s: number) => Math.max(20, (s * 1000) / ctx.speed);
  if (!ptp) return { staleOnRestart: () => false, stop: async () => switches.stop() };
  const h = ptp.faults;
  const nodesFor = (id: FaultId): string[] =>
    ptp
      .nodes()
      .map((n) => n.node)
      .filter((n) => switches.on(id, n));
  const allNodes = () => ptp.nodes().map((n) => n.node);

  // ------------------------------------------------------------------------------------------- fault library
  const applied = new Map<FaultId, Set<string>>();
  const held = new Map<string, { node: string; process: PtpProcessName; config: string }>();
  const forcedDown = new Map<string, { node: string; iface: string }>();
  const apply = (id: FaultId): void => {
    const want = new Set(nodesFor(id));
    const had = applied.get(id) ?? new Set<string>();
    applied.set(id, want);
    switch (id) {
      case 'ptp-grandmaster-loss':
        h.setGrandmasterAnnounces(!switches.on(id));
        break;
      case 'ptp-gm-clock-class-degraded': {
        const cls = Number(switches.params(id)?.class ?? 7);
        h.setGrandmasterClockClass(switches.on(id) && Number.isInteger(cls) && cls >= 0 && cls <= 255 ? cls : 6);
        break;
      }
      case 'ptp-tx-timestamp-timeout':
        for (const n of new Set([...had, ...want])) {
          const v = ptp.node(n);
          if (v) for (const i of slaveIfaces(v)) h.setTxTimestampTimeouts(n, i, want.has(n));
        }
        break;
      case 'ptp-process-no-restart':
        // switched off: the daemon's next check recreates what it left down
        for (const [k, x] of [...held])
          if (!want.has(x.node)) {
            held.delete(k);
            h.startProcess(x.node, x.process, { config: x.config });
          }
        break;
      case 'ptp-port-stays-faulty':
        // switched off (the transceiver replaced): the carrier of the ports it dropped comes back
        for (const [k, x] of [...forcedDown])
          if (!want.has(x.node)) {
            forcedDown.delete(k);
            h.setLink(x.node, x.iface, true);
          }
        break;
      case 'ptp-holdover-stuck':
        for (const n of new Set([...had, ...want])) h.setHoldoverStuck(n, want.has(n));
        break;
      case 'ptp-stale-profile':
        for (const n of new Set([...had, ...want])) h.setProfilesFrozen(n, want.has(n));
        break;
      case 'ptp-sidecar-stale-after-restart':
        // takes effect at the next sidecar restart; switched off, a stale publisher re-learns the state
        for (const n of had) if (!want.has(n)) proxy?.publisher(n)?.unfreeze();
        break;
      default:
        // the others act on events (below) or on a timer (chronyd)
        break;
    }
  };
  const LIB: FaultId[] = [
    'ptp-grandmaster-loss',
    'ptp-gm-clock-class-degraded',
    'ptp-tx-timestamp-timeout',
    'ptp-sidecar-stale-after-restart',
    'ptp-chronyd-running',
    'ptp-port-stays-faulty',
    'ptp-process-no-restart',
    'ptp-holdover-stuck',
    'ptp-stale-profile',
  ];
  for (const id of LIB) if (switches.on(id)) apply(id);
  const offSwitch = switches.onChange((changed) => {
    for (const id of changed) if (LIB.includes(id)) apply(id);
  });

  // a port that goes through FAULTY to LISTENING (link up) while its NIC is faulted loses carrier again;
  // a process the daemon recreates while the daemon bug is on dies again and stays down
  const offChange = ptp.onChange((c) => {
    if (c.kind === 'port' && c.from === 'FAULTY' && c.event === 'INIT_COMPLETE' && switches.on('ptp-port-stays-faulty', c.node)) {
      forcedDown.set(`${c.node}\u0000${c.iface}`, { node: c.node, iface: c.iface });
      queueMicrotask(() => h.setLink(c.node, c.iface, false));
    }
    if (c.kind === 'process') {
      const k = `${c.node}\u0000${c.process}\u0000${c.config}`;
      const on = switches.on('ptp-process-no-restart', c.node);
      if (c.up) held.delete(k);
      // cancel the daemon's pending restart (or stop the one it just made): the process stays down
      if (on && !held.has(k)) {
        held.set(k, { node: c.node, process: c.process, config: c.config });
        queueMicrotask(() => h.killProcess(c.node, c.process, { config: c.config, restart: false }));
      }
    }
  });

  // chronyd next to phc2sys: bursts of CLOCK_REALTIME offset every ~8 s (two writers), a clockcheck warning each time
  let chronyTick = 0;
  const chronyOn = new Set<string>();
  timers.push(
    setInterval(() => {
      chronyTick++;
      const want = new Set(nodesFor('ptp-chronyd-running'));
      for (const n of allNodes()) {
        const burst = want.has(n) && chronyTick % 8 < 2;
        if (burst) {
          h.setOffsetJitter(n, 'phc2sys', 40_000);
          if (chronyTick % 8 === 0) {
            const cfg = ptp.node(n)?.ptp4l[0]?.config ?? 'ptp4l.0.config';
            h.processLog(n, 'phc2sys', cfg, 4, 'clockcheck: clock frequency changed unexpectedly!');
          }
          chronyOn.add(n);
        } else if (chronyOn.has(n)) {
          h.setOffsetJitter(n, 'phc2sys', 0);
          chronyOn.delete(n);
        }
      }
    }, sec(1)),
  );

  // --------------------------------------------------------------------------------- Chaos Mesh on the daemon
  const podNode = (id: string): string | undefined => {
    const [ns, pod] = id.split('/');
    if (ns !== PTP_NAMESPACE) return undefined;
    const p = ctx.store.get({ group: '', version: 'v1', resource: 'pods' }, ns, pod);
    if (p?.metadata.labels?.app !== 'linuxptp-daemon') return undefined;
    return (p.spec as { nodeName?: string } | undefined)?.nodeName;
  };
  const targets = (kind: 'StressChaos' | 'TimeChaos'): ChaosTarget[] => {
    const out: ChaosTarget[] = [];
    for (const { chaos, ids } of injectedChaos(ctx.store, kind))
      for (const id of ids) {
        const node = podNode(id);
        if (node) out.push({ key: `${chaos.metadata.namespace}/${chaos.metadata.name}/${chaos.metadata.uid}/${node}`, node, chaos });
      }
    return out;
  };
  const stressed = new Map<string, number>();
  const jumped = new Map<string, { node: string; ns: number }>();
  let stressTick = 0;
  timers.push(
    setInterval(() => {
      stressTick++;
      // StressChaos: scheduling latency on the node -> offset jitter growing with the CPU stressors; clockcheck lines
      const sigma = new Map<string, number>();
      for (const t of targets('StressChaos')) {
        const cpu = ((t.chaos.spec as { stressors?: { cpu?: { workers?: number; load?: number } } })?.stressors?.cpu ?? {}) as {
          workers?: number;
          load?: number;
        };
        const s = 1500 * Math.max(1, cpu.workers ?? 1) * Math.max(0.1, (cpu.load ?? 100) / 100);
        sigma.set(t.node, Math.max(sigma.get(t.node) ?? 0, s));
      }
      for (const [n, s] of sigma) {
        if (stressed.get(n) !== s) h.setOffsetJitter(n, 'all', s);
        if (stressTick % 5 === 0) {
          const cfg = ptp.node(n)?.ptp4l[0]?.config ?? 'ptp4l.0.config';
          h.processLog(n, 'ptp4l', cfg, 4, 'clockcheck: clock jumped backward or running slower than expected!');
        }
        stressed.set(n, s);
      }
      for (const n of [...stressed.keys()])
        if (!sigma.has(n)) {
          h.setOffsetJitter(n, 'all', 0);
          stressed.delete(n);
        }
      // TimeChaos: the process clock jumps by timeOffset while injected, and back when recovered
      const now = new Map(targets('TimeChaos').map((t) => [t.key, t]));
      for (const [key, t] of now)
        if (!jumped.has(key)) {
          const ns = parseGoDuration(String((t.chaos.spec as { timeOffset?: unknown })?.timeOffset ?? ''));
          if (ns === undefined || ns === 0) continue;
          h.clockJump(t.node, ns);
          jumped.set(key, { node: t.node, ns });
        }
      for (const [key, j] of [...jumped])
        if (!now.has(key)) {
          h.clockJump(j.node, -j.ns);
          jumped.delete(key);
        }
    }, sec(1)),
  );

  return {
    staleOnRestart: (node) => switches.on('ptp-sidecar-stale-after-restart', node),
    stop: async () => {
      for (const t of timers) clearInterval(t);
      offSwitch();
      offChange();
      for (const n of stressed.keys()) h.setOffsetJitter(n, 'all', 0);
      switches.stop();
    },
  };
}

/** The cloud-event-proxy publishers and the PTP faults together (the stale-sidecar fault needs both). */
export function startPtpEventsAndFaults(ctx: SimContext): Stoppable {
  // the proxy asks the faults lazily (at a sidecar restart), after both exist
  const proxy = startEventProxy(ctx, { staleOnRestart: (n) => faults.staleOnRestart(n) });
  const faults = startPtpFaults(ctx, proxy);
  const node = startPtpNodeFaults(ctx);
  return {
    stop: async () => {
      await node.stop();
      await faults.stop();
      await proxy.stop();
    },
  };
}
