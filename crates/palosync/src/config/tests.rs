use super::*;
use std::collections::BTreeMap;

fn raw(pairs: &[(&str, &str)]) -> RawSettings {
    let env: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    RawSettings::from_env_map(&env).0
}

/// The settings every writing run needs (the fleet tests take them without `PANOS_URL`).
pub(super) const MINIMAL: &[(&str, &str)] = &[
    ("PANOS_URL", "fw.example.net"),
    ("PANOS_API_KEY_SECRET_ID", "palosync/api-key"),
    ("PANOS_ADMIN", "palosync"),
    ("PANOS_BOTTOM_RULE", "Clean up"),
    ("PANOS_UNTRUST_ZONE", "untrust"),
    ("PANOS_TRUST_ZONE", "trust"),
    ("FIREWALL_INSTANCE_ID", "i-0fw0000000000001"),
];

fn with(extra: &[(&'static str, &'static str)]) -> RawSettings {
    let mut pairs = MINIMAL.to_vec();
    pairs.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    pairs.extend_from_slice(extra);
    raw(&pairs)
}

#[test]
fn minimal_settings_validate_with_documented_defaults() {
    let config = Config::validate(&with(&[])).unwrap();
    assert_eq!(
        config.target,
        Target::Firewall {
            url: "https://fw.example.net".into()
        }
    );
    assert_eq!(config.firewall.vsys, "vsys1");
    assert_eq!(
        config.firewall.api_key,
        ApiKeySource::SecretsManager("palosync/api-key".into())
    );
    assert_eq!(config.firewall.tls, TlsChoice::Verified { ca_file: None });
    assert!(!config.firewall.full_commit);
    assert!(!config.dry_run);
    assert_eq!(config.policy.managed_tag, "palosync");
    assert!(config.policy.app_id);
}

#[test]
fn the_original_lambdas_variables_still_work() {
    let config = Config::validate(&raw(&[
        ("pa_ip", "192.0.2.10"),
        ("pa_key", "LUFRPT1"),
        ("pa_bottom_rule", "deny-all"),
        ("pa_zone_untrust", "outside"),
        ("pa_zone_trust", "inside"),
        ("pa_sgp", "strict"),
        ("igwId", "i-0abc"),
        ("PANOS_ADMIN", "palosync"),
    ]))
    .unwrap();
    assert_eq!(
        config.target,
        Target::Firewall {
            url: "https://192.0.2.10".into()
        }
    );
    assert_eq!(config.policy.bottom_rule, "deny-all");
    assert_eq!(config.policy.profile_group.as_deref(), Some("strict"));
    assert_eq!(
        config.firewall.api_key,
        ApiKeySource::Inline("LUFRPT1".into())
    );
}

#[test]
fn missing_values_name_the_variable() {
    let mut settings = with(&[]);
    settings.panos_bottom_rule = None;
    let err = Config::validate(&settings).unwrap_err();
    assert!(
        err.to_string().starts_with("PANOS_BOTTOM_RULE is required"),
        "{err}"
    );
}

#[test]
fn commits_must_be_scoped_unless_full_commit_is_explicit() {
    let mut settings = with(&[]);
    settings.panos_admin = None;
    let err = Config::validate(&settings).unwrap_err();
    assert!(
        err.to_string().starts_with("PANOS_ADMIN is required"),
        "{err}"
    );
    settings.panos_full_commit = Some("true".into());
    assert!(Config::validate(&settings).unwrap().firewall.full_commit);
}

