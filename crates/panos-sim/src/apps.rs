//! Default ports of the App-IDs palosync maps well-known ports to (and a few common others), as
//! `service application-default` uses them. Protocol numbers are IANA (6 tcp, 17 udp, 1 icmp,
//! 58 ipv6-icmp); a `None` port list means "any port of that protocol".
//!
//! This module must never grow into an App-ID catalogue: unknown applications simply have no
//! default ports, so `application-default` rules never match them.

/// Default ports of one protocol: `None` means any port.
type ProtocolPorts = (u8, Option<&'static [(u16, u16)]>);

/// (application, default ports per protocol)
const DEFAULTS: &[(&str, &[ProtocolPorts])] = &[
    ("ssh", &[(6, Some(&[(22, 22)]))]),
    ("smtp", &[(6, Some(&[(25, 25), (587, 587)]))]),
    ("dns", &[(6, Some(&[(53, 53)])), (17, Some(&[(53, 53)]))]),
    ("web-browsing", &[(6, Some(&[(80, 80)]))]),
    ("pop3", &[(6, Some(&[(110, 110)]))]),
    ("imap", &[(6, Some(&[(143, 143), (220, 220)]))]),
    (
        "ldap",
        &[
            (6, Some(&[(389, 389), (636, 636)])),
            (17, Some(&[(389, 389)])),
        ],
    ),
    ("ssl", &[(6, Some(&[(443, 443)]))]),
    ("oracle", &[(6, Some(&[(1521, 1521)]))]),
    ("mysql", &[(6, Some(&[(3306, 3306)]))]),
    (
        "rdp",
        &[(6, Some(&[(3389, 3389)])), (17, Some(&[(3389, 3389)]))],
    ),
    ("amazon-redshift", &[(6, Some(&[(5439, 5439)]))]),
    ("icmp", &[(1, None)]),
    ("ping", &[(1, None)]),
    ("ipv6-icmp", &[(58, None)]),
    ("ntp", &[(17, Some(&[(123, 123)]))]),
    ("snmp", &[(17, Some(&[(161, 162)]))]),
    ("ftp", &[(6, Some(&[(21, 21)]))]),
    ("telnet", &[(6, Some(&[(23, 23)]))]),
    ("ms-rdp", &[(6, Some(&[(3389, 3389)]))]),
    ("postgres", &[(6, Some(&[(5432, 5432)]))]),
    ("mssql-db", &[(6, Some(&[(1433, 1433)]))]),
];

/// Whether `(protocol, port)` is a default of `app`. A port of `None` matches only
/// port-less protocols (icmp).
pub fn is_default_port(app: &str, protocol: u8, port: Option<u16>) -> bool {
    let Some((_, entries)) = DEFAULTS.iter().find(|(name, _)| *name == app) else {
        return false;
    };
    entries.iter().any(|(proto, ports)| {
        *proto == protocol
            && match (ports, port) {
                (None, _) => true,
                (Some(ranges), Some(p)) => ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&p)),
                (Some(_), None) => false,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palosync_app_ids_have_their_well_known_ports() {
        let table = [
            ("ssh", 6, 22),
            ("smtp", 6, 25),
            ("dns", 17, 53),
            ("dns", 6, 53),
            ("web-browsing", 6, 80),
            ("pop3", 6, 110),
            ("imap", 6, 143),
            ("ldap", 6, 389),
            ("ldap", 6, 636),
            ("ssl", 6, 443),
            ("oracle", 6, 1521),
            ("mysql", 6, 3306),
            ("rdp", 6, 3389),
            ("amazon-redshift", 6, 5439),
        ];
        for (app, proto, port) in table {
            assert!(
                is_default_port(app, proto, Some(port)),
                "{app} {proto}/{port}"
            );
        }
        assert!(is_default_port("icmp", 1, None));
        assert!(is_default_port("ipv6-icmp", 58, None));
        assert!(!is_default_port("ssl", 6, Some(80)));
        assert!(!is_default_port("ssh", 17, Some(22)));
        assert!(!is_default_port("no-such-app", 6, Some(22)));
    }
}
