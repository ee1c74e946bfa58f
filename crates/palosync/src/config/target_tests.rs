//! `PANOS_TARGET` and a fleet's settings: every refusal names the variables to fix.

use super::*;
use aws::{FleetQuery, FleetSelector};
use panos::RulebaseSide;
use std::collections::BTreeMap;

fn validate(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
    // Shared settings of every firewall, without any URL.
    let env: BTreeMap<String, String> = super::tests::MINIMAL
        .iter()
        .filter(|(k, _)| *k != "PANOS_URL")
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::validate(&RawSettings::from_env_map(&env).0)
}

fn fleet(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut pairs = vec![("PANOS_TARGET", "fleet")];
    pairs.extend_from_slice(extra);
    validate(&pairs)
}

#[test]
fn the_default_target_is_one_firewall() {
    let config = validate(&[("PANOS_URL", "fw.example.net")]).unwrap();
    assert_eq!(
        config.target,
        Target::Firewall {
            url: "https://fw.example.net".into()
        }
    );
    let explicit = validate(&[
        ("PANOS_TARGET", "Firewall"),
        ("PANOS_URL", "fw.example.net"),
    ]);
    assert_eq!(explicit.unwrap().target, config.target);
}

#[test]
fn a_listed_fleet_keeps_its_order_and_normalises_each_url() {
    let config = fleet(&[(
        "PANOS_URLS",
        "fw-a.example.net, https://10.0.1.5:8443/ ,http://127.0.0.1:9000",
    )])
    .unwrap();
    assert_eq!(
        config.target,
        Target::Fleet(Fleet::Urls(vec![
            "https://fw-a.example.net".into(),
            "https://10.0.1.5:8443".into(),
            "http://127.0.0.1:9000".into(),
        ]))
    );
}

#[test]
fn a_fleet_by_tag_or_group_defaults_to_device_index_zero() {
    let by_tag = fleet(&[("PANOS_FLEET_TAG", "role=vm-series")]).unwrap();
    assert_eq!(
        by_tag.target,
        Target::Fleet(Fleet::Discovered(FleetQuery {
            selector: FleetSelector::Tag {
                key: "role".into(),
                value: "vm-series".into()
            },
            device_index: 0,
        }))
    );
    let by_group = fleet(&[
        ("PANOS_FLEET_ASG", "vmseries-asg"),
        ("PANOS_FLEET_MGMT_DEVICE_INDEX", "1"),
    ])
    .unwrap();
    assert_eq!(
        by_group.target,
        Target::Fleet(Fleet::Discovered(FleetQuery {
            selector: FleetSelector::AutoScalingGroup("vmseries-asg".into()),
            device_index: 1,
        }))
    );
}

#[test]
fn the_toml_file_takes_the_fleet_settings_too() {
    let raw = RawSettings::from_toml(
        "panos_target = \"fleet\"\npanos_fleet_tag = \"fleet=edge\"\npanos_fleet_mgmt_device_index = \"1\"",
    )
    .unwrap();
    assert_eq!(raw.panos_target.as_deref(), Some("fleet"));
    assert_eq!(raw.panos_fleet_tag.as_deref(), Some("fleet=edge"));
    assert_eq!(raw.panos_fleet_mgmt_device_index.as_deref(), Some("1"));
}

#[test]
fn panorama_names_its_device_group_and_rulebase() {
    let config = validate(&[
        ("PANOS_TARGET", "panorama"),
        ("PANOS_URL", "pano.example"),
        ("PANORAMA_DEVICE_GROUP", "aws edge"),
    ])
    .unwrap();
    assert_eq!(
        config.target,
        Target::Panorama {
            url: "https://pano.example".into(),
            device_group: "aws edge".into(),
            rulebase: RulebaseSide::Pre,
        },
        "pre is the default: before the firewalls' local rules"
    );
    let post = validate(&[
        ("PANOS_TARGET", "panorama"),
        ("PANOS_URL", "pano.example"),
        ("PANORAMA_DEVICE_GROUP", "aws"),
        ("PANORAMA_RULEBASE", "Post"),
    ])
    .unwrap();
    assert!(matches!(
        post.target,
        Target::Panorama {
            rulebase: RulebaseSide::Post,
            ..
        }
    ));
}

#[test]
fn panorama_without_a_device_group_or_with_fleet_settings_is_refused() {
    let missing =
        validate(&[("PANOS_TARGET", "panorama"), ("PANOS_URL", "pano.example")]).unwrap_err();
    assert!(
        matches!(
            missing,
            ConfigError::Missing {
                variable: "PANORAMA_DEVICE_GROUP",
                ..
            }
        ),
        "{missing}"
    );
    let fleet = validate(&[
        ("PANOS_TARGET", "panorama"),
        ("PANOS_URL", "pano.example"),
        ("PANORAMA_DEVICE_GROUP", "aws"),
        ("PANOS_URLS", "https://fw1"),
    ])
    .unwrap_err();
    assert!(fleet.to_string().contains("PANOS_URLS"), "{fleet}");
    let side = validate(&[
        ("PANOS_TARGET", "panorama"),
        ("PANOS_URL", "pano.example"),
        ("PANORAMA_DEVICE_GROUP", "aws"),
        ("PANORAMA_RULEBASE", "middle"),
    ])
    .unwrap_err();
    assert!(side.to_string().contains("PANORAMA_RULEBASE"), "{side}");
}

