//! The data Sparkdeck works with and the wire formats it parses.

pub mod cluster;
pub mod group;
pub mod job;
pub mod paging;
pub mod secret;
pub mod wire;
