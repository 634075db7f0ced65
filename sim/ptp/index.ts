/**
 * The PTP part of the embedded cluster (`netharness sim --ptp oc|bc|dual-nic|none`, default oc):
 *  - openshift-ptp with PtpOperatorConfig `default`, a NodePtpDevice per node, the mode's PtpConfigs with
 *    status.matchList kept up to date (profiles chosen by recommend / match / priority), the DaemonSet
 *    linuxptp-daemon (linuxptp-daemon-container, cloud-event-proxy, kube-rbac-proxy) on daemonNodeSelector;
 *  - a container handler for linuxptp-daemon-container: while the container runs, the node's emulated
 *    ptp4l / phc2sys / ts2phc (node.ts, ptp4l.ts) write the container log, `curl -s localhost:9091/metrics`
 *    serves the metrics (metrics.ts), `pmc` answers (pmc.ts), `cat /var/run/ptp4l.N.config` shows the config;
 *  - the emulated upstream grandmaster (GM_IDENTITY, class 6) on ens1f0 / ens1f1 / ens2f0 of every node, and in bc
 *    mode the boundary clock's master port ens1f1 feeding the other workers' ens1f0;
 *  - ctx.services.ptp: the state API and fault hooks (types.ts).
 * One timer ticks every node once per emulated second (1000 / ctx.speed ms).
 */
import { errText, isAlreadyExists, isNotFound } from '../controllers/common.ts';
import { GVR } from '../gvr.ts';
import type { ContainerHandlerContext, HandlerIo } from '../kubelet/handlers.ts';
import type { KubeObject, SimContext, SimNodeSpec, Stoppable } from '../types.ts';
import { parseConf, ptp4lSettings } from './conf.ts';
import { renderMetrics } from './metrics.ts';
import { NodePtp, klogLine, type NodeEnv, type PtpProfile } from './node.ts';
import {
  GM_IDENTITY,
  GVR_PTP,
  PTP_NS,
  defaultPtpConfigs,
  linuxptpDaemonSet,
  matchLists,
  nicMac,
  nodePtpDevice,
  operatorConfig,
  profilesFor,
} from './objects.ts';
import { parsePmcArgv, pmcResponse, resolveCommand } from './pmc.ts';
import type { Upstream } from './ptp4l.ts';
import type { GrandmasterView, LocalHttpHandler, NodePtpView, PtpMode, PtpProcessName, PtpSim, PtpStateChange } from './types.ts';

export const DAEMON_CONTAINER = 'linuxptp-daemon-container';

interface Running {
  emu: NodePtp;
  hctx: ContainerHandlerContext;
  fingerprint: string;
  started: number;
}

export class PtpEngine implements Stoppable {
  private readonly running = new Map<string, Running>();
  private readonly links = new Map<string, boolean>();
  private readonly txTimeouts = new Set<string>();
  private readonly jitter = new Map<string, number>();
  private readonly holdoverStuck = new Set<string>();
  private readonly frozen = new Set<string>();
  private readonly listeners = new Set<(c: PtpStateChange) => void>();
  private readonly http = new Map<number, LocalHttpHandler>();
  private readonly gm: GrandmasterView = { clockIdentity: GM_IDENTITY, clockClass: 6, priority1: 128, announcing: true };
  private timer?: NodeJS.Timeout;
  private unwatch: (() => void)[] = [];
  private publisher = true;
  private configs: KubeObject[] = [];
  private lists = new Map<string, { nodeName: string; profile: string }[]>();
  private readonly nodeSpecs: Map<string, SimNodeSpec>;
  readonly sim: PtpSim;

