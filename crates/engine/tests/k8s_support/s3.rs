//! An S3-protocol server on loopback (`s3s-fs`: buckets are directories of a temp
//! directory, signatures are checked). Not AWS.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

pub const ACCESS_KEY: &str = "AKTEST";
pub const SECRET_KEY: &str = "secret-test";

/// An S3 server over `root` (each directory a bucket) with one access key.
pub async fn s3_server(root: &std::path::Path) -> String {
    let fs = s3s_fs::FileSystem::new(root).unwrap();
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(tcp), service).await;
            });
        }
    });
    format!("http://{addr}")
}

