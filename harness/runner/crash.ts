/**
 * Runs found crashed when the database is opened (their process died: kill -9, OOM): say so once, with
 * their real end (the last thing they recorded) and the embedded cluster they left running, if any, with
 * the command that stops it. The sim is found through its work directory's state.json (no sim/ import).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.ts';

/** The pid in `<workdir>/state.json` if that process still runs. */
export function liveSimPid(workdir: string): number | undefined {
  const p = join(workdir, 'state.json');
  if (!existsSync(p)) return undefined;
  try {
    const { pid } = JSON.parse(readFileSync(p, 'utf8')) as { pid?: unknown };
    if (typeof pid !== 'number' || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? Number.NaN : undefined;
  }
}

/** One line per crashed run: when it really ended and the sim it left. */
export function describeCrashedRuns(store: Store, ids: readonly string[]): string[] {
  const lines: string[] = [];
  for (const id of ids) {
    const d = store.getRun(id);
    let line = `run ${id} (${d.run.name}) crashed: its process died; last recorded at ${d.run.endedAt ?? d.run.startedAt}`;
    const started = d.events.filter((e) => e.kind === 'sim-start' && e.target);
    const stopped = new Set(d.events.filter((e) => e.kind === 'sim-stopped').map((e) => e.target));
    for (const e of started) {
      const wd = e.target as string;
      if (stopped.has(wd)) continue;
      const pid = liveSimPid(wd);
      line +=
        pid !== undefined
          ? `; it left the embedded cluster running (pid ${pid}, ${wd}): stop it with: netharness sim stop --workdir ${wd}`
          : `; its embedded cluster (${wd}) is gone; clean what it left with: netharness sim stop --workdir ${wd}`;
    }
    lines.push(line);
  }
  return lines;
}
