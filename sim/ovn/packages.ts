/**
 * The OVN/OVS binaries the sim runs, and how to get them. Detection is pure (an injected `which`);
 * ensureOvnPackages installs the Debian packages when we are root and apt-get exists, with a
 * progress line on stderr, and otherwise throws InfraError naming the packages and the command.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../../harness/errors.ts';

const execFileP = promisify(execFile);

export const OVN_PACKAGES = ['ovn-central', 'ovn-host', 'openvswitch-switch'] as const;

/** binary -> Debian package providing it */
export const OVN_BINARIES: Readonly<Record<string, string>> = {
  'ovsdb-server': 'openvswitch-switch',
  'ovsdb-tool': 'openvswitch-common',
  'ovs-vswitchd': 'openvswitch-switch',
  'ovs-vsctl': 'openvswitch-switch',
  'ovs-ofctl': 'openvswitch-common',
  'ovs-appctl': 'openvswitch-common',
  'ovn-northd': 'ovn-central',
  'ovn-controller': 'ovn-host',
  'ovn-nbctl': 'ovn-common',
  'ovn-sbctl': 'ovn-common',
  'ovn-trace': 'ovn-common',
  ip: 'iproute2',
};

/** Schema files the sim needs (shipped by the packages above). */
export const OVN_SCHEMAS = {
  nb: '/usr/share/ovn/ovn-nb.ovsschema',
  sb: '/usr/share/ovn/ovn-sb.ovsschema',
  conf: '/usr/share/openvswitch/vswitch.ovsschema',
} as const;

export const INSTALL_COMMAND = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${OVN_PACKAGES.join(' ')}`;

export type Which = (bin: string) => string | undefined;

export interface OvnToolStatus {
  /** binaries (excluding `ip`) not found */
  missing: string[];
  /** `ip` (iproute2) not found */
  missingIp: boolean;
  /** schema files not present */
  missingSchemas: string[];
}

/** Pure: which binaries/schemas are missing. */
export function detectMissing(which: Which, exists: (p: string) => boolean = fs.existsSync): OvnToolStatus {
  const missing = Object.keys(OVN_BINARIES).filter((b) => b !== 'ip' && which(b) === undefined);
  return {
    missing,
    missingIp: which('ip') === undefined,
    missingSchemas: Object.values(OVN_SCHEMAS).filter((s) => !exists(s)),
  };
}

export type InstallPlan = { action: 'none' } | { action: 'install'; packages: string[] } | { action: 'fail'; error: InfraError };

/** Pure: what to do given what is missing, whether we are root and whether apt-get is there. */
export function planInstall(status: OvnToolStatus, env: { isRoot: boolean; hasApt: boolean }): InstallPlan {
  const pkgs = new Set<string>();
  if (status.missing.length > 0 || status.missingSchemas.length > 0) for (const p of OVN_PACKAGES) pkgs.add(p);
  if (status.missingIp) pkgs.add('iproute2');
  if (pkgs.size === 0) return { action: 'none' };
  const packages = [...pkgs];
  if (env.isRoot && env.hasApt) return { action: 'install', packages };
  const what = [...status.missing, ...(status.missingIp ? ['ip'] : []), ...status.missingSchemas].join(', ');
  const cmd = `sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${packages.join(' ')}'`;
  const why = !env.isRoot ? 'not running as root' : 'apt-get not found';
  return {
    action: 'fail',
    error: new InfraError(
      `sim: OVN/OVS tools missing (${what}); needs packages ${packages.join(' ')} (${why}, cannot install them myself)`,
      `install them with: ${cmd}   (other distributions: install OVN >= 22.03 and Open vSwitch with ovn-northd, ovn-controller, ovsdb-server, ovs-vswitchd and the ovn-*/ovs-* utilities, plus iproute2)`,
    ),
  };
}

/** `which` over $PATH plus the sbin dirs (ovsdb-server lives in /usr/sbin, not always in a user's PATH). */
export function whichOnPath(bin: string, envPath = process.env.PATH ?? ''): string | undefined {
  const dirs = [...envPath.split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

let ensured: Promise<void> | undefined;

/** Detect, install if possible, re-check. Memoised per process (concurrent callers share one install). */
export function ensureOvnPackages(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  ensured ??= doEnsure(log).catch((err: unknown) => {
    ensured = undefined;
    throw err;
  });
  return ensured;
}

async function doEnsure(log: (line: string) => void): Promise<void> {
  const status = detectMissing((b) => whichOnPath(b));
  const plan = planInstall(status, { isRoot: process.getuid?.() === 0, hasApt: whichOnPath('apt-get') !== undefined });
  if (plan.action === 'none') return;
  if (plan.action === 'fail') throw plan.error;
  log(`sim: installing OVN/OVS packages (${plan.packages.join(' ')}) ...`);
  const t0 = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await execFileP('apt-get', ['update'], { env, maxBuffer: 64 << 20 });
    await execFileP('apt-get', ['install', '-y', '--no-install-recommends', ...plan.packages], { env, maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new InfraError(
      `sim: installing ${plan.packages.join(' ')} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`,
      `run it yourself: ${INSTALL_COMMAND}`,
      { cause: err },
    );
  }
  const after = detectMissing((b) => whichOnPath(b));
  if (after.missing.length || after.missingSchemas.length || after.missingIp) {
    throw new InfraError(
      `sim: still missing after install: ${[...after.missing, ...after.missingSchemas].join(', ')}`,
      `run: ${INSTALL_COMMAND}`,
    );
  }
  log(`sim: installed OVN/OVS packages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
