//! Settings as the operator wrote them: every value an optional string, from three sources.
//!
//! Nothing here judges a value; [`super::Config::validate`] does that once. Precedence, highest
//! first: command-line flags, the environment, the `--config` TOML file. The original Lambda's
//! variable names (`pa_ip`, `pa_key`, …) are read as fallbacks so an old deployment's
//! environment keeps working.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One optional string per setting. Field names are the environment variables, lowercased;
/// a TOML file uses the same names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub panos_url: Option<String>,
    pub panos_api_key: Option<String>,
    pub panos_api_key_secret_id: Option<String>,
    pub panos_api_key_parameter: Option<String>,
    pub panos_admin: Option<String>,
    pub panos_full_commit: Option<String>,
    pub panos_bottom_rule: Option<String>,
    pub panos_untrust_zone: Option<String>,
    pub panos_trust_zone: Option<String>,
    pub panos_profile_group: Option<String>,
    pub firewall_instance_id: Option<String>,
    pub firewall_route_targets: Option<String>,
    pub palosync_gwlb_services: Option<String>,
    pub panos_vsys: Option<String>,
    pub panos_managed_tag: Option<String>,
    pub panos_ca_file: Option<String>,
    pub panos_cert_fingerprint: Option<String>,
    pub panos_insecure_tls: Option<String>,
    pub panos_app_id: Option<String>,
    pub internal_cidrs: Option<String>,
    pub dry_run: Option<String>,
    pub aws_region: Option<String>,
    pub aws_account_id: Option<String>,
    /// In a TOML file also a list of tables (see [`super::accounts::from_toml`]).
    #[serde(default, deserialize_with = "super::accounts::from_toml")]
    pub palosync_accounts: Option<String>,
    pub palosync_member_role: Option<String>,
    pub palosync_mode: Option<String>,
    pub palosync_tag_timeout: Option<String>,
    pub panos_max_rules: Option<String>,
    pub panos_target: Option<String>,
    pub panos_urls: Option<String>,
    pub panos_fleet_tag: Option<String>,
    pub panos_fleet_asg: Option<String>,
    pub panos_fleet_mgmt_device_index: Option<String>,
    pub panorama_device_group: Option<String>,
    pub panorama_rulebase: Option<String>,
}

/// `(setting, its environment variable, the original Lambda's name for it)`.
pub const VARIABLES: &[(&str, &str, Option<&str>)] = &[
    ("panos_url", "PANOS_URL", Some("pa_ip")),
    ("panos_api_key", "PANOS_API_KEY", Some("pa_key")),
    ("panos_api_key_secret_id", "PANOS_API_KEY_SECRET_ID", None),
    ("panos_api_key_parameter", "PANOS_API_KEY_PARAMETER", None),
    ("panos_admin", "PANOS_ADMIN", None),
    ("panos_full_commit", "PANOS_FULL_COMMIT", None),
    (
        "panos_bottom_rule",
        "PANOS_BOTTOM_RULE",
        Some("pa_bottom_rule"),
    ),
    (
        "panos_untrust_zone",
        "PANOS_UNTRUST_ZONE",
        Some("pa_zone_untrust"),
    ),
    (
        "panos_trust_zone",
        "PANOS_TRUST_ZONE",
        Some("pa_zone_trust"),
    ),
    ("panos_profile_group", "PANOS_PROFILE_GROUP", Some("pa_sgp")),
    (
        "firewall_instance_id",
        "FIREWALL_INSTANCE_ID",
        Some("igwId"),
    ),
    ("firewall_route_targets", "FIREWALL_ROUTE_TARGETS", None),
    ("palosync_gwlb_services", "PALOSYNC_GWLB_SERVICES", None),
    ("panos_vsys", "PANOS_VSYS", None),
    ("panos_managed_tag", "PANOS_MANAGED_TAG", None),
    ("panos_ca_file", "PANOS_CA_FILE", None),
    ("panos_cert_fingerprint", "PANOS_CERT_FINGERPRINT", None),
    ("panos_insecure_tls", "PANOS_INSECURE_TLS", None),
    ("panos_app_id", "PANOS_APP_ID", None),
    ("internal_cidrs", "INTERNAL_CIDRS", None),
    ("dry_run", "DRY_RUN", None),
    ("aws_region", "AWS_REGION", None),
    ("aws_account_id", "AWS_ACCOUNT_ID", None),
    ("palosync_accounts", "PALOSYNC_ACCOUNTS", None),
    ("palosync_member_role", "PALOSYNC_MEMBER_ROLE", None),
    ("palosync_mode", "PALOSYNC_MODE", None),
    ("palosync_tag_timeout", "PALOSYNC_TAG_TIMEOUT", None),
    ("panos_max_rules", "PANOS_MAX_RULES", None),
    ("panos_target", "PANOS_TARGET", None),
    ("panos_urls", "PANOS_URLS", None),
    ("panos_fleet_tag", "PANOS_FLEET_TAG", None),
    ("panos_fleet_asg", "PANOS_FLEET_ASG", None),
    (
        "panos_fleet_mgmt_device_index",
        "PANOS_FLEET_MGMT_DEVICE_INDEX",
        None,
    ),
    ("panorama_device_group", "PANORAMA_DEVICE_GROUP", None),
    ("panorama_rulebase", "PANORAMA_RULEBASE", None),
];

