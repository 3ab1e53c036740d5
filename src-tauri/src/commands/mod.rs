//! Tauri commands, one module per area. Each is a few lines over the engine.

pub(crate) mod clusters;
pub mod files;
pub(crate) mod groups;
pub(crate) mod jobs;
pub(crate) mod kubeconfig;
pub(crate) mod results;
pub(crate) mod schedules;
pub(crate) mod settings;
pub(crate) mod spark_app;
pub(crate) mod spark;
mod staging;
pub mod windows;
