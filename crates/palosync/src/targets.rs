//! The firewalls a run writes to: one (`PANOS_TARGET=firewall`), a listed fleet (`PANOS_URLS`),
//! a fleet discovered from EC2 on every run (`PANOS_FLEET_TAG`, `PANOS_FLEET_ASG`), or one
//! Panorama (`PANOS_TARGET=panorama`), which reaches its device group's firewalls itself.
//!
//! Every shape resolves to the same thing, a list of [`Member`]s, so the run has one path:
//! a single firewall is a fleet of one. Discovery is never cached across runs (a firewall the
//! Auto Scaling group launched is a member of the next run); the clients are, by URL, so a
//! warm Lambda keeps each firewall's connection and what it learnt about it.

use crate::config::{FirewallConfig, Fleet, Target};
use crate::firewall::{Firewall, FirewallError};
use aws::{FleetMember, FleetQuery};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a member of the fleet could not even be talked to.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error(
        "instance {instance_id} has no network interface at device index {device_index} \
         (PANOS_FLEET_MGMT_DEVICE_INDEX): its management address is unknown"
    )]
    NoManagementInterface {
        instance_id: String,
        device_index: i32,
    },
    #[error(transparent)]
    Connect(#[from] FirewallError),
}

impl MemberError {
    pub fn error_type(&self) -> &'static str {
        match self {
            MemberError::NoManagementInterface { .. } => "FirewallAddressUnknown",
            MemberError::Connect(e) => e.error_type(),
        }
    }
}

/// One firewall of this run, or why it cannot take part.
#[derive(Debug)]
pub struct Member {
    /// Its name in the report: the management URL, else the instance id.
    pub name: String,
    /// The EC2 instance, for discovered members.
    pub instance_id: Option<String>,
    pub firewall: Result<Arc<Firewall>, MemberError>,
}

/// How to make a client for a firewall the settings did not list.
#[derive(Debug)]
struct Connector {
    config: FirewallConfig,
    key: panos::ApiKey,
    job_poll: Duration,
}

#[derive(Debug)]
enum Kind {
    /// Known when the app was built (`PANOS_URL`, `PANOS_URLS`, tests).
    Listed(Vec<Arc<Firewall>>),
    /// Read from EC2 before each run.
    Discovered(Box<Discovery>),
}

#[derive(Debug)]
struct Discovery {
    query: FleetQuery,
    connector: Connector,
    /// Clients by URL, kept while the process lives.
    known: Mutex<BTreeMap<String, Arc<Firewall>>>,
}

#[derive(Debug)]
pub struct Targets {
    kind: Kind,
    /// Whether the settings name a fleet (`PANOS_TARGET=fleet`), even a fleet of one: the
    /// report then lists firewalls and the error names them.
    fleet: bool,
}

impl Targets {
    /// The firewalls of `target`, sharing `config` and `key`.
    pub fn connect(
        target: &Target,
        config: &FirewallConfig,
        key: panos::ApiKey,
        job_poll: Duration,
    ) -> Result<Self, FirewallError> {
        let connect =
            |url: &str| Firewall::connect_polling(url, config, key.clone(), job_poll).map(Arc::new);
        let (kind, fleet) = match target {
            Target::Firewall { url } => (Kind::Listed(vec![connect(url)?]), false),
            Target::Panorama {
                url,
                device_group,
                rulebase,
            } => {
                let panorama = Firewall::connect_polling(url, config, key.clone(), job_poll)?
                    .into_panorama(device_group, *rulebase);
                (Kind::Listed(vec![Arc::new(panorama)]), false)
            }
            Target::Fleet(Fleet::Urls(urls)) => {
                let firewalls = urls
                    .iter()
                    .map(|url| connect(url))
                    .collect::<Result<_, _>>()?;
                (Kind::Listed(firewalls), true)
            }
            Target::Fleet(Fleet::Discovered(query)) => (
                Kind::Discovered(Box::new(Discovery {
                    query: query.clone(),
                    connector: Connector {
                        config: config.clone(),
                        key,
                        job_poll,
                    },
                    known: Mutex::new(BTreeMap::new()),
                })),
                true,
            ),
        };
        Ok(Self { kind, fleet })
    }

    /// One firewall (tests and the demo bring their own client).
    pub fn one(firewall: Firewall) -> Self {
        Self {
            kind: Kind::Listed(vec![Arc::new(firewall)]),
            fleet: false,
        }
    }

    /// A listed fleet of these firewalls.
    pub fn fleet(firewalls: Vec<Firewall>) -> Self {
        Self {
            kind: Kind::Listed(firewalls.into_iter().map(Arc::new).collect()),
            fleet: true,
        }
    }

    pub fn is_fleet(&self) -> bool {
        self.fleet
    }

    /// What to discover before each run, when the fleet is discovered.
    pub fn discovery(&self) -> Option<&FleetQuery> {
        match &self.kind {
            Kind::Listed(_) => None,
            Kind::Discovered(discovery) => Some(&discovery.query),
        }
    }

