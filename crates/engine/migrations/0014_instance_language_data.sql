-- SQL joins the languages a group (CODE only) and its drivers' job rows may have. Widening
-- a CHECK changes no stored row, so it is the schema text alone that changes, as SQLite
-- documents for such changes (lang_altertable.html, "other kinds of table schema
-- changes"): rebuilding these tables inside the migration's transaction, where foreign keys
-- cannot be turned off, would cascade their children away. The ALTER below bumps the schema
-- version, so every connection reads the new text.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (language IN (''SCALA'', ''PYTHON''))', 'CHECK (language IN (''SCALA'', ''PYTHON'', ''SQL''))')
 WHERE type = 'table' AND name IN ('jobs', 'groups');
PRAGMA writable_schema = OFF;

-- The interpreter a code request ran in (PYTHON, SCALA, SQL; NULL for job classes and for
-- requests stored before languages were kept), and the agent's answer keyed by MIME type
-- (JSON; NULL when it sent none).
ALTER TABLE job_instances ADD COLUMN language TEXT;
ALTER TABLE job_instances ADD COLUMN data TEXT;
