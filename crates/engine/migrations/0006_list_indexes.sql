-- Tag filters: each job tag row carries copies of its job's filter columns, so a page
-- filtered by tags and state/cluster/type is one range of `job_tags_filters` instead of a
-- lookup of every job that has the tag. (Named mirror_* so they never clash with the
-- jobs columns a joined query names unqualified.)
ALTER TABLE job_tags ADD COLUMN mirror_state TEXT NOT NULL DEFAULT '';
ALTER TABLE job_tags ADD COLUMN mirror_cluster_name TEXT NOT NULL DEFAULT '' COLLATE NOCASE;
ALTER TABLE job_tags ADD COLUMN mirror_job_type TEXT NOT NULL DEFAULT '';
UPDATE job_tags
   SET mirror_state = j.state, mirror_cluster_name = j.cluster_name, mirror_job_type = j.job_type
  FROM jobs AS j
 WHERE j.id = job_tags.job_id;
CREATE INDEX job_tags_filters ON job_tags (key, value, mirror_state, mirror_cluster_name, mirror_job_type, job_id);
-- The copies follow the job whatever writes it, in the same statement.
CREATE TRIGGER job_tags_mirror_job AFTER UPDATE OF state, cluster_name, job_type ON jobs
WHEN NEW.state IS NOT OLD.state OR NEW.cluster_name IS NOT OLD.cluster_name OR NEW.job_type IS NOT OLD.job_type
BEGIN
    UPDATE job_tags
       SET mirror_state = NEW.state, mirror_cluster_name = NEW.cluster_name, mirror_job_type = NEW.job_type
     WHERE job_id = NEW.id;
END;

-- An index for every whitelisted sort (the tiebreak on id is sorted within equal values).
CREATE INDEX jobs_language ON jobs (language);
CREATE INDEX jobs_app_id ON jobs (app_id);
CREATE INDEX jobs_error ON jobs (error);
CREATE INDEX groups_description ON groups (description);
CREATE INDEX groups_language ON groups (language);
CREATE INDEX groups_scale ON groups (scale);
CREATE INDEX groups_updated_time ON groups (updated_time);
CREATE INDEX groups_archived_time ON groups (archived_time);
CREATE INDEX clusters_description ON clusters (description);
-- Instances are always listed per group, so each sort is indexed after group_id.
CREATE INDEX job_instances_group_id ON job_instances (group_id, id);
CREATE INDEX job_instances_group_job ON job_instances (group_id, job_id);
CREATE INDEX job_instances_group_type ON job_instances (group_id, request_type);
CREATE INDEX job_instances_group_state ON job_instances (group_id, state);
CREATE INDEX job_instances_group_class ON job_instances (group_id, job_class);
CREATE INDEX job_instances_group_start ON job_instances (group_id, start_time);
CREATE INDEX job_instances_group_end ON job_instances (group_id, end_time);
