/**
 * Versioned schema migrations, in order. Migration i (0-based) brings the schema to version i+1.
 * Never edit a migration that has shipped; append a new one.
 */
export const migrations: readonly string[] = [
  // 1: runs and everything that hangs off them
  `
  CREATE TABLE runs (
    id          TEXT PRIMARY KEY,           -- uuid
    kind        TEXT NOT NULL CHECK (kind IN ('scenario','eval','check')),
    name        TEXT NOT NULL,
    target      TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}', -- JSON, secrets scrubbed
    versions    TEXT NOT NULL DEFAULT '{}', -- JSON
    git_sha     TEXT,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    verdict     TEXT NOT NULL DEFAULT 'running' CHECK (verdict IN ('running','passed','failed','error','interrupted','crashed')),
    summary     TEXT NOT NULL DEFAULT '{}', -- JSON
    pid         INTEGER,
    host        TEXT
  );
  CREATE INDEX runs_started ON runs (started_at);
  CREATE TABLE steps (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    parent_id   INTEGER REFERENCES steps(id),
    seq         INTEGER NOT NULL,
    path        TEXT NOT NULL,              -- JSON array of names, outermost first
    name        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    duration_ms REAL,
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running','passed','failed','error','interrupted')),
    error       TEXT
  );
  CREATE INDEX steps_run ON steps (run_id, seq);
  CREATE TABLE checks (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step_id     INTEGER REFERENCES steps(id),
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('passed','failed','error')),
    duration_ms REAL NOT NULL,
    at          TEXT NOT NULL,
    summary     TEXT,
    data        TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX checks_run ON checks (run_id);
  CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_id    INTEGER REFERENCES checks(id),
    kind        TEXT NOT NULL,
    node        TEXT,
    egressip    TEXT,
    namespace   TEXT,
    pod         TEXT,
    expected    TEXT,
    actual      TEXT,
    message     TEXT
  );
  CREATE INDEX findings_run ON findings (run_id, kind);
  CREATE TABLE measurements (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step_id     INTEGER REFERENCES steps(id),
    name        TEXT NOT NULL,
    value       REAL NOT NULL,
    unit        TEXT NOT NULL,
    labels      TEXT NOT NULL DEFAULT '{}',
    at          TEXT NOT NULL
  );
  CREATE INDEX measurements_run ON measurements (run_id, name);
  CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    target      TEXT,
    at          TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX events_run ON events (run_id, at);
  `,
  // ptp watch (harness/ptp/watch.ts): cloud-event-proxy events and the alerts the watch rules raised, per watch session
  `
  CREATE TABLE ptp_events (
    id          INTEGER PRIMARY KEY,
    watch_id    TEXT NOT NULL,
    node        TEXT NOT NULL,
    type        TEXT NOT NULL,
    resource    TEXT NOT NULL,
    data_type   TEXT NOT NULL,
    value       TEXT NOT NULL,
    time        TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('event','poll')),
    received_at TEXT NOT NULL
  );
  CREATE INDEX ptp_events_watch ON ptp_events (watch_id, node, time);
  CREATE TABLE ptp_alerts (
    id              INTEGER PRIMARY KEY,
    watch_id        TEXT NOT NULL,
    rule            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('INFO','WARNING','CRITICAL')),
    summary         TEXT NOT NULL,
    details         TEXT NOT NULL,
    recommendations TEXT NOT NULL DEFAULT '[]',
    nodes           TEXT NOT NULL DEFAULT '[]',
    resource        TEXT,
    at              TEXT NOT NULL
  );
  CREATE INDEX ptp_alerts_watch ON ptp_alerts (watch_id, at);
  `,
  // 3: findings generic across checks (harness/checks/types.ts CheckFinding): check, kind, subject, node, expected,
  // actual, message, labels (JSON). Before version 3 only the EgressIP check recorded findings (egressip / namespace /
  // pod were its columns), so every existing row belongs to check 'egressip'; those columns become labels, and the
  // subject is derived as toCheckFinding (harness/checks/egressip/index.ts) derives it: the pod, else the EgressIP,
  // else the node. Nothing references findings, so the table is rebuilt (SQLite cannot drop columns with an index).
  `
  ALTER TABLE findings RENAME TO findings_v2;
  CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_id    INTEGER REFERENCES checks(id),
    "check"     TEXT NOT NULL,              -- the check unit (harness/checks/registry.ts) whose vocabulary kind is from
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,              -- a node, or an object as kind/ns/name
    node        TEXT,
    expected    TEXT,
    actual      TEXT,
    message     TEXT,
    labels      TEXT NOT NULL DEFAULT '{}'  -- JSON object of strings: check-specific dimensions
  );
  INSERT INTO findings (id, run_id, check_id, "check", kind, subject, node, expected, actual, message, labels)
  SELECT
    id, run_id, check_id, 'egressip', kind,
    CASE
      WHEN pod IS NOT NULL THEN 'pod/' || COALESCE(namespace, '') || '/' || pod
      WHEN egressip IS NOT NULL THEN 'egressip/' || egressip
      WHEN node IS NOT NULL THEN 'node/' || node
      ELSE 'cluster'
    END,
    node, expected, actual, message,
    json_remove(
      json_object('egressip', egressip, 'namespace', namespace, 'pod', pod),
      CASE WHEN egressip IS NULL THEN '$.egressip' ELSE '$.none' END,
      CASE WHEN namespace IS NULL THEN '$.namespace' ELSE '$.none' END,
      CASE WHEN pod IS NULL THEN '$.pod' ELSE '$.none' END
    )
  FROM findings_v2;
  DROP TABLE findings_v2;
  CREATE INDEX findings_run ON findings (run_id, kind);
  CREATE INDEX findings_check ON findings ("check", kind);
  `,
  // metrics profiles (harness/metrics, harness/store/metrics.ts): the Prometheus series a run collected. One row per
  // metricName x label set x kind ('range': query_range over the run; 'instant': evaluated at step boundaries),
  // its samples in metric_points (value NULL for NaN; step = the boundary's name for instant queries).
  `
  CREATE TABLE metric_series (
    id           INTEGER PRIMARY KEY,
    run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    metric_name  TEXT NOT NULL,
    query        TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('range','instant')),
    labels       TEXT NOT NULL DEFAULT '{}',
    step_seconds REAL
  );
  CREATE INDEX metric_series_run ON metric_series (run_id, metric_name);
  CREATE TABLE metric_points (
    series_id    INTEGER NOT NULL REFERENCES metric_series(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    value        REAL,
    step         TEXT
  );
  CREATE INDEX metric_points_series ON metric_points (series_id, at);
  `,
  // 5: evals (evals/store.ts): each attempt of a trial with its drawn targets, effort, phase times and safety verdict; the
  // tool calls the recording proxy saw; the answer; scores per scoring version (rescore adds); the agent's transcript
  `
  CREATE TABLE eval_trials (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    case_id     TEXT NOT NULL,
    repeat      INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,           -- 1, 2, ...: earlier attempts of (case, repeat) ended in an infra error
    status      TEXT NOT NULL CHECK (status IN ('running','scored','infra','interrupted')),
    agent       TEXT NOT NULL,
    bindings    TEXT,                       -- JSON: the targets drawn for this trial
    infra_error TEXT,
    infra_phase TEXT,                       -- setup, draw, inject, gate, snapshot, agent, score, heal
    effort      TEXT,                       -- JSON: toolCalls, resultBytes, inputTokens, outputTokens, costUsd, steps, seconds
    phases      TEXT NOT NULL DEFAULT '{}', -- JSON: ms per phase
    safety      TEXT,                       -- JSON: the safety gate's verdict (snapshots are not stored)
    started_at  TEXT NOT NULL,
    ended_at    TEXT
  );
  CREATE INDEX eval_trials_run ON eval_trials (run_id, case_id, repeat, attempt);
  CREATE TABLE eval_tool_calls (
    id               INTEGER PRIMARY KEY,
    trial_id         INTEGER NOT NULL REFERENCES eval_trials(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    server           TEXT NOT NULL,         -- mcpServers name, or 'proxy' (submit_rca, unknown tools)
    tool             TEXT NOT NULL,
    called_as        TEXT NOT NULL,
    arguments        TEXT NOT NULL,         -- JSON, secrets scrubbed
    result           TEXT NOT NULL,         -- text, capped at 256 KiB
    result_bytes     INTEGER NOT NULL,
    latency_ms       REAL NOT NULL,
    is_error         INTEGER NOT NULL,
    error            TEXT,
    read_only_hint   INTEGER,
    destructive_hint INTEGER,
    at               TEXT NOT NULL
  );
  CREATE INDEX eval_tool_calls_trial ON eval_tool_calls (trial_id, seq);
  CREATE TABLE eval_answers (
    trial_id    INTEGER PRIMARY KEY REFERENCES eval_trials(id) ON DELETE CASCADE,
    submitted   TEXT,                       -- JSON RcaAnswer, NULL when the agent never called submit_rca
    text        TEXT NOT NULL
  );
  CREATE TABLE eval_scores (
    id              INTEGER PRIMARY KEY,
    trial_id        INTEGER NOT NULL REFERENCES eval_trials(id) ON DELETE CASCADE,
    scoring_version TEXT NOT NULL,
    passed          INTEGER NOT NULL,
    overall         REAL NOT NULL,
    scores          TEXT NOT NULL,          -- JSON LevelScores
    score           TEXT NOT NULL,          -- JSON TrialScore (passes, details, safety)
    scored_at       TEXT NOT NULL,
    UNIQUE (trial_id, scoring_version)
  );
  CREATE TABLE eval_transcripts (
    id          INTEGER PRIMARY KEY,
    trial_id    INTEGER NOT NULL REFERENCES eval_trials(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    role        TEXT NOT NULL,
    content     TEXT NOT NULL,
    at          TEXT NOT NULL
  );
  CREATE INDEX eval_transcripts_trial ON eval_transcripts (trial_id, seq);
  `,
];
