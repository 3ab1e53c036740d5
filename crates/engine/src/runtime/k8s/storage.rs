//! Job files go to the cluster's `sparkStorage` S3 bucket; the driver and executors read
//! them back through `s3a://` with the conf from [`s3a_conf`]. The driver writes its event
//! log there too ([`events_prefix`]), copied back into the job directory when it ends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path as StorePath;
use tokio::io::AsyncWriteExt;

use super::manifests::S3Credentials;
use crate::error::{EngineError, Result};
use crate::model::cluster::{Cluster, Storage};

/// The storage a Kubernetes job's files are uploaded to.
pub fn spark_storage(cluster: &Cluster) -> Result<&Storage> {
    let name = &cluster.spec.spark_storage;
    if name.is_empty() {
        return Err(EngineError::invalid(
            "sparkStorage",
            "is required to run jobs on Kubernetes: the pods read the job's files from that S3 storage",
        ));
    }
    cluster
        .spec
        .storages
        .get(name)
        .ok_or_else(|| EngineError::invalid("sparkStorage", format!("'{name}' is not one of this cluster's storages")))
}

/// The `spark.hadoop.fs.s3a.*` entries a job needs to read `storage`. Its keys are not
/// among them: they go in the driver's Secret ([`s3_credentials`]).
pub fn s3a_conf(storage: &Storage) -> BTreeMap<String, String> {
    let mut conf = BTreeMap::from([
        ("spark.hadoop.fs.s3a.impl".to_string(), "org.apache.hadoop.fs.s3a.S3AFileSystem".to_string()),
        ("spark.hadoop.fs.s3a.path.style.access".to_string(), "true".to_string()),
    ]);
    if !storage.endpoint.is_empty() {
        conf.insert("spark.hadoop.fs.s3a.endpoint".into(), storage.endpoint.clone());
        conf.insert(
            "spark.hadoop.fs.s3a.connection.ssl.enabled".into(),
            storage.endpoint.starts_with("https://").to_string(),
        );
    }
    conf
}

/// The keys the pods need to read `storage`, if it has any.
pub fn s3_credentials(storage: &Storage) -> Option<S3Credentials> {
    (!storage.access_key.is_empty())
        .then(|| S3Credentials { access_key: storage.access_key.clone(), secret_key: storage.secret_key.clone() })
}

fn store_for(storage: &Storage) -> Result<Arc<dyn ObjectStore>> {
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&storage.spark_bucket)
        .with_region("us-east-1")
        .with_virtual_hosted_style_request(false);
    if !storage.endpoint.is_empty() {
        builder = builder.with_endpoint(&storage.endpoint).with_allow_http(storage.endpoint.starts_with("http://"));
    }
    if !storage.access_key.is_empty() {
        builder = builder.with_access_key_id(&storage.access_key).with_secret_access_key(storage.secret_key.expose());
    }
    let store = builder.build().map_err(|e| EngineError::invalid("sparkStorage", format!("cannot use the S3 storage: {e}")))?;
    Ok(Arc::new(store))
}

/// Where a job's files go in the spark bucket.
pub fn job_prefix(job_id: &str) -> String {
    format!("sparkdeck/jobs/{job_id}")
}

/// Deletes every object under `prefix/` in the spark bucket.
pub async fn delete_prefix(storage: &Storage, prefix: &str) -> Result<()> {
    let store = store_for(storage)?;
    let prefix = StorePath::parse(prefix.trim_matches('/'))
        .map_err(|e| EngineError::Internal(format!("'{prefix}' is not an object prefix: {e}")))?;
    let unavailable = |e: object_store::Error| {
        EngineError::Unavailable(format!("cannot remove s3a://{}/{prefix}/ from the storage: {e}", storage.spark_bucket))
    };
    let locations = store.list(Some(&prefix)).map_ok(|meta| meta.location).boxed();
    let mut deleted = store.delete_stream(locations);
    while let Some(done) = deleted.next().await {
        match done {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(unavailable(e)),
        }
    }
    Ok(())
}

