-- What runs a job, for every cluster type: a local process, a standalone submission or a
-- Kubernetes pod, as JSON (see `runtime::DriverRef`). Rows from before keep their pid
-- columns, which are read when `driver` is empty.
ALTER TABLE jobs ADD COLUMN driver TEXT CHECK (driver IS NULL OR json_valid(driver));
