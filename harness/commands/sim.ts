/**
 * `netharness sim`: start the embedded cluster (foreground, or --detach), `sim stop`, `sim status`.
 *
 * This is the one place the harness reaches sim/: the launcher is loaded lazily by URL so no
 * other harness code path pulls the sim in, and the boundary test names this file as the exception.
 */
import { Option, type Command } from 'commander';

type Launcher = typeof import('../../sim/launcher.ts');

async function launcher(): Promise<Launcher> {
  return (await import(new URL('../../sim/launcher.ts', import.meta.url).href)) as Launcher;
}

const DEFAULT_WORKDIR = 'results/sim';

export function registerSim(program: Command): void {
  const sim = program
    .command('sim')
    .description('start, stop and inspect the embedded cluster (foreground by default; Ctrl-C stops everything it started)')
    .option('--workdir <dir>', 'work directory (kubeconfig, state.json, sim.log)', DEFAULT_WORKDIR)
    .option('--nodes <n>', 'N nodes or CP+WORKERS (default 3+3)')
    .option('--port <port>', 'API port on 127.0.0.1 (default: a free port)')
    .option('--ip-stack <stack>', 'ipv4 | ipv6 | dual', 'ipv4')
    .option('--speed <n>', 'divide wall-clock waits by this factor', '1')
    .option('--ptp <mode>', 'PTP topology: oc (a grandmaster feeding ordinary clocks on the workers) | bc | dual-nic | none', 'oc')
    .option('--detach', 'start in the background, return when ready and print export KUBECONFIG=...')
    // Tests and API benchmarks: only the Kubernetes API, none of the sim parts (OVN, kubelet, ...).
    .addOption(new Option('--api-only', 'serve only the Kubernetes API').hideHelp())
    .action(
      async (
        flags: {
          workdir: string;
          nodes?: string;
          port?: string;
          ipStack?: string;
          speed?: string;
          detach?: boolean;
          apiOnly?: boolean;
          ptp?: string;
        },
        cmd: Command,
      ) => {
        const l = await launcher();
        const o = l.parseSimFlags(flags);
        void cmd;
        const argv = [
          ...(flags.nodes !== undefined ? ['--nodes', flags.nodes] : []),
          ...(flags.port !== undefined ? ['--port', flags.port] : []),
          ...(flags.ipStack !== undefined ? ['--ip-stack', flags.ipStack] : []),
          ...(flags.speed !== undefined ? ['--speed', flags.speed] : []),
          ...(flags.apiOnly ? ['--api-only'] : []),
          ...(flags.ptp !== undefined ? ['--ptp', flags.ptp] : []),
        ];
        process.exitCode = flags.detach ? await l.runDetached(o, argv) : await l.runForeground(o);
      },
    );
  sim
    .command('stop')
    .exitOverride()
    .description('stop the sim running in the work directory (--workdir)')
    .action(async () => {
      const l = await launcher();
      process.exitCode = await l.stopSim((sim.opts() as { workdir: string }).workdir);
    });
  sim
    .command('status')
    .exitOverride()
    .description('is a sim running in the work directory (--workdir)? exit 0 yes, 1 no')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const l = await launcher();
      process.exitCode = await l.simStatus((sim.opts() as { workdir: string }).workdir, !!flags.json);
    });
}