    /// The listed firewalls, when they are known without discovery.
    pub fn listed(&self) -> Option<&[Arc<Firewall>]> {
        match &self.kind {
            Kind::Listed(firewalls) => Some(firewalls),
            Kind::Discovered(_) => None,
        }
    }

    /// This run's members: the listed firewalls, or the `discovered` instances (from
    /// [`Targets::discovery`]) at `https://<management address>`.
    pub fn members(&self, discovered: &[FleetMember]) -> Vec<Member> {
        match &self.kind {
            Kind::Listed(firewalls) => firewalls
                .iter()
                .map(|firewall| Member {
                    name: firewall.url().to_owned(),
                    instance_id: None,
                    firewall: Ok(firewall.clone()),
                })
                .collect(),
            Kind::Discovered(discovery) => {
                let Discovery {
                    query,
                    connector,
                    known,
                } = discovery.as_ref();
                let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
                discovered
                    .iter()
                    .map(|member| {
                        let Some(address) = member.management_address else {
                            return Member {
                                name: member.instance_id.clone(),
                                instance_id: Some(member.instance_id.clone()),
                                firewall: Err(MemberError::NoManagementInterface {
                                    instance_id: member.instance_id.clone(),
                                    device_index: query.device_index,
                                }),
                            };
                        };
                        let url = format!("https://{address}");
                        let firewall = match known.get(&url) {
                            Some(firewall) => Ok(firewall.clone()),
                            None => connector.connect(&url).inspect(|firewall| {
                                known.insert(url.clone(), firewall.clone());
                            }),
                        };
                        Member {
                            name: url,
                            instance_id: Some(member.instance_id.clone()),
                            firewall: firewall.map_err(MemberError::Connect),
                        }
                    })
                    .collect()
            }
        }
    }
}

impl Connector {
    fn connect(&self, url: &str) -> Result<Arc<Firewall>, FirewallError> {
        Firewall::connect_polling(url, &self.config, self.key.clone(), self.job_poll).map(Arc::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApiKeySource, TlsChoice};
    use aws::FleetSelector;

    fn shared() -> FirewallConfig {
        FirewallConfig {
            api_key: ApiKeySource::Inline("k".into()),
            admin: Some("palosync".into()),
            full_commit: false,
            vsys: "vsys1".into(),
            tls: TlsChoice::Verified { ca_file: None },
            max_rules: None,
        }
    }

    fn discovered() -> Targets {
        let query = FleetQuery {
            selector: FleetSelector::AutoScalingGroup("vmseries".into()),
            device_index: 1,
        };
        Targets::connect(
            &Target::Fleet(Fleet::Discovered(query)),
            &shared(),
            panos::ApiKey::new("k"),
            Duration::from_millis(20),
        )
        .expect("no client is built before discovery")
    }

    fn member(id: &str, address: Option<[u8; 4]>) -> FleetMember {
        FleetMember {
            instance_id: id.into(),
            management_address: address.map(Into::into),
        }
    }

    #[test]
    fn discovered_members_are_addressed_by_their_management_ip_and_kept_by_url() {
        let targets = discovered();
        assert!(targets.is_fleet() && targets.listed().is_none());
        let first = targets.members(&[member("i-0a", Some([10, 0, 1, 5])), member("i-0b", None)]);
        assert_eq!(first[0].name, "https://10.0.1.5");
        assert_eq!(first[0].instance_id.as_deref(), Some("i-0a"));
        let Err(error) = &first[1].firewall else {
            panic!("an instance without its management interface cannot be talked to");
        };
        assert_eq!(first[1].name, "i-0b");
        assert_eq!(error.error_type(), "FirewallAddressUnknown");
        assert!(error.to_string().contains("device index 1"), "{error}");

        // The next run: a member joined; the known one keeps its client.
        let second = targets.members(&[
            member("i-0a", Some([10, 0, 1, 5])),
            member("i-0c", Some([10, 0, 2, 5])),
        ]);
        let names: Vec<&str> = second.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["https://10.0.1.5", "https://10.0.2.5"]);
        let (Ok(before), Ok(after)) = (&first[0].firewall, &second[0].firewall) else {
            panic!("both are reachable by address");
        };
        assert!(Arc::ptr_eq(before, after), "one client per firewall");
    }

    #[test]
    fn listed_targets_ignore_discovery() {
        let target = Target::Fleet(Fleet::Urls(vec![
            "https://fw-a".into(),
            "https://fw-b".into(),
        ]));
        let targets = Targets::connect(&target, &shared(), panos::ApiKey::new("k"), Duration::ZERO)
            .expect("clients build");
        assert!(targets.is_fleet() && targets.discovery().is_none());
        let names: Vec<String> = targets.members(&[]).into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["https://fw-a", "https://fw-b"]);
        let one = Target::Firewall {
            url: "https://fw".into(),
        };
        let single = Targets::connect(&one, &shared(), panos::ApiKey::new("k"), Duration::ZERO)
            .expect("client builds");
        assert!(!single.is_fleet());
    }
}