/// Uploads each `(local file, object name)` under `prefix` in the spark bucket and returns
/// their `s3a://` URLs in the same order. Large files go up in parts.
pub async fn upload_artifacts(storage: &Storage, prefix: &str, files: &[(PathBuf, String)]) -> Result<Vec<String>> {
    let store = store_for(storage)?;
    let mut urls = Vec::with_capacity(files.len());
    for (local, name) in files {
        let key = format!("{}/{}", prefix.trim_matches('/'), name);
        let path = StorePath::parse(&key).map_err(|e| EngineError::invalid("files", format!("'{name}' cannot be an object name: {e}")))?;
        let url = format!("s3a://{}/{}", storage.spark_bucket, path);
        let mut file = tokio::fs::File::open(local).await.map_err(|e| EngineError::io(format!("opening {}", local.display()), e))?;
        let mut writer = BufWriter::new(Arc::clone(&store), path);
        let copied = tokio::io::copy(&mut file, &mut writer).await;
        let finished = match copied {
            Ok(_) => writer.shutdown().await,
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        };
        finished.map_err(|e| EngineError::Unavailable(format!("cannot upload {} to {url}: {e}", local.display())))?;
        urls.push(url);
    }
    Ok(urls)
}

/// Where a Kubernetes driver writes its event log: `<job prefix>/events`, as the local
/// job directory's `events/` folder (the engine copies it back, [`download_prefix`]).
pub fn events_prefix(job_id: &str) -> String {
    format!("{}/events", job_prefix(job_id))
}

/// An empty object in the events folder: Hadoop's S3A sees a "directory" only where an
/// object lies under it, and Spark refuses an event log directory that is not one.
pub const EVENTS_MARKER: &str = ".sparkdeck-events";

/// Puts the empty [`EVENTS_MARKER`] object under `prefix` in the spark bucket.
pub async fn put_events_marker(storage: &Storage, prefix: &str) -> Result<()> {
    let store = store_for(storage)?;
    let key = format!("{}/{EVENTS_MARKER}", prefix.trim_matches('/'));
    let path = StorePath::parse(&key).map_err(|e| EngineError::Internal(format!("'{key}' is not an object name: {e}")))?;
    store
        .put(&path, PutPayload::new())
        .await
        .map(|_| ())
        .map_err(|e| EngineError::Unavailable(format!("cannot write s3a://{}/{key} to the storage: {e}", storage.spark_bucket)))
}

/// Copies every object under `prefix/` in the spark bucket (but the [`EVENTS_MARKER`])
/// into `dest` at the same relative path, each through a temporary file renamed into
/// place, so a copy cut short leaves no partial file under its real name. Returns how
/// many objects were copied; an object whose name is not plain segments is skipped.
pub async fn download_prefix(storage: &Storage, prefix: &str, dest: &Path) -> Result<usize> {
    let store = store_for(storage)?;
    let prefix = StorePath::parse(prefix.trim_matches('/'))
        .map_err(|e| EngineError::Internal(format!("'{prefix}' is not an object prefix: {e}")))?;
    let unavailable =
        |what: &str, e: object_store::Error| EngineError::Unavailable(format!("cannot {what} s3a://{}/{prefix}/: {e}", storage.spark_bucket));
    let objects: Vec<_> = store.list(Some(&prefix)).try_collect().await.map_err(|e| unavailable("list", e))?;
    let mut copied = 0;
    for object in objects {
        let Some(parts) = object.location.prefix_match(&prefix) else { continue };
        let parts: Vec<String> = parts.map(|p| p.as_ref().to_string()).collect();
        let plain = |p: &String| !p.is_empty() && p != "." && p != ".." && !p.contains(['/', '\\', '\0']);
        if parts.is_empty() || !parts.iter().all(plain) || parts.last().is_some_and(|p| p == EVENTS_MARKER) {
            continue;
        }
        let target = parts.iter().fold(dest.to_path_buf(), |path, part| path.join(part));
        let dir = target.parent().unwrap_or(dest).to_path_buf();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
        let temp = dir.join(format!(".{}.download", parts.last().map_or("", String::as_str)));
        let mut file = tokio::fs::File::create(&temp).await.map_err(|e| EngineError::io(format!("creating {}", temp.display()), e))?;
        let mut body = store.get(&object.location).await.map_err(|e| unavailable("read", e))?.into_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| unavailable("read", e))?;
            file.write_all(&chunk).await.map_err(|e| EngineError::io(format!("writing {}", temp.display()), e))?;
        }
        file.flush().await.map_err(|e| EngineError::io(format!("writing {}", temp.display()), e))?;
        tokio::fs::rename(&temp, &target).await.map_err(|e| EngineError::io(format!("renaming {}", temp.display()), e))?;
        copied += 1;
    }
    Ok(copied)
}
