//! Address and port literals as PAN-OS writes them: an IP, a CIDR (`10.0.0.0/8`), a range
//! (`10.0.0.1-10.0.0.9`), and port lists (`80,443,8000-8080`). Used by validation and by policy
//! matching.
//!
//! This module must never look at configuration trees.

use std::net::IpAddr;

/// A contiguous block of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpSpan {
    pub v6: bool,
    pub lo: u128,
    pub hi: u128,
}

impl IpSpan {
    pub fn single(ip: IpAddr) -> IpSpan {
        let (v6, n) = ip_bits(ip);
        IpSpan { v6, lo: n, hi: n }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (v6, n) = ip_bits(ip);
        v6 == self.v6 && self.lo <= n && n <= self.hi
    }
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

/// An IP or CIDR (`ip-netmask`). Host bits may be set, as PAN-OS allows.
pub fn parse_netmask(text: &str) -> Option<IpSpan> {
    let text = text.trim();
    let (ip, len) = match text.split_once('/') {
        Some((ip, len)) => (ip, Some(len.parse::<u32>().ok()?)),
        None => (text, None),
    };
    let ip: IpAddr = ip.parse().ok()?;
    let (v6, n) = ip_bits(ip);
    let width = if v6 { 128 } else { 32 };
    let len = len.unwrap_or(width);
    if len > width {
        return None;
    }
    let host_bits = width - len;
    let mask = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    Some(IpSpan {
        v6,
        lo: n & !mask,
        hi: n | mask,
    })
}

/// `a-b` with both ends of one family and `a <= b`.
pub fn parse_range(text: &str) -> Option<IpSpan> {
    let (a, b) = text.trim().split_once('-')?;
    let a: IpAddr = a.trim().parse().ok()?;
    let b: IpAddr = b.trim().parse().ok()?;
    let (va, na) = ip_bits(a);
    let (vb, nb) = ip_bits(b);
    (va == vb && na <= nb).then_some(IpSpan {
        v6: va,
        lo: na,
        hi: nb,
    })
}

/// Any literal PAN-OS accepts in a rule's source/destination: IP, CIDR or range.
pub fn parse_literal(text: &str) -> Option<IpSpan> {
    if text.contains('-') {
        parse_range(text)
    } else {
        parse_netmask(text)
    }
}

/// `80`, `80,443`, `8000-8080`, mixed; every port 0..=65535 and `lo <= hi`.
pub fn parse_ports(text: &str) -> Option<Vec<(u16, u16)>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let (lo, hi) = match part.split_once('-') {
                Some((lo, hi)) => (
                    lo.trim().parse::<u16>().ok()?,
                    hi.trim().parse::<u16>().ok()?,
                ),
                None => {
                    let p = part.parse::<u16>().ok()?;
                    (p, p)
                }
            };
            (lo <= hi).then_some((lo, hi))
        })
        .collect()
}

/// A DNS name as PAN-OS accepts in `fqdn`.
pub fn is_fqdn(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && !text.starts_with('.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test ip")
    }

    #[test]
    fn netmask_contains_hosts_of_its_block() {
        let span = parse_netmask("10.1.0.0/16").expect("valid cidr");
        assert!(span.contains(ip("10.1.255.1")));
        assert!(!span.contains(ip("10.2.0.1")));
        assert!(!span.contains(ip("::1")));
        assert!(
            parse_netmask("0.0.0.0/0")
                .expect("any")
                .contains(ip("8.8.8.8"))
        );
        assert!(
            parse_netmask("2001:db8::/32")
                .expect("v6")
                .contains(ip("2001:db8::5"))
        );
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "10.0.0.300",
            "10.0.0.0/33",
            "web",
            "",
            "1.2.3.4/x",
            "::/129",
        ] {
            assert!(parse_literal(bad).is_none(), "{bad}");
        }
        assert!(parse_range("10.0.0.9-10.0.0.1").is_none());
        assert!(parse_range("10.0.0.1-::1").is_none());
    }

    #[test]
    fn ranges_and_port_lists() {
        let r = parse_literal("10.0.0.1-10.0.0.9").expect("range");
        assert!(r.contains(ip("10.0.0.5")) && !r.contains(ip("10.0.0.10")));
        assert_eq!(
            parse_ports("80,8000-8080"),
            Some(vec![(80, 80), (8000, 8080)])
        );
        for bad in ["", "70000", "90-80", "a", "80,", "1-2-3"] {
            assert!(parse_ports(bad).is_none(), "{bad}");
        }
    }
}