#[test]
fn api_key_is_given_one_way_only_and_never_printed() {
    let err = Config::validate(&with(&[("PANOS_API_KEY", "s3cr3t")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "PANOS_API_KEY and PANOS_API_KEY_SECRET_ID are both set: give the API key one way only"
    );
    assert!(!err.to_string().contains("s3cr3t"));

    let mut settings = with(&[("PANOS_API_KEY", "s3cr3t")]);
    settings.panos_api_key_secret_id = None;
    let config = Config::validate(&settings).unwrap();
    assert!(!format!("{config:?}").contains("s3cr3t"));
}

#[test]
fn urls_are_https_unless_http_is_written() {
    let url = |v: &'static str| {
        Config::validate(&with(&[("PANOS_URL", v)])).map(|c| match c.target {
            Target::Firewall { url } => url,
            other => panic!("one firewall expected, got {other:?}"),
        })
    };
    assert_eq!(
        url("http://127.0.0.1:8443/").unwrap(),
        "http://127.0.0.1:8443"
    );
    assert_eq!(url("fw:4443").unwrap(), "https://fw:4443");
    assert!(url("ftp://fw").is_err());
    assert!(url("https://fw/api/?key=x").is_err());
    assert!(url("https://admin:pw@fw").is_err());
}

#[test]
fn tls_choices() {
    let tls = |extra: &[(&'static str, &'static str)]| {
        Config::validate(&with(extra)).map(|c| c.firewall.tls)
    };
    assert_eq!(
        tls(&[("PANOS_INSECURE_TLS", "true")]).unwrap(),
        TlsChoice::Insecure
    );
    let pin = "AB:".repeat(31) + "AB";
    let pinned = Config::validate(&{
        let mut s = with(&[]);
        s.panos_cert_fingerprint = Some(pin);
        s
    })
    .unwrap();
    assert_eq!(
        pinned.firewall.tls,
        TlsChoice::Pinned {
            sha256: "ab".repeat(32)
        }
    );
    assert!(tls(&[("PANOS_CERT_FINGERPRINT", "abcd")]).is_err());
    assert!(matches!(
        tls(&[("PANOS_INSECURE_TLS", "yes"), ("PANOS_CA_FILE", "/ca.pem")]),
        Err(ConfigError::Conflict { .. })
    ));
    assert!(tls(&[("PANOS_INSECURE_TLS", "maybe")]).is_err());
}

#[test]
fn lists_and_cidrs_parse_or_name_the_bad_item() {
    let config = Config::validate(&with(&[
        ("INTERNAL_CIDRS", "10.0.0.0/8, 192.168.0.0/16 fd00::/8"),
        ("FIREWALL_ROUTE_TARGETS", "vpce-0abc,eni-0def"),
    ]))
    .unwrap();
    assert_eq!(config.policy.internal_cidrs.len(), 3);
    assert_eq!(config.policy.extra_route_targets, ["vpce-0abc", "eni-0def"]);

    let err =
        Config::validate(&with(&[("INTERNAL_CIDRS", "10.0.0.0/8,10.300.0.0/16")])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("INTERNAL_CIDRS=\"10.300.0.0/16\" is invalid"),
        "{err}"
    );
}

#[test]
fn gwlb_services_are_endpoint_service_ids_or_names() {
    let config = Config::validate(&with(&[(
        "PALOSYNC_GWLB_SERVICES",
        "vpce-svc-0abc com.amazonaws.vpce.eu-west-1.vpce-svc-0def,\nvpce-svc-0abc",
    )]))
    .unwrap();
    assert_eq!(
        config.policy.gwlb_services,
        ["vpce-svc-0abc", "vpce-svc-0def"]
    );
    assert!(
        Config::validate(&with(&[]))
            .unwrap()
            .policy
            .gwlb_services
            .is_empty()
    );

    let err = Config::validate(&with(&[("PALOSYNC_GWLB_SERVICES", "vpce-0abc")])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("PALOSYNC_GWLB_SERVICES \"vpce-0abc\" is not an endpoint service id"),
        "{err}"
    );
}

#[test]
fn vsys_must_look_like_a_vsys() {
    assert!(Config::validate(&with(&[("PANOS_VSYS", "vsys2")])).is_ok());
    assert!(Config::validate(&with(&[("PANOS_VSYS", "shared")])).is_err());
}

#[test]
fn group_mode_its_tag_timeout_and_the_rule_capacity_are_settings() {
    let defaults = Config::validate(&with(&[])).unwrap();
    assert_eq!(defaults.policy.mode, PolicyMode::Addresses);
    assert_eq!(defaults.policy.registration_timeout, None);
    assert_eq!(defaults.firewall.max_rules, None);

    let config = Config::validate(&with(&[
        ("PALOSYNC_MODE", "groups"),
        ("PALOSYNC_TAG_TIMEOUT", "3600"),
        ("PANOS_MAX_RULES", "1500"),
    ]))
    .unwrap();
    assert_eq!(config.policy.mode, PolicyMode::Groups);
    assert_eq!(config.policy.registration_timeout, Some(3600));
    assert_eq!(config.firewall.max_rules, Some(1500));
    let never = Config::validate(&with(&[("PALOSYNC_TAG_TIMEOUT", "0")])).unwrap();
    assert_eq!(never.policy.registration_timeout, None, "0 never expires");
}

#[test]
fn bad_modes_timeouts_and_tags_too_long_for_group_names_are_refused_by_name() {
    let mode = Config::validate(&with(&[("PALOSYNC_MODE", "rules")])).unwrap_err();
    assert!(mode.to_string().contains("PALOSYNC_MODE"), "{mode}");
    let timeout = Config::validate(&with(&[("PALOSYNC_TAG_TIMEOUT", "2592001")])).unwrap_err();
    assert!(
        timeout.to_string().contains("PALOSYNC_TAG_TIMEOUT"),
        "{timeout}"
    );
    let not_a_number = Config::validate(&with(&[("PANOS_MAX_RULES", "many")])).unwrap_err();
    assert!(
        not_a_number.to_string().contains("PANOS_MAX_RULES"),
        "{not_a_number}"
    );

    let long_tag = "t".repeat(43);
    let raw_long = {
        let mut raw = with(&[("PALOSYNC_MODE", "groups")]);
        raw.panos_managed_tag = Some(long_tag.clone());
        raw
    };
    let error = Config::validate(&raw_long).unwrap_err();
    assert!(
        error.to_string().contains("at most 42 characters"),
        "{error}"
    );
    let mut addresses = raw_long;
    addresses.palosync_mode = None;
    assert!(
        Config::validate(&addresses).is_ok(),
        "address mode has no such limit"
    );
}

#[test]
fn read_only_commands_need_no_admin_and_snapshot_needs_only_the_firewall_instance() {
    let mut no_admin = with(&[]);
    no_admin.panos_admin = None;
    assert!(
        Config::validate(&no_admin).is_err(),
        "writing needs PANOS_ADMIN"
    );
    let read_only = Config::validate_for(&no_admin, Needs::ReadOnly).expect("plan needs no admin");
    assert_eq!(read_only.firewall.admin, None);

    let snapshot = raw(&[("FIREWALL_INSTANCE_ID", "i-0fw0000000000001")]);
    let config = SnapshotConfig::validate(&snapshot).expect("nothing else");
    assert_eq!(config.firewall_instance_id.as_str(), "i-0fw0000000000001");
    let missing = SnapshotConfig::validate(&RawSettings::default()).unwrap_err();
    assert!(
        missing.to_string().contains("FIREWALL_INSTANCE_ID"),
        "{missing}"
    );
}

#[test]
fn toml_account_tables_validate_as_the_variable_does() {
    let file = RawSettings::from_toml(
        "[[palosync_accounts]]\naccount = \"111111111111\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n\
         [[palosync_accounts]]\naccount = \"22222222222\"\nregions = [\"us-east-1\"]\n",
    )
    .unwrap();
    let error = Config::validate(&with(&[]).or(file)).unwrap_err();
    assert!(
        error.to_string().contains("22222222222:us-east-1")
            && error.to_string().contains("12 digits"),
        "the error names the table's entry: {error}"
    );
    let file = RawSettings::from_toml(
        "[[palosync_accounts]]\naccount = \"111111111111\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n",
    )
    .unwrap();
    let config = Config::validate(&with(&[("PALOSYNC_MEMBER_ROLE", "ps-read")]).or(file)).unwrap();
    assert_eq!(
        config.accounts,
        [ServedAccount {
            account: "111111111111".into(),
            role_arn: Some("arn:aws:iam::111111111111:role/ps-read".into()),
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
        }]
    );
}
