//! What the desktop asks before it quits: which group drivers are running (how many, how
//! much memory), and stopping them all. Left running instead, they stay warm for the next
//! start, which re-attaches to them within their lease.

use serde::Serialize;

use crate::engine::Engine;
use crate::error::Result;
use crate::model::job::JobType;
use crate::runtime::{DriverRef, Exit, Liveness};
use crate::runtime::local::group_rss_bytes;

/// Spark's own default for `spark.driver.memory`.
const SPARK_DEFAULT_DRIVER_MEMORY: u64 = 1 << 30;

/// The group drivers that are running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RunningDrivers {
    pub count: u32,
    /// Their memory in bytes: what local drivers use now (resident, all their processes),
    /// the configured `spark.driver.memory` of drivers elsewhere.
    pub memory_bytes: u64,
}

impl Engine {
    /// The group drivers that have been launched and not ended.
    pub async fn running_group_drivers(&self) -> Result<RunningDrivers> {
        let mut running = RunningDrivers { count: 0, memory_bytes: 0 };
        for record in self.store().active_jobs().await? {
            let Some(driver) = &record.driver else { continue };
            if record.job.job_type != JobType::Interactive {
                continue;
            }
            let measured = match driver {
                DriverRef::Process(process) => group_rss_bytes(*process),
                _ => None,
            };
            let memory = match measured {
                Some(bytes) => bytes,
                None => {
                    let cluster = self.store().cluster_by_id(&record.cluster_id).await?;
                    let defaults = cluster.map(|c| c.spec.default_application_config).unwrap_or_default();
                    let setting = record.spec.config.get("spark.driver.memory").or(defaults.get("spark.driver.memory"));
                    setting.and_then(|s| spark_memory_bytes(s)).unwrap_or(SPARK_DEFAULT_DRIVER_MEMORY)
                }
            };
            running.count += 1;
            running.memory_bytes += memory;
        }
        Ok(running)
    }

    /// Stops every group driver and returns once they are gone, for an app about to quit:
    /// nothing is launched any more, requests waiting in a queue fail with the reason. The
    /// groups stay as they are; the next start launches their drivers again.
    pub async fn stop_group_drivers(&self) -> Result<()> {
        self.shutdown();
        let reason = "Sparkdeck quit and stopped the group's drivers";
        let mut stopping = Vec::new();
        for live in self.inner().groups.all() {
            let (stops, queued) = live.lock().halt(reason);
            for instance in queued {
                let error = crate::model::group::InstanceError::new(format!("{reason} before this request ran"));
                self.fail_instance(&live, &instance.job_instance_id, error).await;
            }
            stopping.extend(stops.into_iter().map(|(id, handle)| (live.clone(), id, handle)));
        }
        let grace = self.config().stop_grace;
        let stops = stopping.iter().map(|(_, _, handle)| handle.runtime.stop(&handle.driver, grace));
        let mut failed = Vec::new();
        for ((live, id, handle), result) in stopping.iter().zip(futures::future::join_all(stops).await) {
            if let Err(e) = result {
                failed.push(format!("{id}: {e}"));
                continue;
            }
            // Recorded here, not left to the supervisor: the app exits once this returns.
            let exit = match handle.runtime.poll(&handle.driver, &self.job_dir(id)).await {
                Liveness::Ended(exit) => exit,
                Liveness::Running { .. } => Exit::Code(None),
            };
            self.driver_ended(live, id, exit).await;
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(crate::error::EngineError::Conflict(format!("some group drivers could not be stopped: {}", failed.join("; "))))
        }
    }
}

/// Bytes in a Spark memory setting: a number with an optional unit (`k`, `m`, `g`, `t`,
/// also `kb`…); a bare number is MiB, as for `spark.driver.memory`.
fn spark_memory_bytes(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let shift = match &text[digits..] {
        "b" => 0,
        "k" | "kb" => 10,
        "" | "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::spark_memory_bytes;

    #[test]
    fn spark_memory_settings_in_bytes() {
        assert_eq!(spark_memory_bytes("512m"), Some(512 << 20));
        assert_eq!(spark_memory_bytes("2g"), Some(2 << 30));
        assert_eq!(spark_memory_bytes("2GB"), Some(2 << 30));
        assert_eq!(spark_memory_bytes("1024"), Some(1 << 30), "a bare number is MiB");
        assert_eq!(spark_memory_bytes("64k"), Some(64 << 10));
        assert_eq!(spark_memory_bytes("100b"), Some(100));
        assert_eq!(spark_memory_bytes("lots"), None);
        assert_eq!(spark_memory_bytes("1x"), None);
    }
}
