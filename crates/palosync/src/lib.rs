//! palosync: keeps a Palo Alto Networks firewall's security rules in step with AWS security
//! groups. This library is the wiring behind the `palosync` binary: configuration, the
//! executor that turns a plan into firewall calls, the Lambda handler and the report. The
//! decisions live in the `planner` crate; the IO in `aws` and `panos`.

pub mod accounts;
pub mod app;
pub mod capacity;
pub mod check;
pub mod cli;
pub mod config;
pub mod demo;
pub mod executor;
pub mod explain;
pub mod firewall;
pub mod fleet;
pub mod lambda;
pub mod membership;
pub mod metrics;
pub mod report;
pub mod snapshot;
pub mod targets;
#[cfg(test)]
mod test_plans;
