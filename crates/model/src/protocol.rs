//! What traffic a security-group permission matches: protocol plus ports or ICMP type/code.
//!
//! AWS spells this as three loose fields (`ipProtocol` as a name or a number, `fromPort`,
//! `toPort`, with `-1` meaning "all"). We parse them once into [`Protocol`] so nothing
//! downstream can, as the original did, use only `toPort` or treat an unknown protocol as
//! "allow any".

use serde::{Deserialize, Serialize};
use std::fmt;

/// An inclusive TCP/UDP port range. `from <= to` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

impl PortRange {
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    pub fn new(from: u16, to: u16) -> Result<Self, ProtocolError> {
        if from > to {
            return Err(ProtocolError::ReversedPorts { from, to });
        }
        Ok(Self { from, to })
    }

    pub fn single(port: u16) -> Self {
        Self {
            from: port,
            to: port,
        }
    }

    pub fn is_single(&self) -> bool {
        self.from == self.to
    }

    pub fn contains(&self, port: u16) -> bool {
        (self.from..=self.to).contains(&port)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// ICMP type and code; `None` means "any" (AWS `-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IcmpMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp_code: Option<u8>,
}

impl IcmpMatch {
    pub const ANY: IcmpMatch = IcmpMatch {
        icmp_type: None,
        icmp_code: None,
    };
}

/// The traffic a permission allows, by protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "lowercase")]
pub enum Protocol {
    /// AWS `-1`: every protocol and port.
    All,
    Tcp {
        ports: PortRange,
    },
    Udp {
        ports: PortRange,
    },
    Icmp {
        icmp: IcmpMatch,
    },
    Icmpv6 {
        icmp: IcmpMatch,
    },
    /// Any other IP protocol number (GRE 47, ESP 50, …), all of its traffic.
    Other {
        number: u8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error(
        "unknown IP protocol {0:?}: expected a name (tcp, udp, icmp, icmpv6), -1 or a number 0-255"
    )]
    UnknownProtocol(String),
    #[error("{protocol} permission without a port range")]
    MissingPorts { protocol: &'static str },
    #[error("port {0} is outside 0-65535")]
    PortOutOfRange(i64),
    #[error("port range {from}-{to} is reversed")]
    ReversedPorts { from: u16, to: u16 },
    #[error("ICMP type/code {0} is outside -1..=255")]
    IcmpOutOfRange(i64),
}

impl Protocol {
    /// Parse AWS's `ipProtocol`, `fromPort`, `toPort` triple.
    ///
    /// Names and numbers are both accepted (`"tcp"` and `"6"` are the same), as the EC2 API
    /// returns whichever the caller used. For ICMP, `fromPort` is the type and `toPort` the code.
    pub fn from_aws(
        ip_protocol: &str,
        from_port: Option<i64>,
        to_port: Option<i64>,
    ) -> Result<Self, ProtocolError> {
        let normalized = ip_protocol.trim().to_ascii_lowercase();
        match normalized.as_str() {
            "-1" | "all" => Ok(Protocol::All),
            "tcp" | "6" => Ok(Protocol::Tcp {
                ports: aws_ports("tcp", from_port, to_port)?,
            }),
            "udp" | "17" => Ok(Protocol::Udp {
                ports: aws_ports("udp", from_port, to_port)?,
            }),
            "icmp" | "1" => Ok(Protocol::Icmp {
                icmp: aws_icmp(from_port, to_port)?,
            }),
            "icmpv6" | "58" => Ok(Protocol::Icmpv6 {
                icmp: aws_icmp(from_port, to_port)?,
            }),
            other => match other.parse::<u8>() {
                Ok(number) => Ok(Protocol::Other { number }),
                Err(_) => Err(ProtocolError::UnknownProtocol(ip_protocol.to_owned())),
            },
        }
    }

    /// The IANA protocol number; `None` for "all protocols".
    pub fn number(&self) -> Option<u8> {
        match self {
            Protocol::All => None,
            Protocol::Tcp { .. } => Some(6),
            Protocol::Udp { .. } => Some(17),
            Protocol::Icmp { .. } => Some(1),
            Protocol::Icmpv6 { .. } => Some(58),
            Protocol::Other { number } => Some(*number),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::All => f.write_str("all traffic"),
            Protocol::Tcp { ports } => write!(f, "tcp/{ports}"),
            Protocol::Udp { ports } => write!(f, "udp/{ports}"),
            Protocol::Icmp { icmp } => write!(f, "icmp{}", IcmpSuffix(icmp)),
            Protocol::Icmpv6 { icmp } => write!(f, "icmpv6{}", IcmpSuffix(icmp)),
            Protocol::Other { number } => write!(f, "protocol {number}"),
        }
    }
}

struct IcmpSuffix<'a>(&'a IcmpMatch);

impl fmt::Display for IcmpSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.icmp_type, self.0.icmp_code) {
            (None, _) => Ok(()),
            (Some(t), None) => write!(f, " type {t}"),
            (Some(t), Some(c)) => write!(f, " type {t} code {c}"),
        }
    }
}

