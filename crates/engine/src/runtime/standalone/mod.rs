//! Spark standalone clusters: a master (`spark://host:7077`), its web UI's JSON status
//! and its REST submission server, and the workers' log pages.

pub(crate) mod cluster_json;
pub mod connection;
pub(crate) mod endpoints;
pub(crate) mod http;
pub(crate) mod log_copy;
pub(crate) mod rest;
mod runtime;

pub(crate) use runtime::StandaloneRuntime;

#[cfg(test)]
mod real_tests;

#[cfg(test)]
#[path = "../../../tests/support/standalone.rs"]
mod fixture;
