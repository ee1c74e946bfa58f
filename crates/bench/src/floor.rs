//! The physical floor of applying any burst of changes: what no strategy can go below on a
//! PAN-OS device, computed from the injected costs rather than measured.
//!
//! One read (a single GET of the vsys can return rules, services and tags together), one
//! multi-config write, one commit request, and the job polls a client needs to see the commit
//! end when it asks every poll interval: `ceil(commit / poll)`. No shadow checks: a strategy
//! that asks the firewall whether a rule is needed pays for that above the floor. Wall time:
//! those round trips one after another plus the commit itself, with the last poll landing
//! exactly as the job ends.

use crate::device::{Costs, Usage};

pub fn floor(costs: Costs) -> Usage {
    let polls = job_polls(costs);
    Usage {
        round_trips: 3 + polls,
        reads: 1,
        writes: 1,
        policy_matches: 0,
        commit_requests: 1,
        commits: 1,
        job_polls: polls,
        user_id_messages: 0,
        wall: costs.api * 4 + costs.commit,
    }
}

fn job_polls(costs: Costs) -> u64 {
    if costs.poll.is_zero() {
        return 1;
    }
    costs
        .commit
        .as_nanos()
        .div_ceil(costs.poll.as_nanos())
        .max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ten_second_commit_polled_every_two_seconds_needs_five_polls() {
        let costs = Costs {
            api: Duration::from_millis(20),
            commit: Duration::from_secs(10),
            poll: Duration::from_secs(2),
        };
        let floor = floor(costs);
        assert_eq!(floor.job_polls, 5);
        assert_eq!(floor.round_trips, 8);
        assert_eq!(floor.wall, Duration::from_millis(10_080));
    }
}
