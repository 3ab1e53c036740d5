-- Groups created from local jar files: the files' paths (a JSON array of absolute paths),
-- and whether a rebuilt jar is redeployed to the group's drivers.
ALTER TABLE groups ADD COLUMN jar_paths TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(jar_paths));
ALTER TABLE groups ADD COLUMN watch_jars INTEGER NOT NULL DEFAULT 0;
