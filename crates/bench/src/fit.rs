//! Device fit: how many managed rules each policy mode needs for the 200-server example (one
//! group of 200 web servers, 4 permissions; docs/modes.md) and for the full-sync estate,
//! against the VM-Series rule capacity tiers. Planned in memory: a rule count does not depend
//! on the firewall's speed.

use crate::fleet::{self, FleetSize, PlanShape};
use crate::topology::{add_group, add_instance, behind_firewall, permission, tcp};
use anyhow::Result;
use model::{InstanceState, PolicyMode, Topology};

/// Security rules a VM-Series holds per memory tier (PAN "Maximum Limits Based on Memory").
pub const TIERS: [usize; 4] = [1_500, 10_000, 20_000, 65_000];

/// One estate planned in one mode.
#[derive(Debug, Clone)]
pub struct Fit {
    pub estate: String,
    pub mode: PolicyMode,
    pub plan: PlanShape,
}

impl Fit {
    /// The smallest tier that holds the managed rules, if any does.
    pub fn smallest_tier(&self) -> Option<usize> {
        TIERS.into_iter().find(|t| self.plan.rules <= *t)
    }
}

/// 200 web servers in one group: SSH from the office, HTTP and HTTPS from anywhere, 8080 from
/// a partner network (the planner's `two_hundred_web_servers…` test).
pub fn two_hundred_web_servers() -> Topology {
    let mut topology = behind_firewall();
    add_group(
        &mut topology,
        0,
        vec![
            permission(tcp(22), &["203.0.113.0/24".to_owned()]),
            permission(tcp(80), &["0.0.0.0/0".to_owned()]),
            permission(tcp(443), &["0.0.0.0/0".to_owned()]),
            permission(tcp(8080), &["198.51.100.0/24".to_owned()]),
        ],
    );
    for n in 0..200 {
        add_instance(&mut topology, n, InstanceState::Running, 1, &[0]);
    }
    topology
}

/// Both estates in both modes.
pub fn measure(size: FleetSize) -> Result<Vec<Fit>> {
    let estates = [
        (
            "200 web servers, 1 group × 4 permissions".to_owned(),
            two_hundred_web_servers(),
        ),
        (
            format!(
                "{} instances, {} groups × {} permissions",
                size.instances, size.groups, size.permissions
            ),
            fleet::topology(size),
        ),
    ];
    let mut fits = Vec::new();
    for (estate, topology) in &estates {
        for mode in crate::figures::MODES {
            let plan = fleet::plan_alone(topology, mode)?;
            fits.push(Fit {
                estate: estate.clone(),
                mode,
                plan,
            });
        }
    }
    Ok(fits)
}
