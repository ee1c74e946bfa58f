//! Where a resource lives: one AWS account in one region.
//!
//! EC2 ids are unique within an account and region, not across them, so every reconcile key
//! palosync acts on in a multi-account deployment travels with its [`AccountRegion`], and two
//! accounts' `i-…` or `sg-…` are never looked up in each other's topology.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AccountRegion {
    /// 12 digits.
    pub account: String,
    /// `us-east-1`, `eu-west-1`, …
    pub region: String,
}

impl AccountRegion {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
        }
    }

    /// Whether `account` has the form of an AWS account id (12 decimal digits).
    pub fn is_account_id(account: &str) -> bool {
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
    }

    /// Whether `region` has the form of an AWS region name (`us-east-1`, `us-gov-west-1`).
    pub fn is_region_name(region: &str) -> bool {
        let mut parts = region.split('-');
        let first = parts.next().unwrap_or_default();
        let rest: Vec<&str> = parts.collect();
        let letters = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
        letters(first)
            && rest.len() >= 2
            && rest
                .last()
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            && rest[..rest.len() - 1].iter().all(|p| letters(p))
    }
}

impl fmt::Display for AccountRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_and_region_forms() {
        assert!(AccountRegion::is_account_id("123456789012"));
        assert!(!AccountRegion::is_account_id("12345678901"));
        assert!(!AccountRegion::is_account_id("12345678901a"));
        for region in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-7",
        ] {
            assert!(AccountRegion::is_region_name(region), "{region}");
        }
        for region in ["us-east", "US-east-1", "useast1", "-east-1", "us--1", ""] {
            assert!(!AccountRegion::is_region_name(region), "{region}");
        }
        assert_eq!(
            AccountRegion::new("123456789012", "eu-west-1").to_string(),
            "123456789012/eu-west-1"
        );
    }
}
