//! Asking the test firewall what its policy does: the rules committed, palosync's among them,
//! and `test security-policy-match` answers, so a scenario asserts on traffic, not on XML.

use super::*;

/// Rules committed to the running configuration of the firewall `admin` talks to.
pub async fn running_rules_of(admin: &panos::Client) -> Vec<SecurityRule> {
    running_rules_at(admin, &Location::vsys("vsys1").security_rules()).await
}

/// The running configuration's rules at `xpath` (a vsys, a device group's rulebase).
pub async fn running_rules_at(admin: &panos::Client, xpath: &panos::XPath) -> Vec<SecurityRule> {
    let node = admin.show(xpath).await.expect("show running rules");
    node.map(|rules| {
        rules
            .children_named("entry")
            .map(|e| SecurityRule::from_entry(e).expect("rule parses"))
            .collect()
    })
    .unwrap_or_default()
}

/// `test security-policy-match` for tcp from `source` to `destination`:`port` as App-ID
/// `application`, untrust to trust.
pub fn tcp_query(
    source: &str,
    destination: &str,
    port: u16,
    application: &str,
) -> panos::PolicyMatchQuery {
    panos::PolicyMatchQuery {
        from: "untrust".into(),
        to: "trust".into(),
        source: source.parse().expect("source"),
        destination: destination.parse().expect("destination"),
        protocol: 6,
        destination_port: Some(port),
        application: Some(application.into()),
        source_user: None,
        vsys: None,
    }
}

/// The App-ID a flow to the test VPC's tcp `port` carries (https, ssh, or anything else).
pub fn app_id_of(port: u16) -> &'static str {
    match port {
        443 => "ssl",
        22 => "ssh",
        _ => "unknown-tcp",
    }
}

/// The managed rule of the firewall behind `admin` that allows tcp from `source` to
/// `destination`:`port` as App-ID `application`, asked of the firewall itself
/// (`test security-policy-match`).
pub async fn managed_rule_allowing(
    admin: &panos::Client,
    source: &str,
    destination: &str,
    port: u16,
    application: &str,
) -> Option<String> {
    let query = tcp_query(source, destination, port, application);
    let answer = admin.policy_match(&query).await.expect("policy match");
    let panos::PolicyMatch::Match { rule, .. } = answer else {
        return None;
    };
    let managed = managed_rules_of(admin).await;
    let allows = managed
        .iter()
        .any(|r| r.name == rule && r.action == Some(panos::RuleAction::Allow));
    allows.then_some(rule)
}

/// Those of them palosync manages (tagged `palosync`).
pub async fn managed_rules_of(admin: &panos::Client) -> Vec<SecurityRule> {
    running_rules_of(admin)
        .await
        .into_iter()
        .filter(|r| r.tags.iter().any(|t| t == "palosync"))
        .collect()
}

/// The operator's rule above palosync's block, as every test firewall starts.
pub async fn seed_operator_rule(admin: &panos::Client) {
    let rule = palosync::demo::operator_rule(OPERATOR_RULE, "untrust", "trust", BASTION, "ssh");
    palosync::demo::seed_operator_rules(admin, &[rule], "Clean up", ADMIN)
        .await
        .expect("seed the operator rule");
}