fn aws_ports(
    protocol: &'static str,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<PortRange, ProtocolError> {
    match (from, to) {
        // The console's "all ports" for tcp/udp is 0-65535; -1 shows up from some tools.
        (Some(-1), Some(-1)) => Ok(PortRange::ALL),
        (Some(from), Some(to)) => PortRange::new(port(from)?, port(to)?),
        (Some(single), None) | (None, Some(single)) => Ok(PortRange::single(port(single)?)),
        (None, None) => Err(ProtocolError::MissingPorts { protocol }),
    }
}

fn port(value: i64) -> Result<u16, ProtocolError> {
    u16::try_from(value).map_err(|_| ProtocolError::PortOutOfRange(value))
}

fn aws_icmp(icmp_type: Option<i64>, code: Option<i64>) -> Result<IcmpMatch, ProtocolError> {
    let field = |value: Option<i64>| match value {
        None | Some(-1) => Ok(None),
        Some(v) => u8::try_from(v)
            .map(Some)
            .map_err(|_| ProtocolError::IcmpOutOfRange(v)),
    };
    let icmp_type = field(icmp_type)?;
    // A code without a type means nothing to a firewall; treat as any.
    let icmp_code = if icmp_type.is_some() {
        field(code)?
    } else {
        None
    };
    Ok(IcmpMatch {
        icmp_type,
        icmp_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_mean_the_same_protocol() {
        let by_name = Protocol::from_aws("tcp", Some(443), Some(443)).unwrap();
        let by_number = Protocol::from_aws("6", Some(443), Some(443)).unwrap();
        assert_eq!(by_name, by_number);
        assert_eq!(
            by_name,
            Protocol::Tcp {
                ports: PortRange::single(443)
            }
        );
    }

    #[test]
    fn full_range_is_kept_not_just_to_port() {
        let p = Protocol::from_aws("udp", Some(1000), Some(2000)).unwrap();
        assert_eq!(
            p,
            Protocol::Udp {
                ports: PortRange {
                    from: 1000,
                    to: 2000
                }
            }
        );
        assert_eq!(p.to_string(), "udp/1000-2000");
    }

    #[test]
    fn minus_one_is_all_traffic() {
        assert_eq!(Protocol::from_aws("-1", None, None).unwrap(), Protocol::All);
        assert_eq!(
            Protocol::from_aws("-1", Some(-1), Some(-1)).unwrap(),
            Protocol::All
        );
    }

    #[test]
    fn icmp_any_and_specific() {
        assert_eq!(
            Protocol::from_aws("icmp", Some(-1), Some(-1)).unwrap(),
            Protocol::Icmp {
                icmp: IcmpMatch::ANY
            }
        );
        assert_eq!(
            Protocol::from_aws("icmp", Some(8), Some(-1))
                .unwrap()
                .to_string(),
            "icmp type 8"
        );
        assert_eq!(
            Protocol::from_aws("58", Some(128), Some(0))
                .unwrap()
                .to_string(),
            "icmpv6 type 128 code 0"
        );
    }

    #[test]
    fn unknown_protocols_are_errors_or_numbers_never_all() {
        assert_eq!(
            Protocol::from_aws("50", None, None).unwrap(),
            Protocol::Other { number: 50 }
        );
        assert!(matches!(
            Protocol::from_aws("gre-ish", None, None),
            Err(ProtocolError::UnknownProtocol(_))
        ));
        assert!(Protocol::from_aws("256", None, None).is_err());
    }

    #[test]
    fn bad_ports_are_errors() {
        assert!(Protocol::from_aws("tcp", Some(70000), Some(70000)).is_err());
        assert!(Protocol::from_aws("tcp", Some(90), Some(80)).is_err());
        assert!(Protocol::from_aws("tcp", None, None).is_err());
    }

    #[test]
    fn serde_round_trip_is_tagged_by_protocol() {
        let p = Protocol::Tcp {
            ports: PortRange::single(22),
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"protocol":"tcp","ports":{"from":22,"to":22}}"#);
        assert_eq!(serde_json::from_str::<Protocol>(&json).unwrap(), p);
    }
}
