//! A PAN-OS XML API simulator faithful enough that pan-os-python (the vendor's own client)
//! accepts it: candidate/running configuration trees, the xpath subset clients use, config
//! actions with device-style validation, commits with jobs (full, partial by admin, queued),
//! `test security-policy-match`, locks, system info, User-ID tag registrations with dynamic
//! address groups, platform capacity limits, and test-only fault injection. With
//! [`SimulatorBuilder::panorama`] it is a Panorama instead: device groups, commits to
//! Panorama, pushes (`commit-all`) to managed firewalls that are whole simulated firewalls,
//! `show devicegroups`, and `target=<serial>` proxying (see [`panorama`]).
//!
//! # In-process use
//!
//! ```no_run
//! # async fn demo() -> Result<(), panos_sim::SimError> {
//! use std::time::Duration;
//! let sim = panos_sim::Simulator::builder()
//!     .api_key("secret")
//!     .admin("bob", "pw")
//!     .commit_delay(Duration::from_millis(50))
//!     .start()
//!     .await?;
//! let url = sim.url(); // e.g. http://127.0.0.1:41234 — the API lives at {url}/api/
//! // ... drive it with a client ...
//! let rules = sim.running_rules("vsys1");
//! assert_eq!(rules[0].entry_name(), Some("Clean up"));
//! sim.inject_faults(panos_sim::FaultPlan { fail_commits: 1, ..Default::default() });
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! `RunningSimulator` gives `url()`, `addr()`, `api_key()`, `key_of(admin)`, `stats()`,
//! `inject_faults()`, `reset()`, `running_config_xml()`, `candidate_config_xml()`,
//! `running_rules(vsys)`, `candidate_rules(vsys)`, `registered_ips(vsys)`, `register_ip(..)`,
//! `unregister_ip(..)`, `dynamic_group_members(vsys, group)`, `max_rules()`,
//! `registration_limits()`, `with_state(..)` and `shutdown()`.
//!
//! # Test endpoints (outside `/api/`)
//! - `GET /_sim/stats`: JSON [`Stats`] (requests by type/action/op, commits, jobs, bytes).
//! - `POST /_sim/faults`: JSON [`FaultPlan`], added to pending faults.
//! - `POST /_sim/reset`: back to the starting configuration.
//!
//! # Documented approximations
//! - Partial commits replay the admin's logged operations onto running (see [`store`]).
//! - Lock texts follow what pan-os-python matches (`Config for scope shared is currently
//!   locked by X`, `Commit lock is not currently held by X`); writes blocked by another
//!   admin's config lock answer code 14 `Configuration is locked by X`.
//! - `move` of an entry already in place answers an error without code:
//!   `X is already at the top` / `X is already at the bottom`.
//! - Deletes of referenced objects are refused per the referring fields listed in
//!   [`references`]; a `strict-transactional=yes` multi-config is refused with code 13
//!   `A commit is in progress.` while any commit is queued or running, and a failed strict batch
//!   also undoes its revert of the caller's changes.
//! - `show config list admins` and `revert config partial admin` answer the shapes in
//!   docs/simulator-fidelity.md (texts inferred); an admin counts as a superuser unless the
//!   running config's `mgt-config/users` gives it another role.
//! - Policy match: criteria left out of the query only match rules that accept anything.
//! - Applications are not validated (no App-ID catalogue).
//! - User-ID: only `register`/`unregister` of IPv4/IPv6 hosts (no login/logout, groups, ranges or
//!   networks); a duplicate registration refreshes the tag's timeout; invalid entries and limit
//!   breaches refuse the whole message. Dynamic filters are refused at `set` when they do not
//!   parse. Texts marked [?] in docs/simulator-fidelity.md are the simulator's choice.
//! - Panorama: a push applies Panorama's running configuration as it is when the push job
//!   runs; a partial commit's `<device-group>` narrowing is accepted and commits the admins'
//!   changes (not only that group's); the firewalls' results show `PEND` for half a commit
//!   duration after the job; only zones are checked on the firewall at push time; `target=`
//!   is honoured for op and User-ID requests only and ignored on a firewall.

pub mod actions;
pub mod api;
pub mod apps;
pub mod capacity;
pub mod clock;
pub mod commit;
pub mod dag;
pub mod failure;
pub mod jobs;
pub mod known_entries;
pub mod locks;
pub mod netaddr;
pub mod objects;
pub mod ops;
pub mod panorama;
pub mod policy_match;
pub mod references;
pub mod registrations;
pub mod response;
pub mod server;
pub mod sim;
pub mod state;
pub mod store;
pub mod tag_ops;
pub mod userid;
pub mod validate;
pub mod validate_objects;
pub mod xml;
pub mod xpath;

pub use failure::ApiFailure;
pub use panorama::ManagedDevice;
pub use policy_match::{MatchQuery, RuleHit};
pub use registrations::RegistrationLimits;
pub use sim::{
    DEFAULT_CONFIG_XML, RunningSimulator, SimError, Simulator, SimulatorBuilder, TlsMode,
};
pub use state::{FaultPlan, SimState, Stats};
pub use xml::Element;
