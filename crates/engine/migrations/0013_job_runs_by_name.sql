-- A run's predecessors of the same name (the Jobs list's slow-run mark, "previous run"):
-- one index range per job.
CREATE INDEX jobs_name_state_submit ON jobs (name, state, submit_time);
