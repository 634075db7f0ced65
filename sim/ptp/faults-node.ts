/**
 * The node side of the PTP faults a user injects directly on a live cluster:
 *
 * - The PTP NICs exist in each node's real network namespace (veth links named as NodePtpDevice lists them,
 *   ens1f0 ...), so `ip link set ens1f0 down` in a debug pod (`oc debug node/<n>` -> chroot /host, as the
 *   ptp-operator conformance suite's PortEngine.TurnPortDown does) really changes a link, `ip link show`
 *   shows it, and the emulated ptp4l sees it: every `ip link set <ptp nic> up|down` that runs on a node
 *   (ctx.services.ovnExec, the path `chroot /host ip ...` and the ovn image's `ip` take) is followed by the
 *   emulator's setLink hook.
 * - An interface without the requested timestamping mode: a profile whose ptp4l port is a NIC the node's
 *   NodePtpDevice does not list (no PHC, no hardware timestamping) makes ptp4l fail at start the way
 *   linuxptp's clock_create() does (`interface '<if>' does not support requested timestamping mode`, then
 *   `failed to create a clock`) and exit; the daemon recreates it, which fails again.
 */
import { PassThrough } from 'node:stream';
import type { ExecStreams, SimContext, Stoppable } from '../types.ts';
import type { PtpSim } from './types.ts';

const NODEPTPDEVICES = { group: 'ptp.openshift.io', version: 'v1', resource: 'nodeptpdevices' };
const PTP_NS = 'openshift-ptp';

/** `ip link set [dev] <if> ... up|down` -> the interface and the new admin state; undefined for other commands. */
export function parseIpLinkSet(argv: string[]): { iface: string; up: boolean } | undefined {
  const bin = argv[0]?.split('/').pop();
  if (bin !== 'ip') return undefined;
  const a = argv.slice(1).filter((x) => !/^-/.test(x));
  if (a[0] !== 'link' && a[0] !== 'l') return undefined;
  if (a[1] !== 'set' && a[1] !== 's') return undefined;
  let i = 2;
  if (a[i] === 'dev') i++;
  const iface = a[i];
  const rest = a.slice(i + 1);
  if (!iface) return undefined;
  if (rest.includes('down')) return { iface, up: false };
  if (rest.includes('up')) return { iface, up: true };
  return undefined;
}

function quietStreams(): ExecStreams {
  return { stdout: new PassThrough().resume(), stderr: new PassThrough().resume() };
}

export function startPtpNodeFaults(ctx: SimContext): Stoppable {
  const ptp = ctx.services.ptp as PtpSim | undefined;
  const exec = ctx.services.ovnExec;
  if (!ptp || !exec) return { stop: async () => undefined };
  const capable = (node: string): Set<string> => {
    const o = ctx.store.get(NODEPTPDEVICES, PTP_NS, node);
    return new Set(((o?.status as { devices?: { name: string }[] } | undefined)?.devices ?? []).map((d) => d.name));
  };

  // the NICs: dummy links in the node's netns, up
  const ensureNics = async (node: string): Promise<void> => {
    for (const nic of capable(node)) {
      // `ip link add` of an existing link fails harmlessly (after a node reboot the netns is new and empty)
      // a veth pair (the dummy module is not always there); the peer stands for the cable's far end
      const peer = `${nic}-p`.slice(0, 15);
      await exec(node, ['ip', 'link', 'add', nic, 'type', 'veth', 'peer', 'name', peer], quietStreams()).catch(() => undefined);
      await exec(node, ['ip', 'link', 'set', peer, 'up'], quietStreams()).catch(() => undefined);
      await exec(node, ['ip', 'link', 'set', nic, 'up'], quietStreams()).catch(() => undefined);
    }
  };
  // on the nodes that run PTP (now, and whenever their ptp4l starts: a rebooted node has a new, empty netns)
  void Promise.all(ptp.nodes().map((v) => ensureNics(v.node)));

  // every `ip link set` that runs on a node reaches the emulator when it names a PTP NIC
  const wrapped: typeof exec = async (node, argv, streams) => {
    const r = await exec(node, argv, streams);
    const set = parseIpLinkSet(argv);
    if (set && r.exitCode === 0 && capable(node).has(set.iface)) ptp.faults.setLink(node, set.iface, set.up);
    return r;
  };
  ctx.services.ovnExec = wrapped;

  // ptp4l on a NIC without hardware timestamping fails at start (and at every recreation)
  const failing = new Map<string, string>();
  const check = (node: string): void => {
    const v = ptp.node(node);
    if (!v) return;
    const ok = capable(node);
    for (const p4 of v.ptp4l) {
      const bad = p4.ports.map((x) => x.iface).find((i) => !ok.has(i));
      const key = `${node}\u0000${p4.config}`;
      if (!bad) {
        failing.delete(key);
        continue;
      }
      if (!p4.running) continue;
      failing.set(key, bad);
      ptp.faults.processLog(node, 'ptp4l', p4.config, 3, `interface '${bad}' does not support requested timestamping mode`);
      ptp.faults.processLog(node, 'ptp4l', p4.config, 3, 'failed to create a clock');
      ptp.faults.killProcess(node, 'ptp4l', { config: p4.config, restart: true });
    }
  };
  const off = ptp.onChange((c) => {
    if (c.kind === 'process' && c.process === 'ptp4l' && c.up && !failing.has(`${c.node}\u0000${c.config}`)) void ensureNics(c.node);
    if (c.kind === 'profiles' || (c.kind === 'process' && c.process === 'ptp4l' && c.up)) queueMicrotask(() => check(c.node));
  });
  for (const v of ptp.nodes()) check(v.node);

  return {
    stop: async () => {
      off();
      if (ctx.services.ovnExec === wrapped) ctx.services.ovnExec = exec;
    },
  };
}
