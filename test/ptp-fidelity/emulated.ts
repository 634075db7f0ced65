/**
 * The emulated side of the fidelity test: an embedded cluster started through the CLI (`netharness sim
 * --detach`, PTP on by default: an emulated grandmaster feeding ordinary clocks on the workers), driven only
 * the way a user drives a real one: kubectl logs of linuxptp-daemon-container, `ip link set <if> down|up`
 * in a privileged debug pod on the node (the conformance suite's PortEngine), and the grandmaster's loss
 * through the fault library's ConfigMap (the grandmaster is outside the node).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLine, type PtpLogRecord } from '../../harness/ptp/log.ts';
import { CLI, ROOT, stopSim } from '../support/cli.ts';
import { PHASE_END } from './expected.ts';
import { lineKind, stepOf, type Phase } from './sequence.ts';

export const GM_LOSS_FAULT = 'ptp-grandmaster-loss';

export interface EmulatedRun {
  steps: Record<Phase, string[]>;
  /** masked kinds of the port / link lines of the slave port, per phase */
  portLineKinds: Record<Phase, Set<string>>;
}

export class EmulatedPtp {
  private workdir = mkdtempSync(join(tmpdir(), 'nh-ptp-fidelity-sim-'));
  private kubeconfig = '';
  node = '';
  pod = '';
  iface = '';