impl RawSettings {
    /// Read from an environment (a map, so tests never touch the process environment).
    /// Returns the settings and the legacy names that were used, for a deprecation warning.
    pub fn from_env_map(env: &BTreeMap<String, String>) -> (Self, Vec<&'static str>) {
        let mut raw = Self::default();
        let mut legacy_used = Vec::new();
        for (setting, variable, legacy) in VARIABLES {
            let value = env.get(*variable).cloned().or_else(|| {
                let legacy = (*legacy)?;
                let value = env.get(legacy).cloned()?;
                legacy_used.push(legacy);
                Some(value)
            });
            // AWS_DEFAULT_REGION is the SDK's older spelling.
            let value = match (value, *setting) {
                (None, "aws_region") => env.get("AWS_DEFAULT_REGION").cloned(),
                (value, _) => value,
            };
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                *raw.slot(setting) = Some(value);
            }
        }
        (raw, legacy_used)
    }

    /// Parse a TOML file's text (keys as in [`RawSettings`]).
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Fill every unset value from `lower` (which has lower precedence).
    pub fn or(mut self, mut lower: RawSettings) -> Self {
        for (setting, _, _) in VARIABLES {
            let mine = self.slot(setting);
            if mine.is_none() {
                *mine = lower.slot(setting).take();
            }
        }
        self
    }

    /// Set one value by its setting name (used by command-line overrides).
    pub fn set(&mut self, setting: &str, value: String) {
        *self.slot(setting) = Some(value);
    }

    fn slot(&mut self, setting: &str) -> &mut Option<String> {
        match setting {
            "panos_url" => &mut self.panos_url,
            "panos_api_key" => &mut self.panos_api_key,
            "panos_api_key_secret_id" => &mut self.panos_api_key_secret_id,
            "panos_api_key_parameter" => &mut self.panos_api_key_parameter,
            "panos_admin" => &mut self.panos_admin,
            "panos_full_commit" => &mut self.panos_full_commit,
            "panos_bottom_rule" => &mut self.panos_bottom_rule,
            "panos_untrust_zone" => &mut self.panos_untrust_zone,
            "panos_trust_zone" => &mut self.panos_trust_zone,
            "panos_profile_group" => &mut self.panos_profile_group,
            "firewall_instance_id" => &mut self.firewall_instance_id,
            "firewall_route_targets" => &mut self.firewall_route_targets,
            "palosync_gwlb_services" => &mut self.palosync_gwlb_services,
            "panos_vsys" => &mut self.panos_vsys,
            "panos_managed_tag" => &mut self.panos_managed_tag,
            "panos_ca_file" => &mut self.panos_ca_file,
            "panos_cert_fingerprint" => &mut self.panos_cert_fingerprint,
            "panos_insecure_tls" => &mut self.panos_insecure_tls,
            "panos_app_id" => &mut self.panos_app_id,
            "internal_cidrs" => &mut self.internal_cidrs,
            "dry_run" => &mut self.dry_run,
            "aws_region" => &mut self.aws_region,
            "aws_account_id" => &mut self.aws_account_id,
            "palosync_accounts" => &mut self.palosync_accounts,
            "palosync_member_role" => &mut self.palosync_member_role,
            "palosync_mode" => &mut self.palosync_mode,
            "palosync_tag_timeout" => &mut self.palosync_tag_timeout,
            "panos_max_rules" => &mut self.panos_max_rules,
            "panos_target" => &mut self.panos_target,
            "panos_urls" => &mut self.panos_urls,
            "panos_fleet_tag" => &mut self.panos_fleet_tag,
            "panos_fleet_asg" => &mut self.panos_fleet_asg,
            "panos_fleet_mgmt_device_index" => &mut self.panos_fleet_mgmt_device_index,
            "panorama_device_group" => &mut self.panorama_device_group,
            "panorama_rulebase" => &mut self.panorama_rulebase,
            other => unreachable!("setting {other:?} is not in VARIABLES"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_variable_has_a_slot() {
        let mut raw = RawSettings::default();
        for (setting, _, _) in VARIABLES {
            raw.set(setting, "x".into());
        }
        assert_eq!(raw.panos_url.as_deref(), Some("x"));
        assert_eq!(raw.aws_account_id.as_deref(), Some("x"));
    }

    #[test]
    fn new_names_win_over_the_originals() {
        let (raw, legacy) = RawSettings::from_env_map(&env(&[
            ("PANOS_URL", "https://fw.example"),
            ("pa_ip", "10.0.0.1"),
            ("pa_bottom_rule", "deny-all"),
        ]));
        assert_eq!(raw.panos_url.as_deref(), Some("https://fw.example"));
        assert_eq!(raw.panos_bottom_rule.as_deref(), Some("deny-all"));
        assert_eq!(legacy, ["pa_bottom_rule"]);
    }

    #[test]
    fn blank_values_count_as_unset() {
        let (raw, _) = RawSettings::from_env_map(&env(&[("PANOS_PROFILE_GROUP", "  ")]));
        assert_eq!(raw.panos_profile_group, None);
    }

    #[test]
    fn precedence_is_flags_then_env_then_file() {
        let file = RawSettings::from_toml(
            "panos_url = \"https://file\"\npanos_vsys = \"vsys2\"\npanos_trust_zone = \"t\"",
        )
        .unwrap();
        let (env_raw, _) = RawSettings::from_env_map(&env(&[("PANOS_URL", "https://env")]));
        let mut flags = RawSettings::default();
        flags.set("panos_trust_zone", "from-flag".into());
        let merged = flags.or(env_raw).or(file);
        assert_eq!(merged.panos_url.as_deref(), Some("https://env"));
        assert_eq!(merged.panos_vsys.as_deref(), Some("vsys2"));
        assert_eq!(merged.panos_trust_zone.as_deref(), Some("from-flag"));
    }

    #[test]
    fn toml_accounts_are_a_string_or_a_list_of_tables() {
        let tables = RawSettings::from_toml(
            "[[palosync_accounts]]\naccount = \"111111111111\"\n\
             regions = [\"us-east-1\", \"eu-west-1\"]\n\
             [[palosync_accounts]]\naccount = \"222222222222\"\nregions = [\"us-east-1\"]\n\
             role_arn = \"arn:aws:iam::222222222222:role/reader\"\n",
        )
        .unwrap();
        assert_eq!(
            tables.palosync_accounts.as_deref(),
            Some(
                "111111111111:us-east-1+eu-west-1, \
                 222222222222:us-east-1=arn:aws:iam::222222222222:role/reader"
            )
        );
        let string =
            RawSettings::from_toml("palosync_accounts = \"111111111111:us-east-1\"").unwrap();
        assert_eq!(
            string.palosync_accounts.as_deref(),
            Some("111111111111:us-east-1")
        );
        assert_eq!(RawSettings::from_toml("").unwrap().palosync_accounts, None);
        let misspelt = RawSettings::from_toml(
            "[[palosync_accounts]]\naccount = \"111111111111\"\nregion = [\"us-east-1\"]",
        )
        .unwrap_err();
        assert!(misspelt.to_string().contains("unknown field"), "{misspelt}");
    }

    #[test]
    fn a_toml_account_table_cannot_smuggle_in_other_entries() {
        let table = |body: &str| {
            RawSettings::from_toml(&format!("[[palosync_accounts]]\n{body}"))
                .unwrap_err()
                .to_string()
        };
        let smuggled =
            table("account = \"111111111111\"\nregions = [\"eu-west-1, 333333333333:us-east-1\"]");
        assert!(
            smuggled.contains("#1") && smuggled.contains("not one account id"),
            "{smuggled}"
        );
        let role = table(
            "account = \"111111111111\"\nregions = [\"eu-west-1\"]\n\
             role_arn = \"arn:aws:iam::111111111111:role/a,b\"",
        );
        assert!(role.contains("role_arn"), "{role}");
        let no_regions = table("account = \"111111111111\"\nregions = []");
        assert!(no_regions.contains("no regions"), "{no_regions}");
        let empty = RawSettings::from_toml("palosync_accounts = []")
            .unwrap_err()
            .to_string();
        assert!(empty.contains("empty list"), "{empty}");
    }

    #[test]
    fn unknown_toml_keys_are_rejected() {
        let err = RawSettings::from_toml("panos_urll = \"x\"").unwrap_err();
        assert!(err.to_string().contains("panos_urll"), "{err}");
    }
}
