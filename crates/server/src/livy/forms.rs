//! What session and batch creates share: local files, memory and cores, the proxy user and
//! the cluster, each refused by its Livy field name, and the id reserved before what it
//! names is made.

use std::future::Future;
use std::path::PathBuf;

use serde_json::{Map, Value};
use sparkdeck_engine::Engine;
use sparkdeck_engine::livy_ids::NewLivyEntry;
use sparkdeck_engine::artifacts::Uploaded;
use sparkdeck_engine::model::memory_settings::MemorySettingsForm;

use super::errors::{LivyError, LivyResult};
use super::wire;

/// `proxyUser` may only name the user Sparkdeck runs as: it cannot impersonate anyone.
pub(crate) fn check_proxy_user(proxy_user: Option<String>) -> LivyResult<Option<String>> {
    match proxy_user {
        Some(user) if user != super::owner() => Err(LivyError::field(
            "proxyUser",
            format!("'{user}' is not the user running Sparkdeck ('{}'); it cannot run work as another user", super::owner()),
        )),
        other => Ok(other),
    }
}

/// Livy's memory and core fields as the group form's.
pub(crate) fn memory_form(body: &Map<String, Value>) -> LivyResult<MemorySettingsForm> {
    Ok(MemorySettingsForm {
        driver_memory: wire::text(body, "driverMemory")?,
        executor_memory: wire::text(body, "executorMemory")?,
        driver_cores: wire::whole(body, "driverCores")?.map(|n| n.to_string()),
        executor_cores: wire::whole(body, "executorCores")?.map(|n| n.to_string()),
        executors: wire::whole(body, "numExecutors")?.map(|n| n.to_string()),
        ..MemorySettingsForm::default()
    })
}

/// Files on this machine: absolute paths, or `file:` / `local:` URLs of them.
pub(crate) fn local_paths(body: &Map<String, Value>, field: &str) -> LivyResult<Vec<PathBuf>> {
    wire::strings(body, field)?.iter().map(|item| local_path(field, item)).collect()
}

pub(crate) fn local_path(field: &str, item: &str) -> LivyResult<PathBuf> {
    let path = item.strip_prefix("file://").or_else(|| item.strip_prefix("local://")).or_else(|| item.strip_prefix("local:")).unwrap_or(item);
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(LivyError::field(field, format!("'{item}' is not an absolute path on this machine")));
    }
    Ok(path)
}

/// Reads local files into uploads, off the async threads (files can be large).
pub(crate) async fn read_files(engine: &Engine, field: &'static str, paths: Vec<PathBuf>) -> LivyResult<Vec<Uploaded>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let engine = engine.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut budget = engine.max_upload_bytes();
        paths.iter().map(|p| engine.upload_local_file(field, p, &mut budget)).collect::<Result<Vec<_>, _>>()
    });
    read.await.map_err(|e| LivyError::bad_request(format!("{field}: cannot be read: {e}")))?.map_err(LivyError::from)
}

/// The cluster a session or batch runs on, as a Spark-looking key of `conf`.
pub(crate) const CLUSTER_KEY: &str = "sparkdeck.clusterName";

/// Takes the cluster key out of `conf`: the cluster it names.
pub(crate) fn take_cluster(conf: &mut Vec<(String, String)>) -> Option<String> {
    conf.iter().position(|(k, _)| k == CLUSTER_KEY).map(|i| conf.remove(i).1)
}

/// Spark conf as the platform form's `jobConfig` (`key=value;…`).
pub(crate) fn job_config(conf: &[(String, String)]) -> String {
    conf.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
}

/// Makes what a new Livy id names. The id is reserved first, so the group or job can carry
/// it; a refused `make` hands it back (the refusal in Livy's field names, `form_names`), and
/// what was made is bound to it. Returns the id and what was made.
pub(crate) async fn create_with_id<T, Made>(
    engine: &Engine,
    reservation: &NewLivyEntry,
    form_names: &[(&str, &str)],
    make: impl FnOnce(u32) -> Made,
    target_id: impl FnOnce(&T) -> &str,
) -> LivyResult<(u32, T)>
where
    Made: Future<Output = sparkdeck_engine::Result<T>>,
{
    let id = engine.reserve_livy_id(reservation).await?;
    let made = match make(id).await {
        Ok(made) => made,
        Err(error) => {
            engine.cancel_livy_reservation(reservation.kind, id).await?;
            return Err(LivyError::from_form(error, form_names));
        }
    };
    engine.bind_livy_id(reservation.kind, id, target_id(&made)).await?;
    Ok((id, made))
}
