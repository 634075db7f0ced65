/**
 * `netharness ptp analyze-log <file|-> [--json] [--max-offset N]`: analyse a saved linuxptp-daemon log
 * (`oc logs ... -c linuxptp-daemon-container`, a must-gather) without a cluster; streams, so any size.
 * `netharness ptp watch`: subscribe to every node's cloud-event-proxy (REST API v2), apply the watch rules.
 * Exit codes (analyze-log): 0 HEALTHY, 1 faults found, 2 error.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.ts';
import { analyzeStream, renderAnalysis } from '../ptp/analyze.ts';
import { registerPtpWatch } from '../ptp/watch-command.ts';

interface AnalyzeCliOptions {
  json?: boolean;
  maxOffset?: string;
  keep?: string;
}

function intOption(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name}: expected an integer >= ${min}, got '${v}'`);
  return n;
}

export function registerPtp(program: Command): void {
  const ptp = program.command('ptp').description('PTP: analyse linuxptp-daemon logs, watch cloud-event-proxy events');
  ptp
    .command('analyze-log')
    .description(
      'analyse a linuxptp-daemon log (file or - for stdin): port transitions, counts, offsets per process/config, clock class, faults, health',
    )
    .argument('<file>', "log file, or '-' for stdin")
    .option('--json', 'machine-readable result on stdout')
    .option('--max-offset <ns>', '|offset| above this while locked is a fault (default 100)')
    .option('--keep <n>', 'entries kept per list in the result (totals stay exact; default 1000)')
    .action(async (file: string, o: AnalyzeCliOptions) => {
      const maxOffsetNs = intOption('--max-offset', o.maxOffset, 100, 0);
      const keep = intOption('--keep', o.keep, 1000, 0);
      let input: Readable;
      if (file === '-') input = process.stdin;
      else {
        if (!existsSync(file)) throw new UsageError(`<file>: no file at ${file}`, "pass a saved daemon log, or '-' to read stdin");
        if (statSync(file).isDirectory()) throw new UsageError(`<file>: ${file} is a directory`, 'pass one log file');
        input = createReadStream(file);
      }
      const r = await analyzeStream(input, { maxOffsetNs, keep });
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${renderAnalysis(r)}\n`);
      process.exitCode = r.health === 'HEALTHY' ? ExitCode.ok : ExitCode.checkFailed;
    });
  ptp.addHelpText('after', '\nExit codes (analyze-log): 0 HEALTHY, 1 faults found, 2 error.');
  registerPtpWatch(ptp);
}
