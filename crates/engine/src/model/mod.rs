//! The data Sparkdeck works with and the wire formats it parses.

pub mod cluster;
pub mod driver;
pub mod form;
pub mod group;
pub mod job;
pub mod paging;
pub mod query;
pub mod secret;
pub mod wire;
