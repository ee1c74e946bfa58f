//! How a security-group protocol becomes a rule's application and service.
//!
//! The mapping must never widen: a rule may allow less than the permission (an App-ID on its
//! port) but never more. So an App-ID whose default ports go beyond the permitted port (dns on
//! tcp *and* udp, rdp, ldap…) gets the exact service object instead of `application-default`,
//! ICMP with a specific type becomes `ping` only for echo and is skipped otherwise, and other
//! protocols are used only where an App-ID for that protocol exists.

use crate::firewall::PortProtocol;
use model::{PortRange, Protocol};
use serde::Serialize;
use std::fmt;

/// A tcp/udp service object palosync creates: `tcp_8080`, `udp_1000-2000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PortService {
    pub protocol: PortProtocol,
    pub ports: PortRange,
}

impl PortService {
    /// `<proto>_<port>` or `<proto>_<from>-<to>`: the full range, never just the upper port.
    pub fn name(&self) -> String {
        format!("{}_{}", self.protocol.as_str(), self.ports)
    }

    /// The inverse of [`PortService::name`]; only canonical spellings are ours.
    pub fn parse_name(name: &str) -> Option<Self> {
        let (protocol, ports) = name.split_once('_')?;
        let protocol = match protocol {
            "tcp" => PortProtocol::Tcp,
            "udp" => PortProtocol::Udp,
            _ => return None,
        };
        let canonical = |number: &str| number == "0" || !number.starts_with('0');
        let canonical = match ports.split_once('-') {
            Some((from, to)) => canonical(from) && canonical(to),
            None => canonical(ports),
        };
        let parsed = crate::firewall::parse_port_spec(ports)?;
        // `80-80` is spelled `80`: one canonical name per range.
        let canonical = canonical && (parsed.is_single() != ports.contains('-'));
        canonical.then_some(PortService {
            protocol,
            ports: parsed,
        })
    }
}

/// The `service` column of a managed rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ServiceRef {
    ApplicationDefault,
    Any,
    Object(PortService),
}

/// The application and service columns of one managed rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServiceMatch {
    pub application: &'static str,
    pub service: ServiceRef,
}

impl ServiceMatch {
    pub fn service_member(&self) -> String {
        match self.service {
            ServiceRef::ApplicationDefault => "application-default".to_owned(),
            ServiceRef::Any => "any".to_owned(),
            ServiceRef::Object(object) => object.name(),
        }
    }

    /// Read a rule's single application and service back; `None` if palosync never writes it.
    pub fn parse(application: &str, service: &str) -> Option<Self> {
        let application = *KNOWN_APPLICATIONS.iter().find(|a| **a == application)?;
        let service = match service {
            "application-default" => ServiceRef::ApplicationDefault,
            "any" => ServiceRef::Any,
            other => ServiceRef::Object(crate::service_names::parse_own_name(other)?),
        };
        Some(Self {
            application,
            service,
        })
    }

    /// The IP protocol and destination port a single policy-match query can test, when this
    /// match is one App-ID on one protocol (and one port, for tcp/udp). `None` otherwise.
    pub fn single_flow(&self) -> Option<(u8, Option<u16>)> {
        if self.application == "any" {
            return None;
        }
        match self.service {
            ServiceRef::Object(object) if object.ports.is_single() => {
                Some((object.protocol.number(), Some(object.ports.from)))
            }
            ServiceRef::Object(_) | ServiceRef::Any => None,
            ServiceRef::ApplicationDefault => default_flow(self.application),
        }
    }
}

impl fmt::Display for ServiceMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.application, self.service_member())
    }
}

/// One entry of the original's table of well-known ports.
struct WellKnownPort {
    protocol: PortProtocol,
    port: u16,
    application: &'static str,
    /// The App-ID's default ports are exactly this protocol and port, so `application-default`
    /// allows no more than the permission.
    default_is_exact: bool,
}

const fn known(
    protocol: PortProtocol,
    port: u16,
    application: &'static str,
    default_is_exact: bool,
) -> WellKnownPort {
    WellKnownPort {
        protocol,
        port,
        application,
        default_is_exact,
    }
}

use PortProtocol::{Tcp, Udp};

