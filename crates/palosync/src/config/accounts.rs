//! `PALOSYNC_ACCOUNTS`: the accounts and regions one deployment serves, and the role it reads
//! each member account through.
//!
//! Entries are separated by commas or whitespace, each `ACCOUNT:REGION[+REGION…][=ROLE_ARN]`:
//!
//! ```text
//! PALOSYNC_ACCOUNTS="111111111111:us-east-1+eu-west-1 222222222222:us-east-1"
//! ```
//!
//! An entry without `=ROLE_ARN` is read with the deployment's own credentials when it is the
//! deployment's own account (`AWS_ACCOUNT_ID`), else through
//! `arn:<partition>:iam::ACCOUNT:role/<PALOSYNC_MEMBER_ROLE>` (default `palosync-reader`, the
//! role `deploy/member.yaml` creates). Unset: only the deployment's own account and region.
//!
//! A `--config` TOML file may write the same string, or a list of tables, which
//! [`from_toml`] turns into that string so one parser validates both:
//!
//! ```toml
//! [[palosync_accounts]]
//! account = "111111111111"
//! regions = ["us-east-1", "eu-west-1"]
//! role_arn = "arn:aws:iam::111111111111:role/palosync-reader"  # optional
//! ```

use super::ConfigError;
use model::AccountRegion;
use serde::Deserialize;
use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
use std::collections::BTreeSet;
use std::fmt;

/// The role name assumed in member accounts when an entry names none.
pub const DEFAULT_MEMBER_ROLE: &str = "palosync-reader";

const VARIABLE: &str = "PALOSYNC_ACCOUNTS";

/// One account palosync reads, in the regions listed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedAccount {
    pub account: String,
    /// `None`: the deployment's own account, read with its own credentials.
    pub role_arn: Option<String>,
    pub regions: Vec<String>,
}

impl ServedAccount {
    pub fn served(&self) -> impl Iterator<Item = AccountRegion> + '_ {
        self.regions
            .iter()
            .map(|region| AccountRegion::new(&self.account, region))
    }
}

/// Parse and check `PALOSYNC_ACCOUNTS`; empty when unset.
pub fn served_accounts(
    value: Option<&str>,
    member_role: Option<&str>,
    own_account: Option<&str>,
) -> Result<Vec<ServedAccount>, ConfigError> {
    let member_role = member_role
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_MEMBER_ROLE);
    if !valid_role_name(member_role) {
        return Err(ConfigError::Invalid {
            variable: "PALOSYNC_MEMBER_ROLE",
            value: member_role.to_owned(),
            why: "not an IAM role name (letters, digits and +=,.@_- , at most 64, optionally \
                  after a path/)"
                .into(),
        });
    }
    let mut accounts: Vec<ServedAccount> = Vec::new();
    for entry in value
        .into_iter()
        .flat_map(|v| v.split([',', ' ', '\n', '\t']))
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let served = entry_of(entry, member_role, own_account)?;
        if accounts.iter().any(|a| a.account == served.account) {
            return Err(invalid(
                entry,
                "this account is listed twice: list its regions in one entry (A:r1+r2)",
            ));
        }
        accounts.push(served);
    }
    Ok(accounts)
}

fn entry_of(
    entry: &str,
    member_role: &str,
    own_account: Option<&str>,
) -> Result<ServedAccount, ConfigError> {
    let (place, role) = match entry.split_once('=') {
        Some((place, role)) => (place, Some(role)),
        None => (entry, None),
    };
    let Some((account, regions)) = place.split_once(':') else {
        return Err(invalid(
            entry,
            "expected ACCOUNT:REGION[+REGION…][=ROLE_ARN]",
        ));
    };
    if !AccountRegion::is_account_id(account) {
        return Err(invalid(entry, "the account id is not 12 digits"));
    }
    let mut seen = BTreeSet::new();
    let mut listed = Vec::new();
    for region in regions.split('+') {
        if !AccountRegion::is_region_name(region) {
            return Err(invalid(
                entry,
                &format!("{region:?} is not a region name (us-east-1, eu-west-1, …)"),
            ));
        }
        if seen.insert(region) {
            listed.push(region.to_owned());
        }
    }
    let role_arn = match role {
        Some(arn) => {
            check_role_arn(arn, account).map_err(|why| invalid(entry, &why))?;
            Some(arn.to_owned())
        }
        None if own_account == Some(account) => None,
        None => Some(format!(
            "arn:{}:iam::{account}:role/{member_role}",
            partition_of(&listed[0])
        )),
    };
    Ok(ServedAccount {
        account: account.to_owned(),
        role_arn,
        regions: listed,
    })
}

/// `arn:<partition>:iam::<account>:role/[path/]name`, in the entry's own account: a role in
/// another account could only read that other account.
fn check_role_arn(arn: &str, account: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, role_account, resource] = parts[..] else {
        return Err(format!("{arn:?} is not an IAM role ARN"));
    };
    let role_name = resource.strip_prefix("role/").unwrap_or_default();
    if prefix != "arn"
        || !partition.starts_with("aws")
        || service != "iam"
        || !region.is_empty()
        || !valid_role_name(role_name)
    {
        return Err(format!(
            "{arn:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        ));
    }
    if role_account != account {
        return Err(format!(
            "the role is in account {role_account}: it must be in {account}, the account it reads"
        ));
    }
    Ok(())
}

/// A role name with an optional path: `palosync-reader`, `security/palosync-reader`.
fn valid_role_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or_default();
    let ok = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    !base.is_empty()
        && base.len() <= 64
        && name.chars().all(|c| ok(c) || c == '/')
        && !name.starts_with('/')
}

