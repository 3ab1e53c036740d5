//! Test support for the Kubernetes runtime: TLS on loopback, the `spark-submit`
//! recorder, the lifecycle simulator and a fake driver agent. None of these is a Kubernetes cluster.
#![allow(dead_code)] // each test file uses a part

pub mod fake_agent;
pub mod golden;
pub mod recorder;
pub mod s3;
pub mod simulator;
pub mod tls;