  constructor(
    private readonly ctx: SimContext,
    readonly mode: PtpMode,
    private readonly seed = 'netharness',
  ) {
    this.nodeSpecs = new Map(ctx.nodes.map((n) => [n.name, n]));
    this.sim = {
      mode,
      eventPublisher: () => this.publisher,
      grandmaster: () => ({ ...this.gm }),
      nodes: () => [...this.running.values()].map((r) => r.emu.view()).sort((a, b) => a.node.localeCompare(b.node)),
      node: (n) => this.running.get(n)?.emu.view(),
      onChange: (fn) => {
        this.listeners.add(fn);
        return () => this.listeners.delete(fn);
      },
      metricsText: (n) => this.metrics(n),
      registerLocalHttp: (port, h) => {
        this.http.set(port, h);
        return () => {
          if (this.http.get(port) === h) this.http.delete(port);
        };
      },
      faults: {
        setLink: (node, iface, up) => {
          if (!this.nodeSpecs.has(node)) return false;
          this.links.set(`${node}/${iface}`, up);
          return true;
        },
        killProcess: (node, process, opts) => this.running.get(node)?.emu.kill(process, opts?.config, opts?.restart ?? true) ?? false,
        startProcess: (node, process, opts) => this.running.get(node)?.emu.start(process, opts?.config) ?? false,
        setGrandmasterAnnounces: (on) => {
          this.gm.announcing = on;
        },
        setGrandmasterClockClass: (c) => {
          this.gm.clockClass = c;
        },
        setTxTimestampTimeouts: (node, iface, on) => {
          if (!this.nodeSpecs.has(node)) return false;
          if (on) this.txTimeouts.add(`${node}/${iface}`);
          else this.txTimeouts.delete(`${node}/${iface}`);
          return true;
        },
        setOffsetJitter: (node, process, sigma) => {
          if (!this.nodeSpecs.has(node)) return false;
          for (const p of process === 'all' ? ['ptp4l', 'phc2sys', 'ts2phc'] : [process])
            this.jitter.set(`${node}/${p}`, Math.max(0, sigma));
          return true;
        },
        clockJump: (node, ns) => {
          const r = this.running.get(node);
          if (!r) return false;
          r.emu.stepClock(ns);
          return true;
        },
        daemonLog: (node, line) => {
          const r = this.running.get(node);
          if (!r) return false;
          r.hctx.log(line);
          return true;
        },
        processLog: (node, process, config, level, text) => {
          const r = this.running.get(node);
          if (!r) return false;
          r.emu.processLine(process, config, level, text);
          return true;
        },
        setHoldoverStuck: (node, on) => {
          if (!this.nodeSpecs.has(node)) return false;
          if (on) this.holdoverStuck.add(node);
          else this.holdoverStuck.delete(node);
          return true;
        },
        setProfilesFrozen: (node, on) => {
          if (!this.nodeSpecs.has(node)) return false;
          if (on) this.frozen.add(node);
          else if (this.frozen.delete(node)) this.refreshConfigs();
          return true;
        },
      },
    };
  }

