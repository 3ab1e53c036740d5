-- Groups that pause themselves after their drivers were idle for the engine's
-- `auto_pause_idle`, and resume on the next request.
ALTER TABLE groups ADD COLUMN auto_pause INTEGER NOT NULL DEFAULT 0;