  async start(): Promise<void> {
    const r = spawnSync(process.execPath, [...CLI, 'sim', '--detach', '--workdir', this.workdir, '--speed', '10', '--nodes', '1+1'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    const m = /KUBECONFIG=(\S+)/.exec(r.stdout);
    if (r.status !== 0 || !m) throw new Error(`sim did not start (exit ${r.status}): ${r.stderr.slice(-800)}`);
    this.kubeconfig = m[1];
    const pods = JSON.parse(await this.kubectl(['get', 'pods', '-n', 'openshift-ptp', '-l', 'app=linuxptp-daemon', '-o', 'json'])) as {
      items: { metadata: { name: string }; spec: { nodeName: string } }[];
    };
    const nodes = JSON.parse(await this.kubectl(['get', 'nodes', '-o', 'json'])) as {
      items: { metadata: { name: string; labels?: Record<string, string> } }[];
    };
    const workers = new Set(
      nodes.items.filter((n) => n.metadata.labels?.['node-role.kubernetes.io/worker'] !== undefined).map((n) => n.metadata.name),
    );
    const p = pods.items.find((x) => workers.has(x.spec.nodeName)) ?? pods.items[0];
    if (!p) throw new Error('no linuxptp-daemon pod on the embedded cluster');
    this.node = p.spec.nodeName;
    this.pod = p.metadata.name;
  }

  private kubectl(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = spawn('kubectl', ['--kubeconfig', this.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
      c.stdin.end(input ?? '');
    });
  }

  private async logRecords(): Promise<{ raw: string; rec?: PtpLogRecord }[]> {
    const text = await this.kubectl(['logs', '-n', 'openshift-ptp', this.pod, '-c', 'linuxptp-daemon-container']);
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((raw) => ({ raw, rec: parseLine(raw) }));
  }

  /** The slave port: the ptp4l port whose transition reached SLAVE, and its interface. */
  private slavePort(recs: { rec?: PtpLogRecord }[]): { port: number; iface?: string } | undefined {
    for (const { rec } of recs)
      if (rec?.process === 'ptp4l' && rec.type === 'port' && rec.to === 'SLAVE') return { port: rec.port, iface: rec.iface };
    return undefined;
  }

  private async waitFor(
    end: string,
    from: number,
    timeoutMs: number,
    what: string,
  ): Promise<{ recs: { raw: string; rec?: PtpLogRecord }[]; port: number }> {
    const stop = performance.now() + timeoutMs;
    for (;;) {
      const recs = await this.logRecords();
      const sp = this.slavePort(recs);
      if (sp) {
        this.iface ||= sp.iface ?? '';
        const i = recs.findIndex((r, k) => k >= from && stepOf(r.rec, sp.port) === end);
        if (i >= 0) return { recs: recs.slice(0, i + 1), port: sp.port };
      }
      if (performance.now() > stop)
        throw new Error(
          `emulated ptp4l on ${this.node}: no '${end}' (${what}) within ${timeoutMs} ms; log tail:\n${recs
            .slice(-30)
            .map((r) => r.raw)
            .join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** `ip link set <if> down|up` on the node in a privileged debug pod, as `oc debug node/<n>` runs it. */
  private async link(up: boolean): Promise<void> {
    const name = `nh-fidelity-link-${up ? 'up' : 'down'}-${Date.now() % 100000}`;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: this.node,
        hostNetwork: true,
        hostPID: true,
        restartPolicy: 'Never',
        containers: [
          {
            name: 'debug',
            image: 'registry.redhat.io/rhel9/support-tools',
            command: ['chroot', '/host', 'sh', '-c', `ip link set ${this.iface} ${up ? 'up' : 'down'}`],
            securityContext: { privileged: true, runAsUser: 0 },
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: '/' } }],
      },
    };
    await this.kubectl(['apply', '-f', '-'], JSON.stringify(pod));
    const stop = performance.now() + 60_000;
    for (;;) {
      const ph = (await this.kubectl(['get', 'pod', '-n', 'default', name, '-o', 'jsonpath={.status.phase}'])).trim();
      if (ph === 'Succeeded') break;
      if (ph === 'Failed' || performance.now() > stop) throw new Error(`debug pod ${name} on ${this.node}: ${ph || 'not done'}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.kubectl(['delete', 'pod', '-n', 'default', name, '--wait=false']);
  }

  private async fault(id: string, value: 'on' | 'off'): Promise<void> {
    await this.kubectl(['create', 'namespace', 'netharness']).catch(() => undefined);
    const patch = JSON.stringify({ data: { [id]: value } });
    await this.kubectl(['patch', 'configmap', '-n', 'netharness', 'netharness-faults', '--type', 'merge', '-p', patch]).catch(async () =>
      this.kubectl(['create', 'configmap', '-n', 'netharness', 'netharness-faults', `--from-literal=${id}=${value}`]),
    );
  }

  async run(): Promise<EmulatedRun> {
    const out: EmulatedRun = { steps: {} as EmulatedRun['steps'], portLineKinds: {} as EmulatedRun['portLineKinds'] };
    const take = (ph: Phase, recs: { raw: string; rec?: PtpLogRecord }[], from: number, port: number) => {
      const part = recs.slice(from);
      out.steps[ph] = part.map((r) => stepOf(r.rec, port)).filter((s): s is string => s !== undefined);
      out.portLineKinds[ph] = new Set(part.filter((r) => stepOf(r.rec, port) !== undefined).map((r) => lineKind(r.raw)));
    };
    let w = await this.waitFor(PHASE_END.startup, 0, 120_000, 'startup');
    // startup: from the port's first line
    const first = w.recs.findIndex((r) => r.rec?.type === 'port' && r.rec.process === 'ptp4l' && r.rec.port === w.port);
    take('startup', w.recs, Math.max(0, first), w.port);
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.iface)) throw new Error(`emulated slave port has no interface name: '${this.iface}'`);

    let from = (await this.logRecords()).length;
    await this.link(false);
    w = await this.waitFor(PHASE_END.linkDown, from, 60_000, 'link down');
    take('linkDown', w.recs, from, w.port);

    from = (await this.logRecords()).length;
    await this.link(true);
    w = await this.waitFor(PHASE_END.linkUp, from, 60_000, 'link up');
    take('linkUp', w.recs, from, w.port);

    from = (await this.logRecords()).length;
    await this.fault(GM_LOSS_FAULT, 'on');
    try {
      w = await this.waitFor(PHASE_END.announceStop, from, 60_000, 'grandmaster loss');
      take('announceStop', w.recs, from, w.port);
    } finally {
      await this.fault(GM_LOSS_FAULT, 'off');
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.kubeconfig) stopSim(this.workdir);
    rmSync(this.workdir, { recursive: true, force: true });
  }
}
