/**
 * `t.$`: zx's shell for the rare host command a scenario needs (a local tool, not the cluster: that is
 * t.kubectl or the client). Every command is logged on the step's progress line with its exit status and
 * duration, and is killed (SIGTERM) when the run is interrupted: the shell is bound to the current phase's
 * AbortSignal. Output is captured, not echoed; a non-zero exit rejects (zx's ProcessOutput) unless
 * `t.$({ nothrow: true })`.
 */
import { $ as zx, type LogEntry, type Shell } from 'zx';

export type HostShell = Shell;

function describeEnd(e: Extract<LogEntry, { kind: 'end' }>): string {
  const how = e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode ?? '?'}`;
  return `${how} after ${(e.duration / 1000).toFixed(1)} s`;
}

/** A zx shell bound to `signal` whose commands and their ends go to `log`. */
export function hostShell(signal: AbortSignal, log: (line: string) => void): HostShell {
  return zx({
    signal,
    quiet: true,
    log: (e: LogEntry) => {
      if (e.kind === 'cmd') log(`$ ${e.cmd}`);
      else if (e.kind === 'end') log(describeEnd(e));
    },
  });
}
