//! `palosync check`: everything a first deployment gets wrong, tested before any write —
//! settings, the key, reachability of the firewall and AWS, and that the zones, profile group
//! and bottom rule the settings name exist on the firewall, and that the key belongs to
//! `PANOS_ADMIN` (a partial commit scoped to another admin would push that admin's changes and
//! never palosync's). Changes nothing: the one write is a config lock, taken to learn the key's
//! user and released at once. A fleet's firewalls are each checked (discovered first, when
//! the fleet is), their checks named after the firewall.

use crate::app::App;
use crate::config::{Fleet, Target};
use crate::firewall::{Firewall, Panorama};
use model::ReconcileKey;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

fn check(name: &str, result: Result<String, String>) -> Check {
    let (passed, detail) = match result {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Check {
        name: name.to_owned(),
        passed,
        detail,
    }
}

pub async fn run(app: &App) -> Vec<Check> {
    let target = match &app.config.target {
        Target::Firewall { url } => url.clone(),
        Target::Panorama {
            url,
            device_group,
            rulebase,
        } => format!("Panorama {url} device group {device_group} ({rulebase:?} rulebase)"),
        Target::Fleet(Fleet::Urls(urls)) => format!("fleet {}", urls.join(", ")),
        Target::Fleet(Fleet::Discovered(query)) => format!(
            "fleet of the running instances with {}, management on device index {}",
            query.selector, query.device_index
        ),
    };
    let mut checks = vec![check(
        "settings",
        Ok(format!(
            "{target} vsys {}, commits {}",
            app.config.firewall.vsys,
            match (&app.config.firewall.admin, app.config.firewall.full_commit) {
                (_, true) => "full (PANOS_FULL_COMMIT)".to_owned(),
                (Some(admin), false) => format!("scoped to admin {admin}"),
                (None, false) => "unscoped".to_owned(),
            }
        )),
    )];
    match app.members().await {
        Err(error) => checks.push(check("fleet discovered", Err(error.to_string()))),
        Ok(members) => {
            let fleet = app.targets.is_fleet();
            if app.targets.discovery().is_some() {
                let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
                checks.push(check(
                    "fleet discovered",
                    Ok(format!("{} firewalls: {}", names.len(), names.join(", "))),
                ));
            }
            for member in members {
                let prefix = if fleet {
                    format!("{}: ", member.name)
                } else {
                    String::new()
                };
                let found = match member.firewall {
                    Ok(firewall) => check_firewall(app, &firewall).await,
                    Err(error) => vec![check("firewall address", Err(error.to_string()))],
                };
                checks.extend(found.into_iter().map(|mut c| {
                    c.name = format!("{prefix}{}", c.name);
                    c
                }));
            }
        }
    }
    let topology = app.topology_for(&[ReconcileKey::Everything]).await;
    checks.push(check(
        "AWS topology readable",
        topology
            .map(|t| {
                format!(
                    "{} VPCs, {} instances, {} security groups in scope",
                    t.vpcs.len(),
                    t.instances.len(),
                    t.security_groups.len()
                )
            })
            .map_err(|e| e.to_string()),
    ));
    checks
}

/// The checks of one firewall: reachable, the key's user, the zones, profile group and
/// bottom rule the settings name.
async fn check_firewall(app: &App, firewall: &Firewall) -> Vec<Check> {
    let settings = &app.config.policy;
    let mut checks = Vec::new();
    let info = firewall.system_info().await;
    let reachable = info.is_ok();
    checks.push(check(
        "firewall reachable, API key accepted",
        info.map(|i| {
            let multi_config = i.version.as_ref().is_some_and(|v| v.major >= 8);
            format!(
                "{} PAN-OS {}{}",
                i.model,
                i.sw_version,
                if multi_config {
                    ", multi-config supported"
                } else {
                    ", multi-config may be unsupported (PAN-OS < 8.0)"
                }
            )
        })
        .map_err(|e| e.to_string()),
    ));
    if reachable {
        let expected = app.config.firewall.admin.as_deref();
        checks.push(check(
            "PANOS_ADMIN is the key's user",
            firewall
                .verify_key_user()
                .await
                .map(|user| match expected {
                    Some(_) => format!("the API key belongs to {user}"),
                    None => format!("the API key belongs to {user} (PANOS_ADMIN not set)"),
                })
                .map_err(|e| e.to_string()),
        ));
        let exists = |found: Result<bool, _>, what: String| match found {
            Ok(true) => Ok(format!("{what} exists")),
            Ok(false) => Err(format!("{what} does not exist on the firewall")),
            Err(e) => Err(format!("{e}")),
        };
        if let Some(panorama) = firewall.panorama() {
            checks.extend(check_device_group(firewall, panorama).await);
        } else {
            for (setting, zone) in [
                ("PANOS_UNTRUST_ZONE", &settings.untrust_zone),
                ("PANOS_TRUST_ZONE", &settings.trust_zone),
            ] {
                let found = firewall.has_vsys_entry("zone", zone).await;
                checks.push(check(setting, exists(found, format!("zone {zone}"))));
            }
        }
        if let Some(group) = &settings.profile_group {
            let found = firewall.has_vsys_entry("profile-group", group).await;
            checks.push(check(
                "PANOS_PROFILE_GROUP",
                exists(found, format!("profile group {group}")),
            ));
        }
        let found = firewall.has_rule(&settings.bottom_rule).await;
        checks.push(check(
            "PANOS_BOTTOM_RULE",
            exists(found, format!("rule {}", settings.bottom_rule)),
        ));
    }

    checks
}

/// Behind Panorama: the device group exists and lists its firewalls, each connected and in
/// sync. Zones live in templates, which Panorama does not check against rules: a missing zone
/// fails the push on the firewall, and the push report names it.
async fn check_device_group(firewall: &Firewall, panorama: &Panorama) -> Vec<Check> {
    let devices = firewall.managed_firewalls(panorama).await;
    let group = check(
        "PANORAMA_DEVICE_GROUP",
        devices
            .as_ref()
            .map(|devices| {
                format!(
                    "device group {} with {} firewall(s); zones are checked on the push",
                    panorama.device_group,
                    devices.len()
                )
            })
            .map_err(|e| e.to_string()),
    );
    let mut checks = vec![group];
    for device in devices.unwrap_or_default() {
        let state = format!(
            "{}, shared policy {:?}",
            if device.connected {
                "connected"
            } else {
                "not connected"
            },
            device.policy
        );
        let healthy = device.connected && device.policy == panos::PolicySync::InSync;
        checks.push(check(
            &format!("firewall {}", device.serial),
            if healthy { Ok(state) } else { Err(state) },
        ));
    }
    checks
}

pub fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let mark = if c.passed { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "{mark} {:<38} {}", c.name, c.detail);
    }
    out
}
