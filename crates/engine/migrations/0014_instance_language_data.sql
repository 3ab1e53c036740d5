-- The interpreter a code request ran in (PYTHON, SCALA, SQL; NULL for job classes and for
-- requests stored before languages were kept), and the agent's answer keyed by MIME type
-- (JSON; NULL when it sent none).
ALTER TABLE job_instances ADD COLUMN language TEXT;
ALTER TABLE job_instances ADD COLUMN data TEXT;
