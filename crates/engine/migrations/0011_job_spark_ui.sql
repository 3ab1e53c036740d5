-- Where a running job's (or group driver's) live Spark UI answers from this machine, once
-- its driver said so; NULL before, when the UI is off, and once the job ended.
ALTER TABLE jobs ADD COLUMN spark_ui_url TEXT;
