//! The API token: 32 random bytes, hex, created on first start in the data directory with
//! mode 0600 and reused afterwards.

use std::fs;
use std::io::Write;
use std::path::Path;

use rand::RngCore;

pub const FILE_NAME: &str = "api-token";

pub fn load_or_create(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join(FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => {
            restrict(&path)?;
            return Ok(text.trim().to_string());
        }
        Ok(_) => {} // empty or truncated: replace it
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    // Written to a private temp file and renamed, so the token is never readable by others
    // and never half-written.
    let tmp = data_dir.join(format!(".{FILE_NAME}.tmp"));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    fs::rename(&tmp, &path)?;
    restrict(&path)?;
    Ok(token)
}

fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
