//! Where a standalone cluster answers: the master's RPC address (`url`), its web UI
//! (`webUiUrl`, else the master's host on port 8080) and its REST submission server
//! (`restUrl`, else the master's host on port 6066) — Spark's default ports.

use crate::model::cluster::{Cluster, ClusterType};

const DEFAULT_WEB_UI_PORT: u16 = 8080;
const DEFAULT_REST_PORT: u16 = 6066;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    /// `spark://host:port[,host2:port2]`, as Spark's `--master` takes it.
    pub(crate) master: String,
    /// The first master's `host:port`: with several (ZooKeeper HA) the others are standbys
    /// whose web UIs have no workers to show.
    pub(crate) master_host_port: String,
    /// Web UI base URL without a trailing slash.
    pub(crate) web_ui: String,
    /// REST submission base URL without a trailing slash.
    pub(crate) rest: String,
    /// Whether `rest` was configured rather than derived.
    pub(crate) rest_configured: bool,
}

impl Endpoints {
    /// `None` for a cluster that is not standalone or whose stored URL is malformed
    /// (validation keeps both from happening).
    pub(crate) fn of(cluster: &Cluster) -> Option<Self> {
        if cluster.cluster_type != ClusterType::Standalone {
            return None;
        }
        let spec = &cluster.spec;
        let hosts = spec.url.strip_prefix("spark://")?;
        let first = hosts.split(',').next()?.trim();
        let (host, _) = first.rsplit_once(':')?;
        let derived = |port: u16| format!("http://{host}:{port}");
        let base = |configured: &str, port| {
            let configured = configured.trim().trim_end_matches('/');
            if configured.is_empty() { derived(port) } else { configured.to_string() }
        };
        Some(Self {
            master: spec.url.clone(),
            master_host_port: first.to_string(),
            web_ui: base(&spec.web_ui_url, DEFAULT_WEB_UI_PORT),
            rest: base(&spec.rest_url, DEFAULT_REST_PORT),
            rest_configured: !spec.rest_url.trim().is_empty(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::ClusterSpec;

    fn cluster(url: &str, rest: &str, web: &str) -> Cluster {
        Cluster {
            id: "c".into(),
            name: "c".into(),
            description: String::new(),
            cluster_type: ClusterType::Standalone,
            spec: ClusterSpec { url: url.into(), rest_url: rest.into(), web_ui_url: web.into(), ..Default::default() },
            created_time: 0,
            updated_time: 0,
        }
    }

    #[test]
    fn unset_urls_are_derived_from_the_first_master() {
        let e = Endpoints::of(&cluster("spark://m1:7077,m2:7077", "", "")).unwrap();
        assert_eq!(e.master_host_port, "m1:7077");
        assert_eq!(e.web_ui, "http://m1:8080");
        assert_eq!(e.rest, "http://m1:6066");
        assert!(!e.rest_configured);
    }

    #[test]
    fn configured_urls_win_without_their_trailing_slash() {
        let e = Endpoints::of(&cluster("spark://127.0.0.1:7077", "http://127.0.0.1:16066/", "http://127.0.0.1:18080/")).unwrap();
        assert_eq!(e.web_ui, "http://127.0.0.1:18080");
        assert_eq!(e.rest, "http://127.0.0.1:16066");
        assert!(e.rest_configured);
        let mut local = cluster("", "", "");
        local.cluster_type = ClusterType::Local;
        assert_eq!(Endpoints::of(&local), None);
    }
}