/// The original's table (22 ssh, 25 smtp, 53 dns, 80 web-browsing, 110 pop3, 143 imap,
/// 389/636 ldap, 443 ssl, 1521 oracle, 3306 mysql, 3389 rdp, 5439 amazon-redshift), by protocol.
const WELL_KNOWN_PORTS: &[WellKnownPort] = &[
    known(Tcp, 22, "ssh", true),
    known(Tcp, 25, "smtp", false),
    known(Tcp, 53, "dns", false),
    known(Udp, 53, "dns", false),
    known(Tcp, 80, "web-browsing", true),
    known(Tcp, 110, "pop3", true),
    known(Tcp, 143, "imap", false),
    known(Tcp, 389, "ldap", false),
    known(Udp, 389, "ldap", false),
    known(Tcp, 636, "ldap", false),
    known(Tcp, 443, "ssl", true),
    known(Tcp, 1521, "oracle", false),
    known(Tcp, 3306, "mysql", true),
    known(Tcp, 3389, "rdp", false),
    known(Udp, 3389, "rdp", false),
    known(Tcp, 5439, "amazon-redshift", false),
];

/// IP protocols other than tcp/udp/icmp that have an App-ID of their own.
const PROTOCOL_APPLICATIONS: &[(u8, &str)] = &[
    (2, "igmp"),
    (47, "gre"),
    (50, "ipsec-esp"),
    (51, "ipsec-ah"),
    (89, "ospf"),
    (103, "pim"),
    (112, "vrrp"),
];

/// Every application name palosync ever writes; anything else in a managed rule is not ours.
const KNOWN_APPLICATIONS: &[&str] = &[
    "any",
    "icmp",
    "ping",
    "ipv6-icmp",
    "ssh",
    "smtp",
    "dns",
    "web-browsing",
    "pop3",
    "imap",
    "ldap",
    "ssl",
    "oracle",
    "mysql",
    "rdp",
    "amazon-redshift",
    "igmp",
    "gre",
    "ipsec-esp",
    "ipsec-ah",
    "ospf",
    "pim",
    "vrrp",
];

const ICMP_ECHO_REQUEST: u8 = 8;

/// Why a permission's protocol has no rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Unexpressible {
    /// No App-ID for this IP protocol; allowing `any` would widen.
    NoApplicationForProtocol { number: u8 },
    /// An ICMP type (other than echo) or ICMPv6 type: the App-IDs cover all types, which would widen.
    IcmpTypeTooNarrow {
        protocol: &'static str,
        icmp_type: u8,
    },
}

impl fmt::Display for Unexpressible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unexpressible::NoApplicationForProtocol { number } => write!(
                f,
                "IP protocol {number} has no App-ID; allowing any application would widen the permission"
            ),
            Unexpressible::IcmpTypeTooNarrow {
                protocol,
                icmp_type,
            } => write!(
                f,
                "{protocol} type {icmp_type} alone has no App-ID; allowing every {protocol} type would widen the permission"
            ),
        }
    }
}

/// The application and service that allow exactly (or less than) `protocol`.
pub fn service_for(protocol: &Protocol, app_id: bool) -> Result<ServiceMatch, Unexpressible> {
    let ports = |protocol: PortProtocol, ports: PortRange| {
        let object = PortService { protocol, ports };
        let well_known = WELL_KNOWN_PORTS.iter().find(|k| {
            app_id && ports.is_single() && k.protocol == protocol && k.port == ports.from
        });
        match well_known {
            Some(k) if k.default_is_exact => app(k.application),
            Some(k) => ServiceMatch {
                application: k.application,
                service: ServiceRef::Object(object),
            },
            None => ServiceMatch {
                application: "any",
                service: ServiceRef::Object(object),
            },
        }
    };
    match *protocol {
        Protocol::All => Ok(ServiceMatch {
            application: "any",
            service: ServiceRef::Any,
        }),
        Protocol::Tcp { ports: range } => Ok(ports(Tcp, range)),
        Protocol::Udp { ports: range } => Ok(ports(Udp, range)),
        Protocol::Icmp { icmp } => match icmp.icmp_type {
            None => Ok(app("icmp")),
            Some(ICMP_ECHO_REQUEST) if icmp.icmp_code.is_none_or(|c| c == 0) => Ok(app("ping")),
            Some(icmp_type) => Err(Unexpressible::IcmpTypeTooNarrow {
                protocol: "icmp",
                icmp_type,
            }),
        },
        Protocol::Icmpv6 { icmp } => match icmp.icmp_type {
            None => Ok(app("ipv6-icmp")),
            Some(icmp_type) => Err(Unexpressible::IcmpTypeTooNarrow {
                protocol: "icmpv6",
                icmp_type,
            }),
        },
        Protocol::Other { number } => PROTOCOL_APPLICATIONS
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, application)| app(application))
            .ok_or(Unexpressible::NoApplicationForProtocol { number }),
    }
}

