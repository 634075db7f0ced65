/**
 * What a run left in its results database, as the interrupt tests judge it: the latest run's verdict, how many of
 * its steps are still `running` (an interrupted run must leave none) and whether its summary files were written
 * (results/runs/<id>/summary.{json,md} beside the database).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type RunDetail } from '../../harness/store/store.ts';

export interface RunRecord {
  id: string;
  verdict: string;
  /** steps still marked running */
  running: number;
  summaryFiles: boolean;
  steps: RunDetail['steps'];
}

/** The latest run recorded in `db`. */
export function lastRunRecord(db: string): RunRecord {
  const store = openStore(db);
  try {
    const [run] = store.listRuns({ limit: 1 });
    if (!run) throw new Error(`no run recorded in ${db}`);
    const d = store.getRun(run.id);
    const dir = join(db, '..', 'runs', run.id);
    return {
      id: run.id,
      verdict: d.run.verdict,
      running: d.steps.filter((s) => s.status === 'running').length,
      summaryFiles: existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'summary.md')),
      steps: d.steps,
    };
  } finally {
    store.close();
  }
}

/** Everything `db` recorded of run `id` (store opened and closed around the read). */
export function readRun(db: string, id: string): RunDetail {
  const store = openStore(db);
  try {
    return store.getRun(id);
  } finally {
    store.close();
  }
}
