//! nocwatch as one service.
//!
//! A NOC runs one process that polls, takes traps, keeps the store and answers
//! the API. This crate builds it: each component (the trap intake, the pollers,
//! the CSV source, the simulators of the lab, the API) is built from its
//! configuration section by its own crate and runs under one [`Supervisor`],
//! which owns the startup order, readiness, reload and graceful shutdown, after
//! the pattern of vector's topology (`build()` per component; bounded channels
//! with explicit when-full policies between them).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod build;
pub mod component;
pub mod config;
mod error;
mod service;
pub mod shared;
pub mod supervisor;

pub use config::Config;
pub use error::ServiceError;
pub use service::{ConfigSource, Ended, Service};
pub use shared::Shared;
pub use supervisor::{BoxFuture, Component, Faults, Running, StopReport, Supervisor};
