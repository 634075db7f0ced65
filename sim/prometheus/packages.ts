/**
 * The Prometheus binary the sim runs (Debian package `prometheus`), found or installed like the
 * OVN packages (sim/ovn/packages.ts): installed with a progress line when we are root and apt-get
 * exists, otherwise an InfraError naming the package and the command.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InfraError } from '../../harness/errors.ts';
import { whichOnPath } from '../ovn/packages.ts';

const execFileP = promisify(execFile);

export const PROMETHEUS_PACKAGE = 'prometheus';
export const PROMETHEUS_INSTALL_COMMAND = `sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PROMETHEUS_PACKAGE}'`;

let ensured: Promise<string> | undefined;

/** The prometheus binary's path, installing the package first where we can. Memoised per process. */
export function ensurePrometheus(log: (line: string) => void): Promise<string> {
  ensured ??= doEnsure(log).catch((e: unknown) => {
    ensured = undefined;
    throw e;
  });
  return ensured;
}

async function doEnsure(log: (line: string) => void): Promise<string> {
  const found = whichOnPath('prometheus');
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  const hasApt = whichOnPath('apt-get') !== undefined;
  if (!isRoot || !hasApt)
    throw new InfraError(
      `sim: prometheus not found (${!isRoot ? 'not running as root' : 'apt-get not found'}, cannot install it myself)`,
      `install it with: ${PROMETHEUS_INSTALL_COMMAND}   (or set NETHARNESS_SIM_PROMETHEUS=0 to run the sim without metrics)`,
    );
  log(`sim: installing ${PROMETHEUS_PACKAGE} ...`);
  const t0 = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await execFileP('apt-get', ['update'], { env, maxBuffer: 64 << 20 });
    await execFileP('apt-get', ['install', '-y', '--no-install-recommends', PROMETHEUS_PACKAGE], { env, maxBuffer: 64 << 20 });
  } catch (e) {
    throw new InfraError(
      `sim: installing ${PROMETHEUS_PACKAGE} failed: ${e instanceof Error ? e.message : String(e)}`,
      `run: ${PROMETHEUS_INSTALL_COMMAND}`,
    );
  }
  log(`sim: installed ${PROMETHEUS_PACKAGE} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const p = whichOnPath('prometheus');
  if (!p) throw new InfraError('sim: prometheus still not found after installing the package', `run: ${PROMETHEUS_INSTALL_COMMAND}`);
  return p;
}
