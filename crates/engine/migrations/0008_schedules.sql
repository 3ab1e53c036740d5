-- Schedules: a cron and a checked job form; each run is an ordinary single job.
CREATE TABLE schedules (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description      TEXT NOT NULL DEFAULT '',
    cron             TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('ENABLED', 'PAUSED', 'DISABLED')),
    overlap_policy   TEXT NOT NULL CHECK (overlap_policy IN ('SKIP', 'QUEUE', 'REPLACE', 'ALLOW')),
    catch_up         TEXT NOT NULL CHECK (catch_up IN ('LATEST', 'NONE', 'ALL')),
    catch_up_horizon INTEGER NOT NULL,
    language         TEXT NOT NULL CHECK (language IN ('SCALA', 'PYTHON')),
    cluster_id       TEXT NOT NULL,
    cluster_name     TEXT NOT NULL COLLATE NOCASE,
    job_name         TEXT NOT NULL,
    start_time       INTEGER NOT NULL DEFAULT 0,
    end_time         INTEGER NOT NULL DEFAULT 0,
    max_retries      INTEGER NOT NULL DEFAULT 0,
    created_time     INTEGER NOT NULL,
    updated_time     INTEGER NOT NULL,
    disabled_time    INTEGER NOT NULL DEFAULT 0,
    -- The newest due time that is accounted for (run, skipped or queued): written by the
    -- ticker in the same transaction as the run it inserts, so no due time runs twice.
    last_due         INTEGER NOT NULL,
    -- QUEUE: the one due time waiting for the previous run to end (0: none).
    queued_due       INTEGER NOT NULL DEFAULT 0,
    tags             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tags)),
    -- The checked job form (JobSpec) every run is made of.
    spec             TEXT NOT NULL CHECK (json_valid(spec))
);
CREATE INDEX schedules_state ON schedules (state);
CREATE INDEX schedules_cron ON schedules (cron);
CREATE INDEX schedules_cluster_name ON schedules (cluster_name);
CREATE INDEX schedules_created_time ON schedules (created_time);
CREATE INDEX schedules_start_time ON schedules (start_time);
CREATE INDEX schedules_end_time ON schedules (end_time);
CREATE INDEX schedules_language ON schedules (language);
CREATE INDEX schedules_description ON schedules (description);

CREATE TABLE schedule_tags (
    schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (schedule_id, key)
);
CREATE INDEX schedule_tags_pair ON schedule_tags (key, value, schedule_id);

-- The schedule's files stay stored while it exists, whatever happens to its runs.
CREATE TABLE schedule_artifacts (
    schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (schedule_id, sha256)
);
CREATE INDEX schedule_artifacts_sha ON schedule_artifacts (sha256);

-- Runs and retries. A run keeps its schedule_id after the schedule is deleted (it stays a job).
ALTER TABLE jobs ADD COLUMN schedule_id TEXT;
-- 1 for a first run; each retry of a failed attempt is the next.
ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN max_retries INTEGER NOT NULL DEFAULT 0;
-- A queued retry launches no earlier than this (epoch ms; 0: at once).
ALTER TABLE jobs ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
-- The due time a schedule's run is for (0: run now, retries, plain jobs).
ALTER TABLE jobs ADD COLUMN due_time INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_schedule_submit ON jobs (schedule_id, submit_time);
