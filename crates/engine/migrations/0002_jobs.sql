-- Single jobs. Indexed columns for every filter and sort `GET /job` offers; what only the
-- runtime needs (artifacts, Spark conf, args, requirements) as one JSON document.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY NOT NULL,
    group_id     TEXT,
    name         TEXT NOT NULL,
    job_type     TEXT NOT NULL CHECK (job_type IN ('SINGLE', 'INTERACTIVE', 'SHELL')),
    language     TEXT NOT NULL CHECK (language IN ('SCALA', 'PYTHON')),
    cluster_id   TEXT NOT NULL,
    cluster_name TEXT NOT NULL COLLATE NOCASE,
    app_id       TEXT,
    state        TEXT NOT NULL CHECK (state IN ('SUBMITTED', 'STARTING', 'READY', 'BUSY', 'FAILED', 'FINISHED', 'CANCELED', 'UNKNOWN')),
    error        TEXT,
    submit_time  INTEGER NOT NULL,
    start_time   INTEGER NOT NULL DEFAULT 0,
    end_time     INTEGER NOT NULL DEFAULT 0,
    tags         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tags)),
    spec         TEXT NOT NULL CHECK (json_valid(spec)),
    -- The launched process group leader and its start time (/proc/<pid>/stat field 22),
    -- so recovery can tell the same process from a recycled pid.
    pid          INTEGER,
    pid_start    INTEGER
);
-- Filters combine with the default sort (newest first) and with each other.
CREATE INDEX jobs_submit_time ON jobs (submit_time);
CREATE INDEX jobs_state_submit ON jobs (state, submit_time);
CREATE INDEX jobs_cluster_submit ON jobs (cluster_name, submit_time);
CREATE INDEX jobs_cluster_state_submit ON jobs (cluster_name, state, submit_time);
CREATE INDEX jobs_type_submit ON jobs (job_type, submit_time);
CREATE INDEX jobs_group ON jobs (group_id);
CREATE INDEX jobs_cluster_id_state ON jobs (cluster_id, state);
CREATE INDEX jobs_name ON jobs (name);
CREATE INDEX jobs_start_time ON jobs (start_time);
CREATE INDEX jobs_end_time ON jobs (end_time);

-- One row per tag, so `tags=k=v;k2=v2` is an indexed lookup per pair.
CREATE TABLE job_tags (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (job_id, key)
);
CREATE INDEX job_tags_pair ON job_tags (key, value, job_id);

-- Which stored artifacts (content-addressed by sha256) each job uses: an artifact no
-- row references any more is removed with the last job that used it.
CREATE TABLE job_artifacts (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (job_id, sha256)
);
CREATE INDEX job_artifacts_sha ON job_artifacts (sha256);
