/**
 * `netharness bundle --kubeconfig P --out DIR`: export an offline troubleshooting bundle that
 * `netharness mcp --bundle DIR` serves. Progress on stderr; Ctrl-C removes the half-written bundle.
 */
import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError, ExitCode } from '../errors.ts';

interface BundleOpts {
  kubeconfig?: string;
  context?: string;
  out?: string;
  logNamespaces?: string;
  tailLines: string;
  concurrency: string;
  force?: boolean;
}

export function registerBundle(program: Command): void {
  program
    .command('bundle')
    .description(
      "export an offline troubleshooting bundle (API objects, ovn-kubernetes logs, every node's NB/SB DB and read-tool outputs) for `netharness mcp --bundle`",
    )
    .option('--kubeconfig <path>', 'kubeconfig of the cluster (default $KUBECONFIG)')
    .option('--context <name>', 'kubeconfig context')
    .option('--out <dir>', 'output directory (must not exist or be empty)')
    .option('--log-namespaces <list>', 'namespaces whose pod logs are exported', 'openshift-ovn-kubernetes')
    .option('--tail-lines <n>', 'last N log lines per container', '20000')
    .option('--concurrency <n>', 'nodes / log streams in parallel', '4')
    .option('--force', 'replace a non-empty --out directory')
    .action(async (o: BundleOpts) => {
      if (!o.out) throw new UsageError('--out <dir> is required');
      const tail = Number(o.tailLines);
      const conc = Number(o.concurrency);
      if (!Number.isInteger(tail) || tail < 1) throw new UsageError('--tail-lines: a positive integer');
      if (!Number.isInteger(conc) || conc < 1 || conc > 64) throw new UsageError('--concurrency: 1..64');
      // the exporter (client-node) is loaded for this command only, not by `--help`
      const { exportBundle, partialDir } = await import('../../mcp/bundle-export.ts');
      const ac = new AbortController();
      const partial = partialDir(o.out);
      const onSig = () => {
        ac.abort();
        rmSync(partial, { recursive: true, force: true });
        process.stderr.write(`bundle: interrupted; removed ${partial}\n`);
        process.exit(ExitCode.interrupted);
      };
      process.once('SIGINT', onSig);
      process.once('SIGTERM', onSig);
      try {
        const m = await exportBundle({
          kubeconfig: o.kubeconfig,
          context: o.context,
          out: o.out,
          logNamespaces: o.logNamespaces
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          tailLines: tail,
          concurrency: conc,
          force: o.force,
          signal: ac.signal,
          progress: (l) => process.stderr.write(`bundle: ${l}\n`),
        });
        process.stderr.write(
          `bundle: wrote ${o.out} (${m.kinds.reduce((n, k) => n + k.count, 0)} objects, ${m.logs.length} logs, ${Object.keys(m.nodes).length} nodes, ${m.errors.length} errors) in ${(m.durationMs / 1000).toFixed(1)} s\n`,
        );
        for (const e of m.errors.slice(0, 20)) process.stderr.write(`bundle: not collected: ${e}\n`);
      } catch (err) {
        rmSync(partial, { recursive: true, force: true });
        throw err;
      } finally {
        process.off('SIGINT', onSig);
        process.off('SIGTERM', onSig);
      }
    });
}