  private emit(c: PtpStateChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (e) {
        this.ctx.log(`ptp: state listener: ${errText(e)}`);
      }
    }
  }

  // ------------------------------------------------------------------ objects

  private ensure(gvr: (typeof GVR_PTP)[keyof typeof GVR_PTP] | (typeof GVR)[keyof typeof GVR], obj: KubeObject): void {
    if (this.ctx.store.get(gvr, obj.metadata.namespace, obj.metadata.name)) return;
    try {
      const status = obj.status;
      const created = this.ctx.store.create(gvr, obj);
      if (status) this.ctx.store.update(gvr, { ...created, status }, { subresource: 'status' });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  start(): void {
    const s = this.ctx.store;
    this.ensure(GVR.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: PTP_NS, labels: { 'openshift.io/cluster-monitoring': 'true', name: PTP_NS } },
    });
    this.ensure(GVR_PTP.ptpoperatorconfigs, operatorConfig(true));
    for (const n of this.ctx.nodes) this.ensure(GVR_PTP.nodeptpdevices, nodePtpDevice(n));
    for (const c of defaultPtpConfigs(this.mode, this.ctx.nodes)) this.ensure(GVR_PTP.ptpconfigs, c);
    this.readOperatorConfig();
    this.ensure(GVR.daemonsets, linuxptpDaemonSet(this.daemonNodeSelector()));
    this.refreshConfigs();
    const handlers = this.ctx.services.containerHandlers;
    if (handlers)
      this.unwatch.push(
        handlers.register({
          name: 'linuxptp-daemon',
          matches: (pod, c) => pod.metadata.namespace === PTP_NS && c.name === DAEMON_CONTAINER,
          start: (h) => this.daemonStarted(h),
          commands: {
            curl: (h, argv, io) => this.curl(h, argv, io),
            pmc: (h, argv, io) => this.pmc(h, argv, io),
            pkill: (h, argv, io) => this.pkill(h, argv, io),
            ps: (h, _argv, io) => this.ps(h, io),
          },
        }),
      );
    else this.ctx.log('ptp: no kubelet container handlers (nodes part not started): the daemon containers are not emulated');
    this.unwatch.push(s.watch(GVR_PTP.ptpconfigs, () => this.refreshConfigs(), { namespace: PTP_NS }));
    this.unwatch.push(s.watch(GVR.nodes, (ev) => ev.type !== 'MODIFIED' && this.refreshConfigs()));
    this.unwatch.push(
      s.watch(
        GVR_PTP.ptpoperatorconfigs,
        () => {
          this.readOperatorConfig();
          this.syncDaemonSetSelector();
        },
        { namespace: PTP_NS },
      ),
    );
    this.ctx.services.ptp = this.sim;
    this.timer = setInterval(() => this.tick(), Math.max(5, 1000 / this.ctx.speed));
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unwatch) u();
    this.unwatch = [];
    for (const r of this.running.values()) r.emu.stop();
    this.running.clear();
    if (this.ctx.services.ptp === this.sim) delete this.ctx.services.ptp;
  }

  private readOperatorConfig(): void {
    const o = this.ctx.store.get(GVR_PTP.ptpoperatorconfigs, PTP_NS, 'default');
    const ev = (o?.spec as { ptpEventConfig?: { enableEventPublisher?: boolean } } | undefined)?.ptpEventConfig;
    this.publisher = ev?.enableEventPublisher === true;
  }

  private daemonNodeSelector(): Record<string, string> {
    const o = this.ctx.store.get(GVR_PTP.ptpoperatorconfigs, PTP_NS, 'default');
    return ((o?.spec as { daemonNodeSelector?: Record<string, string> } | undefined)?.daemonNodeSelector ?? {}) as Record<string, string>;
  }

  private syncDaemonSetSelector(): void {
    const want = this.daemonNodeSelector();
    try {
      this.ctx.store.mutate(GVR.daemonsets, PTP_NS, 'linuxptp-daemon', (ds) => {
        const spec = ds.spec as { template: { spec: { nodeSelector?: Record<string, string> } } };
        if (JSON.stringify(spec.template.spec.nodeSelector ?? {}) !== JSON.stringify(want)) spec.template.spec.nodeSelector = want;
      });
    } catch (e) {
      if (!isNotFound(e)) this.ctx.log(`ptp: daemonset selector: ${errText(e)}`);
    }
  }

  /** PtpConfigs or nodes changed: recompute every matchList, write the changed ones, re-apply node profiles. */
  private refreshConfigs(): void {
    const s = this.ctx.store;
    this.configs = s.list(GVR_PTP.ptpconfigs, { namespace: PTP_NS });
    const nodes = s.list(GVR.nodes).map((n) => ({ name: n.metadata.name, labels: n.metadata.labels ?? {} }));
    this.lists = matchLists(this.configs, nodes);
    for (const c of this.configs) {
      const want = this.lists.get(c.metadata.name) ?? [];
      const have = (c.status as { matchList?: unknown } | undefined)?.matchList;
      if (JSON.stringify(have ?? []) === JSON.stringify(want) && have !== undefined) continue;
      try {
        s.mutate(
          GVR_PTP.ptpconfigs,
          PTP_NS,
          c.metadata.name,
          (o) => {
            o.status = { ...(o.status ?? {}), matchList: want };
          },
          { subresource: 'status' },
        );
      } catch (e) {
        if (!isNotFound(e)) this.ctx.log(`ptp: matchList of ${c.metadata.name}: ${errText(e)}`);
      }
    }
    for (const [node, r] of this.running) {
      // a daemon that stopped taking profile updates keeps what it applied (fault ptp-stale-profile)
      if (this.frozen.has(node)) continue;
      const profiles = profilesFor(node, this.configs, this.lists);
      const fp = JSON.stringify(profiles);
      if (fp !== r.fingerprint) {
        r.fingerprint = fp;
        r.emu.apply(profiles);
        this.syncFiles(r);
      }
    }
  }

  private syncFiles(r: Running): void {
    for (const k of [...r.hctx.files.keys()]) if (/^\/var\/run\/(ptp4l|phc2sys|ts2phc)\.\d+\.config$/.test(k)) r.hctx.files.delete(k);
    for (const [k, v] of r.emu.files) r.hctx.files.set(k, v);
  }

  // ------------------------------------------------------------------ the daemon container

  private daemonStarted(h: ContainerHandlerContext): { stop(): void } {
    const node = h.node;
    const env = this.nodeEnv(node);
    const emu = new NodePtp(
      env,
      (l) => h.log(l),
      (c) => this.emit(c),
      this.seed,
      h.pod,
    );
    const pid = emu.pid;
    for (const msg of [
      'main.go:104] resync period set to: 30 [s]',
      'main.go:105] linuxptp profile path set to: /etc/linuxptp',
      'main.go:106] pmc poll interval set to: 60 [s]',
      `main.go:130] ptp4l.conf path set to: /var/run, ptp events socket: /cloud-native/events.sock, event publisher: ${this.publisher}`,
    ])
      h.log(klogLine('I', msg.slice(0, msg.indexOf(']')), msg.slice(msg.indexOf(']') + 2), pid));
    const profiles = profilesFor(node, this.configs, this.lists);
    const r: Running = { emu, hctx: h, fingerprint: JSON.stringify(profiles), started: Date.now() };
    this.running.set(node, r);
    emu.apply(profiles);
    this.syncFiles(r);
    return {
      stop: () => {
        emu.stop();
        if (this.running.get(node) === r) this.running.delete(node);
      },
    };
  }

  private nodeEnv(node: string): NodeEnv {
    // a node the sim did not start with (created through the API) gets a stable id from its name
    const spec = this.nodeSpecs.get(node) ?? { name: node, role: 'worker' as const, id: 200 + (node.length % 50) };
    return {
      node,
      mac: (iface) => nicMac(spec, iface),
      eventPublisher: () => this.publisher,
      jitterFor: (p: PtpProcessName) => this.jitter.get(`${node}/${p}`) ?? 0,
      jitterNs: () => this.jitter.get(`${node}/ptp4l`) ?? 0,
      linkUp: (iface) => this.links.get(`${node}/${iface}`) ?? true,
      txTimeouts: (iface) => this.txTimeouts.has(`${node}/${iface}`),
      holdoverStuck: () => this.holdoverStuck.has(node),
      upstream: (iface) => this.upstream(node, iface),
    };
  }

  /** Who is heard on a node's link: the GM (ens1f0 / ens2f0), or in bc mode the BC's master port. */
  private upstream(node: string, iface: string): Upstream | undefined {
    const feeder = this.feeder(node, iface);
    if (!feeder) return undefined;
    if (feeder === 'gm') {
      if (!this.gm.announcing) return undefined;
      return {
        gmIdentity: this.gm.clockIdentity,
        gmClockClass: this.gm.clockClass,
        gmPriority1: this.gm.priority1,
        parentPortIdentity: `${this.gm.clockIdentity}-1`,
        stepsRemoved: 1,
      };
    }
    if ((this.links.get(`${feeder.node}/${feeder.iface}`) ?? true) === false) return undefined;
    const off = this.running.get(feeder.node)?.emu.offers(feeder.iface);
    if (!off) return undefined;
    const p = off.ptp;
    const port = p.ports.find((x) => x.iface === feeder.iface)!;
    return {
      gmIdentity: p.parent?.gmIdentity ?? p.clockIdentity,
      gmClockClass: p.parent ? (p.clockState === 'LOCKED' ? p.parent.gmClockClass : p.clockClass) : p.clockClass,
      gmPriority1: p.parent?.gmPriority1 ?? p.settings.priority1,
      parentPortIdentity: `${p.clockIdentity}-${port.port}`,
      stepsRemoved: (p.parent?.stepsRemoved ?? 0) + 1,
    };
  }

  private feeder(node: string, iface: string): 'gm' | { node: string; iface: string } | undefined {
    if (this.mode === 'bc') {
      const workers = this.ctx.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
      const bc = workers[0];
      if (node !== bc && iface === 'ens1f0' && bc) return { node: bc, iface: 'ens1f1' };
      if (node === bc && iface === 'ens1f1') return undefined;
    }
    // the grandmaster's fabric reaches ens1f0, ens1f1 (a dual-port follower's backup port) and ens2f0
    return iface === 'ens1f0' || iface === 'ens1f1' || iface === 'ens2f0' ? 'gm' : undefined;
  }

  private tick(): void {
    // upstream clocks first (a BC's master port feeds others this tick)
    const order = [...this.running.values()].sort(
      (a, b) => Number(this.isFeeder(b.hctx.node)) - Number(this.isFeeder(a.hctx.node)) || a.hctx.node.localeCompare(b.hctx.node),
    );
    for (const r of order) {
      try {
        r.emu.tick();
      } catch (e) {
        this.ctx.log(`ptp: ${r.hctx.node}: ${errText(e)}`);
      }
    }
  }

  private isFeeder(node: string): boolean {
    return this.mode === 'bc' && this.ctx.nodes.filter((n) => n.role === 'worker')[0]?.name === node;
  }

  // ------------------------------------------------------------------ commands in the daemon container

  private metrics(node: string): string | undefined {
    const r = this.running.get(node);
    if (!r) return undefined;
    const view: NodePtpView = r.emu.view();
    return renderMetrics(view, this.publisher, ((Date.now() - r.started) / 1000) * 0.02 * this.ctx.speed);
  }

  private async curl(h: ContainerHandlerContext, argv: string[], io: HandlerIo): Promise<number> {
    let silent = false;
    let showErr = false;
    let method = 'GET';
    let data: string | undefined;
    let url: string | undefined;
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i];
      if (a === '-X' || a === '--request') method = argv[++i] ?? 'GET';
      else if (a === '-d' || a === '--data' || a === '--data-raw') {
        data = argv[++i];
        if (method === 'GET') method = 'POST';
      } else if (a === '-H' || a === '--header' || a === '-o' || a === '-m' || a === '--max-time') i++;
      else if (a === '--silent') silent = true;
      else if (a === '--show-error') showErr = true;
      else if (/^-[a-zA-Z]+$/.test(a)) {
        if (a.includes('s')) silent = true;
        if (a.includes('S')) showErr = true;
      } else if (!a.startsWith('-')) url = a;
    }
    if (!url) {
      io.err.write("curl: try 'curl --help' or 'curl --manual' for more information\n");
      return 2;
    }
    const m = /^(?:https?:\/\/)?(localhost|127\.0\.0\.1|\[::1\])(?::(\d+))?(\/[^\s]*)?$/.exec(url);
    const fail = (code: number, msg: string): number => {
      if (!silent || showErr) io.err.write(`curl: (${code}) ${msg}\n`);
      return code;
    };
    if (!m) return fail(6, `Could not resolve host: ${url.replace(/^https?:\/\//, '').split(/[/:]/)[0]}`);
    const port = Number(m[2] ?? (url.startsWith('https') ? 443 : 80));
    const path = m[3] ?? '/';
    if (port === 9091) {
      if (path !== '/metrics') {
        io.out.write('404 page not found\n');
        return 0;
      }
      io.out.write(this.metrics(h.node) ?? '');
      return 0;
    }
    const server = this.http.get(port);
    if (!server) return fail(7, `Failed to connect to ${m[1]} port ${port} after 0 ms: Couldn't connect to server`);
    const res = await server({ node: h.node, method, path, body: data });
    io.out.write(res.body);
    return 0;
  }

  /**
   * `pkill [-SIG] <name>` in the daemon container (as the conformance suite kills ts2phc): the process dies and
   * the daemon recreates it (`Recreating <name>...`); exit 1 when nothing matched, as procps pkill.
   */
  private pkill(h: ContainerHandlerContext, argv: string[], io: HandlerIo): number {
    const names = argv.slice(1).filter((a) => !a.startsWith('-'));
    if (names.length !== 1) {
      io.err.write('pkill: only one pattern can be provided\nUsage:\n pkill [options] <pattern>\n');
      return 2;
    }
    const r = this.running.get(h.node);
    const hits = (['ptp4l', 'phc2sys', 'ts2phc'] as const).filter((p) => new RegExp(names[0]).test(p));
    let any = false;
    for (const p of hits) any = (r?.emu.kill(p, undefined, true) ?? false) || any;
    return any ? 0 : 1;
  }

  /** `ps`: the daemon and the processes it runs (procps `ps -ef` columns). */
  private ps(h: ContainerHandlerContext, io: HandlerIo): number {
    const v = this.running.get(h.node)?.emu.view();
    const rows = [
      'UID          PID    PPID  C STIME TTY          TIME CMD',
      'root           1       0  0 00:00 ?        00:00:03 /usr/local/bin/ptp --alsologtostderr -v 10',
    ];
    let pid = 40;
    for (const p of v?.ptp4l ?? [])
      if (p.running)
        rows.push(
          `root         ${String(pid++).padStart(3)}       1  0 00:00 ?        00:00:01 /usr/sbin/ptp4l -f /var/run/${p.config} -m`,
        );
    for (const p of v?.processes ?? [])
      if (p.running) rows.push(`root         ${String(pid++).padStart(3)}       1  0 00:00 ?        00:00:01 /usr/sbin/${p.process} -m`);
    io.out.write(`${rows.join('\n')}\n`);
    return 0;
  }

  private async pmc(h: ContainerHandlerContext, argv: string[], io: HandlerIo): Promise<number> {
    const a = parsePmcArgv(argv);
    if ('error' in a) {
      io.err.write(`${a.error}\n`);
      return 255;
    }
    const r = this.running.get(h.node);
    const view = r?.emu.view();
    const p = view?.ptp4l.find((x) => x.config === `ptp4l.${a.configIndex}.config`);
    for (const cmd of a.commands) {
      const c = resolveCommand(cmd);
      if (c.error || !c.id) {
        io.err.write(`${c.error}\n`);
        continue;
      }
      io.out.write(`sending: ${c.action} ${c.id}\n`);
      if (c.action !== 'GET') continue; // this emulation answers GET only (SET/CMD time out like a refused request)
      if (!p || !p.running) {
        await new Promise((res) => setTimeout(res, Math.min(1000, 1000 / this.ctx.speed)));
        continue;
      }
      const text = r?.hctx.files.get(`/var/run/${p.config}`) ?? '';
      const profile = profilesFor(h.node, this.configs, this.lists).find((x) => x.name === p.profile) as PtpProfile | undefined;
      const settings = ptp4lSettings(parseConf(text), profile?.ptp4lOpts ?? '');
      io.out.write(pmcResponse(c.id, p, settings, (Date.now() - (r?.started ?? Date.now())) / 1000));
    }
    return 0;
  }
}

export const ptpPart = {
  name: 'ptp',
  async start(ctx: SimContext): Promise<Stoppable> {
    const mode = ctx.ptpMode ?? 'oc';
    if (mode === 'none') return { stop: async () => undefined };
    const e = new PtpEngine(ctx, mode);
    e.start();
    return e;
  },
};
