use sparkdeck_engine::{Engine, EngineConfig};
use tempfile::TempDir;

/// A real engine on a fresh temporary data directory.
pub async fn engine() -> (TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.expect("engine opens");
    (dir, engine)
}

#[allow(dead_code)] // not every test file uses it
pub fn pem_block(tag: &str) -> String {
    pem::encode(&pem::Pem::new(tag, vec![0x30, 0x03, 0x02, 0x01, 0x01]))
}
