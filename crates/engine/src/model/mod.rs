//! The data Sparkdeck works with and the wire formats it parses.

pub mod cluster;
mod cluster_input;
pub mod driver;
pub mod error_cause;
pub mod form;
pub mod group;
pub mod job;
pub mod memory_settings;
pub mod packages;
pub mod paging;
pub mod query;
pub mod schedule;
mod request;
pub mod secret;
pub mod stages;
pub mod wire;
