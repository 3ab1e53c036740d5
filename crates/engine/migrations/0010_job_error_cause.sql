-- Why a failed job failed (`ErrorCause` as JSON), worked out once when it ended, so lists
-- do not read logs. NULL for every other job and for failures no known cause explains.
ALTER TABLE jobs ADD COLUMN error_cause TEXT;
