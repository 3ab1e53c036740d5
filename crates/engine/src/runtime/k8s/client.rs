//! A `kube::Client` from a stored cluster: URL, CA, client certificate, token or basic
//! auth. The certificates are checked here so a bad one is reported by field name rather
//! than as a TLS failure later.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::SecretString;

use crate::error::{EngineError, Result};
use crate::model::cluster::Cluster;

/// How long connecting to an API server may take before it counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The client for `cluster`. It reads no kubeconfig and no environment.
pub fn client_for(cluster: &Cluster) -> Result<kube::Client> {
    let config = config_for(cluster)?;
    kube::Client::try_from(config).map_err(|e| EngineError::invalid("url", format!("cannot build a Kubernetes client: {e}")))
}

/// The `kube::Config` for `cluster`, built by hand from its fields.
pub fn config_for(cluster: &Cluster) -> Result<kube::Config> {
    let spec = &cluster.spec;
    let url: http::Uri = spec
        .url
        .parse()
        .map_err(|e| EngineError::invalid("url", format!("'{}' is not a URL: {e}", spec.url)))?;
    if url.host().is_none() {
        return Err(EngineError::invalid("url", format!("'{}' has no host", spec.url)));
    }
    let mut config = kube::Config::new(url);
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.default_namespace = super::namespace_of(cluster);
    if !spec.ca_cert.is_empty() {
        config.root_cert = Some(ca_certificates(&spec.ca_cert)?);
    }
    if !spec.client_cert.is_empty() || !spec.client_key.is_empty() {
        check_identity(&spec.client_cert, spec.client_key.expose(), spec.client_key_passphrase.expose())?;
        config.auth_info.client_certificate_data = Some(STANDARD.encode(&spec.client_cert));
        config.auth_info.client_key_data = Some(SecretString::from(STANDARD.encode(spec.client_key.expose())));
    }
    if !spec.token.is_empty() {
        config.auth_info.token = Some(SecretString::from(spec.token.expose().to_string()));
    }
    if !spec.username.is_empty() {
        config.auth_info.username = Some(spec.username.clone());
        config.auth_info.password = Some(SecretString::from(spec.password.expose().to_string()));
    }
    Ok(config)
}

fn pem_blocks(field: &str, text: &str) -> Result<Vec<pem::Pem>> {
    let blocks = pem::parse_many(text).map_err(|e| EngineError::invalid(field, format!("is not valid PEM: {e}")))?;
    if blocks.is_empty() {
        return Err(EngineError::invalid(field, "holds no PEM block"));
    }
    Ok(blocks)
}

/// The DER of each CA certificate, each one parsed as X.509 so garbage is caught here.
fn ca_certificates(text: &str) -> Result<Vec<Vec<u8>>> {
    let mut roots = rustls::RootCertStore::empty();
    let mut ders = Vec::new();
    for (i, block) in pem_blocks("caCert", text)?.into_iter().enumerate() {
        if block.tag() != "CERTIFICATE" {
            return Err(EngineError::invalid("caCert", format!("holds a '{}' block, expected CERTIFICATE", block.tag())));
        }
        let der = block.into_contents();
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| EngineError::invalid("caCert", format!("certificate {} cannot be used as a CA: {e}", i + 1)))?;
        ders.push(der);
    }
    Ok(ders)
}

/// Checks the client certificate and key parse, go together and match each other.
fn check_identity(cert_pem: &str, key_pem: &str, passphrase: &str) -> Result<()> {
    if cert_pem.is_empty() {
        return Err(EngineError::invalid("clientCert", "is required with clientKey"));
    }
    if key_pem.is_empty() {
        return Err(EngineError::invalid("clientKey", "is required with clientCert"));
    }
    let chain: Vec<CertificateDer<'static>> = pem_blocks("clientCert", cert_pem)?
        .into_iter()
        .map(|b| match b.tag() {
            "CERTIFICATE" => Ok(CertificateDer::from(b.into_contents())),
            tag => Err(EngineError::invalid("clientCert", format!("holds a '{tag}' block, expected CERTIFICATE"))),
        })
        .collect::<Result<_>>()?;
    let key_block = pem_blocks("clientKey", key_pem)?.remove(0);
    let key = match key_block.tag() {
        "PRIVATE KEY" => PrivateKeyDer::Pkcs8(key_block.into_contents().into()),
        "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(key_block.into_contents().into()),
        "EC PRIVATE KEY" => PrivateKeyDer::Sec1(key_block.into_contents().into()),
        "ENCRYPTED PRIVATE KEY" => {
            let hint = if passphrase.is_empty() { "" } else { " (clientKeyPassphrase cannot be applied here)" };
            return Err(EngineError::invalid(
                "clientKey",
                format!("is encrypted{hint}; store it decrypted, e.g. `openssl pkey -in key.pem -out key-plain.pem`"),
            ));
        }
        tag => return Err(EngineError::invalid("clientKey", format!("holds a '{tag}' block, expected a PRIVATE KEY"))),
    };
    let signer = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key)
        .map_err(|e| EngineError::invalid("clientKey", format!("is not a usable private key: {e}")))?;
    rustls::sign::CertifiedKey::new(chain, signer).keys_match().map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => EngineError::invalid("clientKey", "does not belong to clientCert"),
        other => EngineError::invalid("clientCert", format!("cannot be parsed: {other}")),
    })
}
