/**
 * Child process for the kill -9 test: starts OVN for one node on the workdir given in argv[2],
 * prints READY with the pids, then SIGKILLs itself (no cleanup runs: no stop(), no exit hooks).
 */
import { OvnCluster } from '../../sim/ovn/index.ts';
import { fakeCtx } from './fake-ctx.ts';

const workdir = process.argv[2];
const ctx = fakeCtx(workdir, [{ name: 'crash-0', role: 'worker', id: 1 }]);
const c = await OvnCluster.start(ctx, { watch: false, resetDbs: true });
process.stdout.write(`READY ${JSON.stringify(c.node('crash-0').pids())}\n`, () => process.kill(process.pid, 'SIGKILL'));
