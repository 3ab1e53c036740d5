//! The live Spark UI of a running job or group driver (both are job records).

use crate::engine::Engine;
use crate::error::Result;

impl Engine {
    /// The base URL (`http://127.0.0.1:PORT`, no trailing slash) at which the running
    /// application's Spark UI and Spark's REST API (`{url}/api/v1/applications`) answer
    /// from this machine; None when the job is not running, its UI is off, or its driver
    /// has not bound it yet. The job's follower (a group's supervisor for its drivers)
    /// records it; an ended job has none. Unknown job: `NotFound`.
    pub async fn live_spark_ui(&self, job_id: &str) -> Result<Option<String>> {
        let record = self.job_record(job_id).await?;
        Ok(record.job.spark_ui_url.filter(|_| !record.job.state.is_terminal()))
    }
}