#[test]
fn panorama_settings_without_panorama_are_refused() {
    let err = validate(&[
        ("PANOS_URL", "fw.example"),
        ("PANORAMA_DEVICE_GROUP", "aws"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                variable: "PANORAMA_DEVICE_GROUP",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn an_unknown_target_is_refused() {
    let err = validate(&[("PANOS_TARGET", "cluster"), ("PANOS_URL", "fw")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected firewall (the default), fleet or panorama"),
        "{err}"
    );
}

#[test]
fn panos_url_with_a_fleet_names_both() {
    let err = fleet(&[("PANOS_URL", "fw"), ("PANOS_URLS", "fw-a,fw-b")]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("PANOS_URL") && text.contains("PANOS_TARGET=fleet"),
        "{text}"
    );
    assert!(
        matches!(
            err,
            ConfigError::Conflict {
                first: "PANOS_URL",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_fleet_needs_exactly_one_source() {
    let none = fleet(&[]).unwrap_err();
    assert!(
        matches!(
            none,
            ConfigError::Missing {
                variable: "PANOS_URLS",
                ..
            }
        ),
        "{none}"
    );
    let two = fleet(&[("PANOS_URLS", "fw-a"), ("PANOS_FLEET_TAG", "k=v")]).unwrap_err();
    assert!(
        matches!(
            two,
            ConfigError::Conflict {
                first: "PANOS_URLS",
                second: "PANOS_FLEET_TAG",
                ..
            }
        ),
        "{two}"
    );
    let both_discoveries =
        fleet(&[("PANOS_FLEET_TAG", "k=v"), ("PANOS_FLEET_ASG", "asg")]).unwrap_err();
    assert!(
        matches!(
            both_discoveries,
            ConfigError::Conflict {
                second: "PANOS_FLEET_ASG",
                ..
            }
        ),
        "{both_discoveries}"
    );
}

#[test]
fn fleet_settings_without_the_fleet_target_are_refused() {
    for (variable, value) in [
        ("PANOS_URLS", "fw-a,fw-b"),
        ("PANOS_FLEET_TAG", "k=v"),
        ("PANOS_FLEET_ASG", "asg"),
        ("PANOS_FLEET_MGMT_DEVICE_INDEX", "1"),
    ] {
        let err = validate(&[("PANOS_URL", "fw"), (variable, value)]).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { variable: v, .. } if *v == variable),
            "{variable}: {err}"
        );
        assert!(err.to_string().contains("set PANOS_TARGET=fleet"), "{err}");
    }
}

#[test]
fn listed_urls_must_be_valid_present_and_distinct() {
    let empty = fleet(&[("PANOS_URLS", " , ,")]).unwrap_err();
    assert!(empty.to_string().contains("at least one"), "{empty}");
    let twice = fleet(&[("PANOS_URLS", "fw-a, https://fw-a/")]).unwrap_err();
    assert!(
        twice.to_string().contains("https://fw-a is listed twice"),
        "{twice}"
    );
    let bad = fleet(&[("PANOS_URLS", "fw-a,ftp://fw-b")]).unwrap_err();
    assert!(
        matches!(
            bad,
            ConfigError::Invalid {
                variable: "PANOS_URLS",
                ..
            }
        ),
        "{bad}"
    );
    assert!(bad.to_string().contains("scheme"), "{bad}");
}

#[test]
fn a_fleet_tag_is_key_equals_value() {
    for value in ["role", "=vm-series"] {
        let err = fleet(&[("PANOS_FLEET_TAG", value)]).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    variable: "PANOS_FLEET_TAG",
                    ..
                }
            ),
            "{value}: {err}"
        );
    }
}

#[test]
fn the_management_device_index_is_a_small_number_for_discovery_only() {
    let err = fleet(&[
        ("PANOS_FLEET_TAG", "k=v"),
        ("PANOS_FLEET_MGMT_DEVICE_INDEX", "eth1"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                variable: "PANOS_FLEET_MGMT_DEVICE_INDEX",
                ..
            }
        ),
        "{err}"
    );
    let listed = fleet(&[
        ("PANOS_URLS", "fw-a"),
        ("PANOS_FLEET_MGMT_DEVICE_INDEX", "1"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            listed,
            ConfigError::Conflict {
                first: "PANOS_FLEET_MGMT_DEVICE_INDEX",
                second: "PANOS_URLS",
                ..
            }
        ),
        "{listed}"
    );
}

#[test]
fn a_fleet_refuses_a_pinned_certificate_and_points_to_the_ca_file() {
    let err = fleet(&[
        ("PANOS_URLS", "fw-a,fw-b"),
        ("PANOS_CERT_FINGERPRINT", &"ab".repeat(32)),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Conflict {
                first: "PANOS_CERT_FINGERPRINT",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("PANOS_CA_FILE"), "{err}");
    let with_ca = fleet(&[
        ("PANOS_URLS", "fw-a,fw-b"),
        ("PANOS_CA_FILE", "/etc/fleet-ca.pem"),
    ])
    .unwrap();
    assert_eq!(
        with_ca.firewall.tls,
        TlsChoice::Verified {
            ca_file: Some("/etc/fleet-ca.pem".into())
        }
    );
}