/// The ARN partition of a region.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// One `[[palosync_accounts]]` table of a TOML file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlAccount {
    account: String,
    regions: Vec<String>,
    role_arn: Option<String>,
}

impl TomlAccount {
    /// The entry in the variable's form. A field may not hold a separator of that form, which
    /// would split it into other entries than the table says.
    fn entry(&self) -> Result<String, String> {
        let separators = |c: char| c == ',' || c.is_whitespace();
        let mut fields = std::iter::once(&self.account).chain(&self.regions);
        if let Some(field) = fields.find(|f| f.contains(separators) || f.contains([':', '+', '=']))
        {
            return Err(format!(
                "{field:?} is not one account id or one region name"
            ));
        }
        if self.regions.is_empty() {
            return Err(format!("account {} lists no regions", self.account));
        }
        let mut entry = format!("{}:{}", self.account, self.regions.join("+"));
        if let Some(role) = &self.role_arn {
            if role.contains(separators) {
                return Err(format!(
                    "role_arn {role:?}: commas and spaces separate entries, so no role ARN can \
                     hold one"
                ));
            }
            entry.push('=');
            entry.push_str(role);
        }
        Ok(entry)
    }
}

/// `palosync_accounts` in a TOML file: the environment variable's string, or a list of
/// tables, returned in the string's form (checked later, with everything else).
pub fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(
                "a string \"ACCOUNT:REGION[+REGION…][=ROLE_ARN] …\" or a list of tables \
                 { account, regions, role_arn }",
            )
        }
        fn visit_str<E>(self, value: &str) -> Result<String, E> {
            Ok(value.to_owned())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut tables: A) -> Result<String, A::Error> {
            let mut entries = Vec::new();
            while let Some(table) = tables.next_element::<TomlAccount>()? {
                let entry = table.entry().map_err(|why| {
                    A::Error::custom(format!(
                        "[[palosync_accounts]] #{}: {why}",
                        entries.len() + 1
                    ))
                })?;
                entries.push(entry);
            }
            if entries.is_empty() {
                return Err(A::Error::custom(
                    "an empty list: leave palosync_accounts out to serve only the deployment's \
                     own account and region",
                ));
            }
            Ok(entries.join(", "))
        }
    }
    deserializer.deserialize_any(Entries).map(Some)
}

fn invalid(entry: &str, why: &str) -> ConfigError {
    ConfigError::Invalid {
        variable: VARIABLE,
        value: entry.to_owned(),
        why: why.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<Vec<ServedAccount>, ConfigError> {
        served_accounts(Some(value), None, Some("999999999999"))
    }

    #[test]
    fn entries_name_account_regions_and_role() {
        let accounts = parse(
            "111111111111:us-east-1+eu-west-1, \
             222222222222:us-east-1=arn:aws:iam::222222222222:role/security/reader \
             999999999999:eu-west-1",
        )
        .unwrap();
        assert_eq!(
            accounts,
            vec![
                ServedAccount {
                    account: "111111111111".into(),
                    role_arn: Some("arn:aws:iam::111111111111:role/palosync-reader".into()),
                    regions: vec!["us-east-1".into(), "eu-west-1".into()],
                },
                ServedAccount {
                    account: "222222222222".into(),
                    role_arn: Some("arn:aws:iam::222222222222:role/security/reader".into()),
                    regions: vec!["us-east-1".into()],
                },
                ServedAccount {
                    account: "999999999999".into(),
                    role_arn: None,
                    regions: vec!["eu-west-1".into()],
                },
            ]
        );
        assert_eq!(parse("").unwrap(), vec![]);
    }

    #[test]
    fn the_member_role_name_and_partition_come_from_settings_and_region() {
        let accounts =
            served_accounts(Some("111111111111:cn-north-1"), Some("ps-read"), None).unwrap();
        assert_eq!(
            accounts[0].role_arn.as_deref(),
            Some("arn:aws-cn:iam::111111111111:role/ps-read")
        );
    }

    #[test]
    fn malformed_entries_are_refused_with_the_reason() {
        let cases = [
            ("11111111111:us-east-1", "12 digits"),
            ("111111111111", "ACCOUNT:REGION"),
            ("111111111111:useast1", "not a region name"),
            (
                "111111111111:us-east-1=arn:aws:iam::222222222222:role/r",
                "must be in 111111111111",
            ),
            (
                "111111111111:us-east-1=arn:aws:iam::111111111111:user/r",
                "not an IAM role ARN",
            ),
            (
                "111111111111:us-east-1 111111111111:eu-west-1",
                "listed twice",
            ),
        ];
        for (value, why) in cases {
            let error = parse(value).unwrap_err().to_string();
            assert!(error.contains("PALOSYNC_ACCOUNTS"), "{error}");
            assert!(error.contains(why), "{value}: {error}");
        }
        let error = served_accounts(Some("111111111111:us-east-1"), Some("a b"), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("PALOSYNC_MEMBER_ROLE"), "{error}");
    }
}
