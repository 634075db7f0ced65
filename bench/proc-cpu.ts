/**
 * CPU time of processes from /proc/PID/stat (proc(5)), for the benches that put the embedded cluster's or a
 * daemon's CPU beside their wall times. Seconds; USER_HZ is 100 on Linux.
 */
import { readdirSync, readFileSync } from 'node:fs';

const USER_HZ = 100;

/** The stat fields after the ")" of comm (index 1 ppid, 11 utime, 12 stime, 13 cutime, 14 cstime); undefined when gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The parent's pid; undefined when the process is gone. */
export function parentPid(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[1]) : undefined;
}

/** utime+stime of the process (threads included) and cutime+cstime of the children it reaped; undefined when gone. */
export function processCpu(pid: number): { self: number; children: number } | undefined {
  const f = statFields(pid);
  if (!f) return undefined;
  return { self: (Number(f[11]) + Number(f[12])) / USER_HZ, children: (Number(f[13]) + Number(f[14])) / USER_HZ };
}

/**
 * CPU seconds of a process tree: `pid` and every live descendant, each with what its reaped children used (the
 * embedded cluster's exited ovn-nbctl processes, reaped by its spawn helper). An exited process is counted once,
 * by the process that reaped it. Other processes on the machine are not in it. NaN when the root cannot be read.
 */
export function treeCpu(pid: number | undefined): number {
  if (!pid) return NaN;
  const stats = new Map<string, string[]>();
  const kids = new Map<string, string[]>();
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return NaN;
  }
  for (const d of dirs) {
    const f = statFields(d);
    if (!f) continue; // exited meanwhile
    stats.set(d, f);
    const siblings = kids.get(f[1]);
    if (siblings) siblings.push(d);
    else kids.set(f[1], [d]);
  }
  const root = stats.get(String(pid));
  if (!root) return NaN;
  let ticks = 0;
  const todo = [String(pid)];
  while (todo.length) {
    const p = todo.pop() as string;
    const f = stats.get(p) as string[];
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    todo.push(...(kids.get(p) ?? []));
  }
  return ticks / USER_HZ;
}
