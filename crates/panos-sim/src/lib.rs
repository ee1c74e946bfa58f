//! A PAN-OS XML API simulator faithful enough that pan-os-python (the vendor's own client)
//! accepts it: candidate/running configuration trees, the xpath subset clients use, config
//! actions with device-style validation, commits with jobs (full, partial by admin, queued),
//! `test security-policy-match`, locks, system info, User-ID tag registrations with dynamic
//! address groups, platform capacity limits, and test-only fault injection. It plays a
//! firewall, or a Panorama managing firewalls (device groups, commit, push, `target=`).
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
//! # Panorama
//!
//! ```no_run
//! # async fn demo() -> Result<(), panos_sim::SimError> {
//! use panos_sim::{ManagedDevice, Simulator};
//! let sim = Simulator::builder()
//!     .panorama()
//!     .managed_device(ManagedDevice::new("007951000000001", "dg1").hostname("edge-1"))
//!     .managed_device(ManagedDevice::new("007951000000002", "dg1").connected(false))
//!     .start()
//!     .await?;
//! // ... set rules under …/device-group/entry[@name='dg1']/pre-rulebase, commit, commit-all ...
//! let rules = sim.device_running_rules("007951000000001"); // pushed pre, local, pushed post
//! # Ok(()) }
//! ```
//!
//! Module map: [`panorama`] (the personality seam: managed devices, each a [`SimState`];
//! Panorama's default configuration), [`commit_all`] (the push request, the `CommitAll` job's
//! devices, delivery), [`push`] (what a push puts on a firewall and the zone check),
//! [`devicegroups`] (`show devicegroups`, `show devices`), [`target`] (`target=` proxying),
//! [`sim_panorama`] (the device accessors of [`RunningSimulator`]). Panorama's own
//! configuration, validation, references, commits and locks are the firewall's code paths.
//!
//! On a Panorama `RunningSimulator` also gives `is_panorama()`, `managed_devices()`,
//! `with_device(serial, ..)`, `device_running_rules(serial)`, `device_policy_match(serial, q)`,
//! `device_registered_ips(serial)`, `device_dynamic_group_members(serial, group)`,
//! `device_running_config(serial)`, `device_sync_status(serial)` and
//! `set_device_connected(serial, bool)`.
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
//! - Panorama: device groups do not nest; membership is fixed by the builder; templates and
//!   template stacks are not modelled (zones are only checked on the firewall at push time);
//!   pushed policy lands in vsys1 only; a push creates no job on the firewall; a partial
//!   commit scoped to device groups (without admins) commits everything; `target=` proxies
//!   `op`, `user-id` and `version` only; `CommitAll` jobs share Panorama's commit queue; a
//!   firewall's local objects win over pushed ones of the same name (no commit failure);
//!   the push job's result is OK once it ran, devices finish half a commit duration later
//!   (see [`commit_all`]).

pub mod actions;
pub mod api;
pub mod apps;
pub mod capacity;
pub mod clock;
pub mod commit;
pub mod commit_all;
pub mod dag;
pub mod devicegroups;
pub mod failure;
pub mod jobs;
pub mod known_entries;
pub mod locks;
pub mod netaddr;
pub mod objects;
pub mod ops;
pub mod panorama;
pub mod policy_match;
pub mod push;
pub mod references;
pub mod registrations;
pub mod response;
pub mod server;
pub mod sim;
pub mod sim_panorama;
pub mod state;
pub mod store;
pub mod tag_ops;
pub mod target;
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
