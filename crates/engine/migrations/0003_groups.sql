-- Groups of interactive drivers. Drivers are rows of `jobs` (job_type INTERACTIVE) with
-- group_id set; every request sent to a group is a row of `job_instances`.
CREATE TABLE groups (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description   TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL CHECK (kind IN ('JOB', 'CODE')),
    language      TEXT NOT NULL CHECK (language IN ('SCALA', 'PYTHON')),
    cluster_id    TEXT NOT NULL,
    cluster_name  TEXT NOT NULL COLLATE NOCASE,
    state         TEXT NOT NULL CHECK (state IN ('ACTIVE', 'ARCHIVED')),
    paused        INTEGER NOT NULL DEFAULT 0,
    scale         INTEGER NOT NULL CHECK (scale >= 0),
    created_time  INTEGER NOT NULL,
    updated_time  INTEGER NOT NULL,
    archived_time INTEGER NOT NULL DEFAULT 0,
    tags          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tags)),
    -- Artifacts, Spark conf and requirements every driver is launched with (a job spec).
    spec          TEXT NOT NULL CHECK (json_valid(spec))
);
CREATE INDEX groups_state ON groups (state, created_time);
CREATE INDEX groups_kind ON groups (kind, created_time);
CREATE INDEX groups_cluster ON groups (cluster_name, created_time);
CREATE INDEX groups_cluster_id ON groups (cluster_id);
CREATE INDEX groups_created_time ON groups (created_time);

CREATE TABLE group_tags (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (group_id, key)
);
CREATE INDEX group_tags_pair ON group_tags (key, value, group_id);

-- Artifacts a group's future drivers need (an artifact is removed only when neither a
-- job nor a group references it).
CREATE TABLE group_artifacts (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    sha256   TEXT NOT NULL,
    PRIMARY KEY (group_id, sha256)
);
CREATE INDEX group_artifacts_sha ON group_artifacts (sha256);

CREATE TABLE job_instances (
    id            TEXT PRIMARY KEY NOT NULL,
    group_id      TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    job_id        TEXT,
    request_type  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('SUBMITTED', 'BUSY', 'FINISHED', 'FAILED', 'CANCELED')),
    job_class     TEXT,
    job_config    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(job_config)),
    code          TEXT,
    cursor        INTEGER,
    result        TEXT,
    completions   TEXT,
    error_message TEXT,
    error_stack   TEXT,
    submit_time   INTEGER NOT NULL,
    start_time    INTEGER NOT NULL DEFAULT 0,
    end_time      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX job_instances_group_submit ON job_instances (group_id, submit_time);
CREATE INDEX job_instances_state ON job_instances (state);
CREATE INDEX job_instances_job ON job_instances (job_id);
