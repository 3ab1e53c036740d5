-- Livy's integer ids (`/livy`): sessions (CODE groups) and batches (single jobs) are
-- numbered per kind from 0, and each session's statements (its group's code requests)
-- from 0. An id is reserved (target NULL) before its group or job is made, then bound to
-- it, so a crash in between skips a number and never gives one twice.
CREATE TABLE livy_ids (
    kind              TEXT NOT NULL CHECK (kind IN ('session', 'batch')),
    id                INTEGER NOT NULL,
    target_id         TEXT,
    -- What Livy shows that the group or job does not keep: the session's kind
    -- (pyspark, spark, sql), the name and proxy user as asked, the heartbeat timeout.
    livy_kind         TEXT,
    name              TEXT,
    proxy_user        TEXT,
    heartbeat_seconds INTEGER NOT NULL DEFAULT 0,
    created_time      INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX livy_ids_target ON livy_ids (kind, target_id) WHERE target_id IS NOT NULL;

CREATE TABLE livy_statements (
    group_id          TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    id                INTEGER NOT NULL,
    instance_id       TEXT NOT NULL UNIQUE REFERENCES job_instances (id) ON DELETE CASCADE,
    -- The statement's `kind` as sent (pyspark, spark, sql).
    livy_kind         TEXT NOT NULL,
    -- A cancel was asked for: a running statement shows `cancelling` until it ends.
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, id)
);