fn app(application: &'static str) -> ServiceMatch {
    ServiceMatch {
        application,
        service: ServiceRef::ApplicationDefault,
    }
}

/// The single protocol (and port) of an application used with `application-default`.
fn default_flow(application: &str) -> Option<(u8, Option<u16>)> {
    match application {
        "icmp" | "ping" => return Some((1, None)),
        "ipv6-icmp" => return Some((58, None)),
        _ => {}
    }
    if let Some((number, _)) = PROTOCOL_APPLICATIONS
        .iter()
        .find(|(_, a)| *a == application)
    {
        return Some((*number, None));
    }
    WELL_KNOWN_PORTS
        .iter()
        .find(|k| k.default_is_exact && k.application == application)
        .map(|k| (k.protocol.number(), Some(k.port)))
}

/// The ports an application-default rule opens for `application`, for the in-memory firewall:
/// `(protocol number, port)`; `None` as port means the whole protocol.
pub fn application_default_flows(application: &str) -> Vec<(u8, Option<u16>)> {
    let mut flows: Vec<_> = WELL_KNOWN_PORTS
        .iter()
        .filter(|k| k.application == application)
        .map(|k| (k.protocol.number(), Some(k.port)))
        .collect();
    if let Some(flow) = default_flow(application).filter(|(_, port)| port.is_none()) {
        flows.push(flow);
    }
    flows
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::IcmpMatch;

    fn tcp(from: u16, to: u16) -> Protocol {
        Protocol::Tcp {
            ports: PortRange::new(from, to).expect("ordered"),
        }
    }

    #[test]
    fn well_known_port_with_exact_default_is_app_default() {
        let m = service_for(&tcp(22, 22), true).unwrap();
        assert_eq!(m.to_string(), "ssh/application-default");
        assert_eq!(m.single_flow(), Some((6, Some(22))));
    }

    #[test]
    fn app_whose_default_spans_more_ports_gets_the_exact_object() {
        let udp53 = Protocol::Udp {
            ports: PortRange::single(53),
        };
        assert_eq!(service_for(&udp53, true).unwrap().to_string(), "dns/udp_53");
    }

    #[test]
    fn app_id_off_gives_service_objects() {
        assert_eq!(
            service_for(&tcp(22, 22), false).unwrap().to_string(),
            "any/tcp_22"
        );
    }

    #[test]
    fn port_range_keeps_both_ends() {
        let m = service_for(&tcp(1000, 2000), true).unwrap();
        assert_eq!(m.to_string(), "any/tcp_1000-2000");
        assert_eq!(m.single_flow(), None);
    }

    #[test]
    fn all_traffic_is_any_any() {
        assert_eq!(
            service_for(&Protocol::All, true).unwrap().to_string(),
            "any/any"
        );
    }

    #[test]
    fn icmp_maps_to_icmp_ping_or_is_skipped() {
        let icmp = |t: Option<u8>| Protocol::Icmp {
            icmp: IcmpMatch {
                icmp_type: t,
                icmp_code: None,
            },
        };
        assert_eq!(service_for(&icmp(None), true).unwrap().application, "icmp");
        assert_eq!(
            service_for(&icmp(Some(8)), true).unwrap().application,
            "ping"
        );
        assert!(service_for(&icmp(Some(3)), true).is_err());
        let v6 = Protocol::Icmpv6 {
            icmp: IcmpMatch::ANY,
        };
        assert_eq!(service_for(&v6, true).unwrap().application, "ipv6-icmp");
    }

    #[test]
    fn other_protocols_need_an_app_id_never_any() {
        let gre = service_for(&Protocol::Other { number: 47 }, false).unwrap();
        assert_eq!(gre.to_string(), "gre/application-default");
        assert_eq!(
            service_for(&Protocol::Other { number: 253 }, true),
            Err(Unexpressible::NoApplicationForProtocol { number: 253 })
        );
    }

    #[test]
    fn service_names_round_trip_and_only_canonical_spellings_parse() {
        for name in ["tcp_80", "udp_1000-2000", "tcp_0-65535"] {
            assert_eq!(PortService::parse_name(name).unwrap().name(), name);
        }
        for name in ["tcp_080", "tcp_80-80", "sctp_1", "tcp-80", "tcp_80x"] {
            assert_eq!(PortService::parse_name(name), None, "{name}");
        }
        assert!(ServiceMatch::parse("ssh", "application-default").is_some());
        assert!(ServiceMatch::parse("facebook", "any").is_none());
    }
}
