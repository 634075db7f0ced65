/**
 * Two real ptp4l (linuxptp, /usr/sbin/ptp4l) in their own network namespaces over a veth pair, software
 * timestamping (-S), as the fidelity test's reference: a grandmaster-capable master and a slave-only ordinary
 * clock (ptp4lOpts "-s" in a PtpConfig), both with the daemon's message tag `[ptp4l.N.config]`
 * (openshift/linuxptp-daemon pkg/daemon/daemon.go sets `message_tag`).
 *
 * Neither ptp4l touches the machine's clock: both run `free_running 1` (linuxptp clock.c: the servo is not
 * used, clock_no_adjust()) and the slave is told its local sync is certain with
 * `pmc SET SYNCHRONIZATION_UNCERTAIN_NP 0`, so clock_no_adjust() reports SERVO_LOCKED and the port takes
 * the real UNCALIBRATED -> SLAVE on MASTER_CLOCK_SELECTED path (port.c port_synchronize()). Without that,
 * a slave on CLOCK_REALTIME would slew the shared host clock (master and slave share it in a container).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLine, type PtpLogRecord } from '../../harness/ptp/log.ts';

export const PTP4L = '/usr/sbin/ptp4l';
export const PMC = '/usr/sbin/pmc';

/** Announce every 250 ms, receipt timeout 3 announces (0.75 s): the same state machine as the 1 s / 3 defaults, faster. */
const COMMON = ['logAnnounceInterval -2', 'announceReceiptTimeout 3', 'logSyncInterval -3', 'logMinDelayReqInterval -3', 'free_running 1'];

export interface RealLine {
  /** ms since the pair started */
  at: number;
  who: 'master' | 'slave';
  raw: string;
  rec?: PtpLogRecord;
}

function sh(argv: string[], allowFail = false): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

export function ptp4lVersion(): string {
  return sh([PTP4L, '-v']).trim();
}

export class RealPtpPair {
  readonly lines: RealLine[] = [];
  readonly nsMaster: string;
  readonly nsSlave: string;
  readonly ifMaster: string;
  readonly ifSlave: string;
  private readonly dir: string;
  private readonly t0 = performance.now();
  private procs: { who: 'master' | 'slave'; p: ChildProcess }[] = [];

  constructor(tag = `${process.pid % 100000}`) {
    this.nsMaster = `nhfid-m-${tag}`;
    this.nsSlave = `nhfid-s-${tag}`;
    this.ifMaster = `nhfm${tag}`.slice(0, 15);
    this.ifSlave = `nhfs${tag}`.slice(0, 15);
    this.dir = mkdtempSync(join(tmpdir(), 'nh-ptp-fidelity-'));
  }

  /** netns + veth + addresses; UDS paths under a private directory so nothing else's ptp4l is touched. */
  setup(): void {
    this.cleanup();
    sh(['ip', 'netns', 'add', this.nsMaster]);
    sh(['ip', 'netns', 'add', this.nsSlave]);
    sh(['ip', 'link', 'add', this.ifMaster, 'type', 'veth', 'peer', 'name', this.ifSlave]);
    sh(['ip', 'link', 'set', this.ifMaster, 'netns', this.nsMaster]);
    sh(['ip', 'link', 'set', this.ifSlave, 'netns', this.nsSlave]);
    for (const [ns, ifc, addr] of [
      [this.nsMaster, this.ifMaster, '10.253.0.1/30'],
      [this.nsSlave, this.ifSlave, '10.253.0.2/30'],
    ]) {
      sh(['ip', '-n', ns, 'addr', 'add', addr, 'dev', ifc]);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      sh(['ip', '-n', ns, 'link', 'set', ifc, 'up']);
    }
    writeFileSync(
      join(this.dir, 'ptp4l.0.config'),
      ['[global]', 'priority1 127', ...COMMON, 'message_tag [ptp4l.0.config]', `uds_address ${join(this.dir, 'm.sock')}`, ''].join('\n'),
    );
    writeFileSync(
      join(this.dir, 'ptp4l.1.config'),
      ['[global]', 'slaveOnly 1', ...COMMON, 'message_tag [ptp4l.1.config]', `uds_address ${join(this.dir, 's.sock')}`, ''].join('\n'),
    );
  }

  now(): number {
    return performance.now() - this.t0;
  }

  private start(who: 'master' | 'slave'): void {
    const [ns, ifc, cfg] =
      who === 'master' ? [this.nsMaster, this.ifMaster, 'ptp4l.0.config'] : [this.nsSlave, this.ifSlave, 'ptp4l.1.config'];
    const p = spawn('ip', ['netns', 'exec', ns, PTP4L, '-S', '-m', '-i', ifc, '-f', join(this.dir, cfg)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (raw.trim()) this.lines.push({ at: this.now(), who, raw, rec: parseLine(raw) });
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    this.procs.push({ who, p });
  }

  startMaster(): void {
    this.start('master');
  }

  /** Starts the slave and marks its local sync certain (see the header). */
  async startSlave(): Promise<void> {
    this.start('slave');
    const sock = join(this.dir, 's.sock');
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          this.nsSlave,
          PMC,
          '-u',
          '-b',
          '0',
          '-s',
          sock,
          '-i',
          join(this.dir, 'pmc.sock'),
          'SET SYNCHRONIZATION_UNCERTAIN_NP 0',
        ],
        { encoding: 'utf8', timeout: 5000 },
      );
      if (r.status === 0 && /uncertain\s+0/.test(r.stdout)) return;
    }
    throw new Error('pmc SET SYNCHRONIZATION_UNCERTAIN_NP 0 was not acknowledged by the slave ptp4l');
  }

  /** `ip link set <slave if> down|up` in the slave's namespace (the conformance suite's TurnPortDown/Up). */
  slaveLink(up: boolean): void {
    sh(['ip', '-n', this.nsSlave, 'link', 'set', this.ifSlave, up ? 'up' : 'down']);
  }

  /** The master stops announcing: SIGSTOP its ptp4l (SIGCONT resumes it). */
  pauseMaster(paused: boolean): void {
    for (const { who, p } of this.procs) {
      if (who !== 'master' || p.pid === undefined) continue;
      // `ip netns exec` execs ptp4l in place, so the child pid is ptp4l's
      process.kill(p.pid, paused ? 'SIGSTOP' : 'SIGCONT');
    }
  }

  /** Waits until a slave line matches, returns its index in `lines`. */
  async waitSlave(pred: (l: RealLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<number> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l, k) => k >= from && l.who === 'slave' && pred(l));
      if (i >= 0) return i;
      if (performance.now() > end) throw new Error(`real ptp4l: no ${what} within ${timeoutMs} ms; slave log:\n${this.slaveLog()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  slaveLog(): string {
    return this.lines
      .filter((l) => l.who === 'slave')
      .map((l) => l.raw)
      .join('\n');
  }

  /** Stops the processes, deletes the namespaces (and with them the veth pair) and the directory. Idempotent. */
  cleanup(): void {
    for (const { p } of this.procs) {
      try {
        if (p.pid !== undefined) {
          process.kill(p.pid, 'SIGCONT');
          process.kill(p.pid, 'SIGTERM');
        }
      } catch {
        /* already gone */
      }
    }
    this.procs = [];
    for (const ns of [this.nsMaster, this.nsSlave]) sh(['ip', 'netns', 'del', ns], true);
    sh(['ip', 'link', 'del', this.ifMaster], true);
  }

  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
