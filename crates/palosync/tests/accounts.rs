//! One palosync for several accounts and regions (issue 18), against moto: a central account
//! with the firewall's own VPC, and a spoke account in two regions whose workload subnets send
//! their default route to a transit gateway (a configured route target), each read through the
//! role palosync assumes there. Events are reconciled with the topology of the account and
//! region they came from; an event from an account not served is skipped with the reason; a
//! place whose role cannot be assumed fails alone, and keeps the rules it had.

mod support;

use model::PolicyMode;
use support::organisation::*;
use support::runtime_api::{Outcome, RuntimeApi};
use support::*;
async fn reconciles_each_place_with_its_own_topology(central: &str, spoke: &str, mode: PolicyMode) {
    let mut org = Organisation::new(central, spoke, mode).await;
    let (report, result) = org.central.sync().await;
    result.unwrap_or_else(|e| panic!("{mode:?} sync: {e}\n{}", report.to_table()));
    eprintln!("{mode:?} sync of three places: {:?}", report.aws_calls);
    let central_web = org.central.vpc.web1_ip.clone();
    let everywhere = [&central_web, &org.spokes[0].web_ip, &org.spokes[1].web_ip];
    org.assert_flows(&everywhere, &[(443, true), (8443, false)], "sync")
        .await;
    assert!(
        report.accounts_failed.is_empty(),
        "{:?}",
        report.accounts_failed
    );

    // 8443 opened on the web group of the second spoke region: that event's group is read
    // there, and only there (the other places do not hold it, and must not take it for gone).
    let second = &org.spokes[1];
    let request = authorize_partner_8443(&second.ec2, &second.web_group).await;
    let (second_region, second_ip) = (second.region, second.web_ip.clone());
    let event = "AuthorizeSecurityGroupIngress";
    let alone = org.alone_in(second_region, event, request.clone()).await;
    let (report, result) = org.spoke_event(second_region, event, request).await;
    result.unwrap_or_else(|e| panic!("{mode:?} authorize: {e}\n{}", report.to_table()));
    assert_eq!(
        report.keys,
        [model::ReconcileKey::SecurityGroup(
            org.spokes[1].web_group.as_str().into()
        )]
    );
    org.assert_flows(&[&second_ip], &[(443, true), (8443, true)], "authorized")
        .await;
    let others = [&central_web, &org.spokes[0].web_ip];
    org.assert_flows(&others, &[(443, true), (8443, false)], "elsewhere")
        .await;
    assert_eq!(
        report.aws_calls, alone.aws_calls,
        "{mode:?}: an event in one place costs what it costs a deployment of that place alone"
    );
    eprintln!(
        "{mode:?} authorize in {second_region}: {:?}",
        report.aws_calls
    );

    // The same group id named by an event from the first region is not there: nothing of the
    // second region's is touched.
    let request = serde_json::json!({ "groupId": org.spokes[1].web_group });
    let first_region = org.spokes[0].region;
    let (report, result) = org
        .spoke_event(first_region, "RevokeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} misplaced event: {e}\n{}", report.to_table()));
    assert!(
        org.allows(&second_ip, 8443).await,
        "{mode:?}: the other region's rule stays"
    );
    assert!(org.allows(&second_ip, 443).await);

    // The first region's web server stops: its allowances go, nobody else's.
    let first = &org.spokes[0];
    first
        .ec2
        .stop_instances()
        .instance_ids(&first.web)
        .send()
        .await
        .expect("stop in moto");
    let request = serde_json::json!({ "instancesSet": { "items": [{ "instanceId": first.web }] } });
    let first_ip = first.web_ip.clone();
    let (report, result) = org
        .spoke_event(first_region, "StopInstances", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} stop: {e}\n{}", report.to_table()));
    org.assert_flows(&[&first_ip], &[(443, false)], "stopped")
        .await;
    org.assert_flows(&[&central_web, &second_ip], &[(443, true)], "running")
        .await;
    org.assert_flows(&[&second_ip], &[(8443, true)], "running")
        .await;

    // The second region's server moves to a group that opens nothing, and then the old group
    // changes: its rules point at an interface the group's read no longer holds, which is
    // read again in every served place before they are removed.
    let second = &org.spokes[1];
    let vpc = second
        .ec2
        .describe_security_groups()
        .group_ids(&second.web_group)
        .send()
        .await
        .expect("describe")
        .security_groups()[0]
        .vpc_id()
        .expect("vpc")
        .to_owned();
    let closed = testkit::create_group(&second.ec2, &vpc, "closed", vec![]).await;
    let eni = moto::interfaces_of(&second.ec2, &second.web)
        .await
        .remove(0);
    second
        .ec2
        .modify_network_interface_attribute()
        .network_interface_id(&eni)
        .groups(&closed)
        .send()
        .await
        .expect("regroup in moto");
    let request = serde_json::json!({ "groupId": second.web_group });
    let second_region = second.region;
    let (report, result) = org
        .spoke_event(second_region, "RevokeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} regrouped: {e}\n{}", report.to_table()));
    if mode == PolicyMode::Addresses {
        assert!(report.claimed_targets.is_some(), "{}", report.to_table());
        org.assert_flows(&[&second_ip], &[(443, false), (8443, false)], "regrouped")
            .await;
    }
    // Group mode keeps the member it did not read (unknown is not gone) until the
    // interface's own event, which comes next either way.
    let request = serde_json::json!({ "networkInterfaceId": eni,
        "groupSet": { "items": [{ "groupId": closed }] } });
    let (report, result) = org
        .spoke_event(second_region, "ModifyNetworkInterfaceAttribute", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} instance regrouped: {e}\n{}", report.to_table()));
    org.assert_flows(&[&second_ip], &[(443, false), (8443, false)], "regrouped")
        .await;
    org.assert_flows(&[&central_web], &[(443, true)], "untouched")
        .await;
}

#[tokio::test]
async fn events_from_two_accounts_and_two_regions_are_each_read_where_they_came_from() {
    reconciles_each_place_with_its_own_topology(
        "100000000061",
        "100000000062",
        PolicyMode::Addresses,
    )
    .await;
}

#[tokio::test]
async fn group_mode_reconciles_two_accounts_and_two_regions_too() {
    reconciles_each_place_with_its_own_topology("100000000063", "100000000064", PolicyMode::Groups)
        .await;
}

#[tokio::test]
async fn an_event_from_an_account_not_served_is_skipped_with_the_reason() {
    let mut org = Organisation::new("100000000065", "100000000066", PolicyMode::Addresses).await;
    org.central.sync().await.1.expect("sync");
    let before = org.central.managed_rules().await;
    let request = serde_json::json!({ "instancesSet": { "items": [{ "instanceId": "i-0123456789abcdef0" }] } });
    let (report, result) = org
        .event_from("100000000069", "us-east-1", "StartInstances", request)
        .await;
    result.expect("a skip is not a failure");
    assert!(report.keys.is_empty(), "{:?}", report.keys);
    let reasons: Vec<String> = report
        .skipped_events
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("100000000069"), "{reasons:?}");
    // A served account in a region not served for it: skipped too.
    let request = serde_json::json!({ "groupId": org.spokes[0].web_group });
    let (report, _) = org
        .event_from(
            &org.spoke_account.clone(),
            "eu-west-1",
            "RevokeSecurityGroupIngress",
            request,
        )
        .await;
    assert!(report.keys.is_empty(), "{:?}", report.keys);
    assert!(
        report.skipped_events[0].to_string().contains("eu-west-1"),
        "{:?}",
        report.skipped_events
    );
    assert_eq!(org.central.managed_rules().await, before);
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_fails_that_place_only_and_keeps_its_rules() {
    let mut org = Organisation::new("100000000067", "100000000068", PolicyMode::Addresses).await;
    org.central
        .sync()
        .await
        .1
        .expect("first sync, every role assumed");
    let broken = model::AccountRegion::new("100000000068", SPOKE_REGIONS[1]);
    let role = org.break_place(&broken).await;

    // 8443 opened in the central account and in the broken place; a full sync follows.
    let central_group = org.central.vpc.web_group.clone();
    authorize_partner_8443(&org.central.ec2, &central_group).await;
    let second = &org.spokes[1];
    authorize_partner_8443(&second.ec2, &second.web_group).await;
    let (second_ip, first_ip) = (second.web_ip.clone(), org.spokes[0].web_ip.clone());
    let (report, result) = org.central.sync().await;
    let error = result.expect_err("the broken place fails the run");
    assert_eq!(error.error_type(), "AccountsFailed", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("100000000068 in ap-southeast-7"),
        "{message}"
    );
    assert!(message.contains(&role), "{message}");
    assert_eq!(
        report.accounts_failed.len(),
        1,
        "{:?}",
        report.accounts_failed
    );

    // The others were reconciled: the central account's 8443 is open.
    let central_web = org.central.vpc.web1_ip.clone();
    assert!(org.allows(&central_web, 8443).await, "central reconciled");
    assert!(org.allows(&first_ip, 443).await, "first spoke region kept");
    // The broken place's rules are kept as they were (unknown is not gone), and its new
    // permission waits for the retry.
    assert!(
        org.allows(&second_ip, 443).await,
        "the unread place keeps https"
    );
    assert!(!org.allows(&second_ip, 8443).await, "not read, not added");

    // An instance its own place reports absent may be another place's: the broken place
    // cannot say, so the absence is not taken as final, and the run says so.
    let gone = "i-0abcdef0123456789";
    let request = serde_json::json!({ "instancesSet": { "items": [{ "instanceId": gone }] } });
    let (report, result) = org
        .spoke_event(SPOKE_REGIONS[0], "StopInstances", request)
        .await;
    let error = result.expect_err("the absence could not be confirmed everywhere");
    assert_eq!(error.error_type(), "AccountsFailed", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("100000000068 in ap-southeast-7") && message.contains(gone),
        "{message}"
    );
    assert_eq!(
        report.accounts_failed.len(),
        1,
        "{:?}",
        report.accounts_failed
    );
    assert!(org.allows(&first_ip, 443).await, "nothing else changed");
}

/// An SQS batch in which one message needs the broken place and one waits for it to confirm
/// an absence: only those two come again; the rest is reconciled and deleted from the queue, so
/// a place that stays broken cannot take the others' messages to the dead-letter queue.
#[tokio::test]
async fn an_sqs_batch_returns_only_the_messages_that_need_the_failed_place() {
    let mut org = Organisation::new("100000000080", "100000000081", PolicyMode::Addresses).await;
    let broken = model::AccountRegion::new("100000000081", SPOKE_REGIONS[1]);
    org.break_place(&broken).await;

    let central_group = org.central.vpc.web_group.clone();
    let central = authorize_partner_8443(&org.central.ec2, &central_group).await;
    let second = &org.spokes[1];
    let needs_broken = authorize_partner_8443(&second.ec2, &second.web_group).await;
    let gone = serde_json::json!({ "instancesSet": { "items": [{ "instanceId": "i-0abcdef0123456789" }] } });
    let message = |id: &str, account: &str, region: &str, name: &str, request| {
        let mut event = Organisation::payload(account, region, name, request);
        // Three API calls, three CloudTrail ids (one id in several messages counts once).
        event["id"] = format!("eventbridge-{id}").into();
        event["detail"]["eventID"] = format!("cloudtrail-{id}").into();
        let body = event.to_string();
        serde_json::json!({
            "messageId": id,
            "receiptHandle": format!("handle-{id}"),
            "body": body,
            "attributes": { "ApproximateReceiveCount": "1" },
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:100000000080:palosync-events",
            "awsRegion": "us-east-1"
        })
    };
    let spoke = org.spoke_account.clone();
    let batch = serde_json::json!({ "Records": [
        message("central", "100000000080", "us-east-1", "AuthorizeSecurityGroupIngress", central),
        message("needs-broken", &spoke, SPOKE_REGIONS[1], "AuthorizeSecurityGroupIngress", needs_broken),
        message("waits-for-broken", &spoke, SPOKE_REGIONS[0], "StopInstances", gone),
    ] });
    // The run behind the answer: the broken place is asked once and reported once, though
    // two messages need it.
    let (report, result) = org.central.payload(batch.to_string().as_bytes()).await;
    let error = result.expect_err("the broken place fails the run");
    assert!(error.to_string().starts_with("1 of 3 "), "{error}");
    assert_eq!(
        report.accounts_failed.len(),
        1,
        "{:?}",
        report.accounts_failed
    );
    let mut context = lambda_runtime::Context::default();
    context.deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
        + 60_000;
    let answer = palosync::lambda::handle(
        &org.central.app,
        lambda_runtime::LambdaEvent::new(batch, context),
    )
    .await
    .expect("a partial batch response, not a failed invocation");
    assert_eq!(
        answer,
        serde_json::json!({ "batchItemFailures": [
            { "itemIdentifier": "needs-broken" },
            { "itemIdentifier": "waits-for-broken" },
        ] })
    );
    let central_web = org.central.vpc.web1_ip.clone();
    assert!(
        org.allows(&central_web, 8443).await,
        "the central message was reconciled"
    );
    assert!(
        !org.allows(&org.spokes[1].web_ip, 8443).await,
        "the broken place's waits"
    );
}

/// The real binary as Lambda runs it, configured only by its environment: it assumes the
/// member role of each place (moto's STS), reads the spoke region the event names, and skips an
/// account it does not serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_binary_serves_the_accounts_its_environment_lists() {
    let org = Organisation::new("100000000071", "100000000072", PolicyMode::Addresses).await;
    let env = organisation_env(
        &org.central,
        &org.central_account,
        &org.spoke_account,
        &org.spokes,
        PolicyMode::Addresses,
    );
    let api = RuntimeApi::start();
    let mut function = palosync_command(&org.central.sim, &org.central.vpc.firewall)
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "palosync")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", testkit::moto_endpoint())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("palosync starts");
    let answer = |payload: serde_json::Value| {
        let id = api.invoke(payload.to_string().as_bytes());
        tokio::task::block_in_place(|| api.outcome(&id, std::time::Duration::from_secs(60)))
    };

    let second = &org.spokes[1];
    let request = authorize_partner_8443(&second.ec2, &second.web_group).await;
    let event = Organisation::payload(
        &org.spoke_account,
        second.region,
        "AuthorizeSecurityGroupIngress",
        request,
    );
    let Outcome::Response(reply) = answer(event) else {
        panic!("the spoke's event failed");
    };
    assert_eq!(reply["keys"], 1, "{reply}");
    assert_eq!(reply["commit"]["result"], "committed", "{reply}");
    assert!(org.allows(&second.web_ip, 443).await, "{reply}");
    assert!(org.allows(&second.web_ip, 8443).await, "{reply}");
    assert!(
        !org.allows(&org.spokes[0].web_ip, 443).await,
        "not asked yet"
    );

    let request = serde_json::json!({ "groupId": org.spokes[0].web_group });
    let event = Organisation::payload(
        "100000000079",
        "us-east-1",
        "RevokeSecurityGroupIngress",
        request,
    );
    let Outcome::Response(reply) = answer(event) else {
        panic!("a skip is not a failure");
    };
    assert_eq!(reply["keys"], 0, "{reply}");
    let _ = function.kill();
    let _ = function.wait();
}

/// A fleet target over the organisation (issue 18, item 5): every firewall gets every place's
/// allowances from the one merged read, each with its own commit.
#[tokio::test]
async fn a_fleet_serves_every_account_and_region() {
    let mut org = Organisation::new("100000000073", "100000000074", PolicyMode::Groups).await;
    let second = start_simulator().await;
    seed_operator_rule(&admin_client(&second)).await;
    let urls = vec![org.central.sim.url(), second.url()];
    let firewalls = urls
        .iter()
        .map(|url| {
            palosync::firewall::Firewall::connect_polling(
                url,
                &org.central.app.config.firewall,
                panos::ApiKey::new(API_KEY),
                std::time::Duration::from_millis(20),
            )
            .expect("client builds")
        })
        .collect();
    org.central.app.targets = palosync::targets::Targets::fleet(firewalls);
    let fleet = palosync::config::Fleet::Urls(urls);
    org.central.app.config.target = palosync::config::Target::Fleet(fleet);

    let (report, result) = org.central.sync().await;
    result.unwrap_or_else(|e| panic!("fleet sync: {e}\n{}", report.to_table()));
    let spoke = &org.spokes[1];
    let request = authorize_partner_8443(&spoke.ec2, &spoke.web_group).await;
    let region = spoke.region;
    let (report, result) = org
        .spoke_event(region, "AuthorizeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("fleet authorize: {e}\n{}", report.to_table()));
    assert_eq!(report.firewalls.len(), 2, "{}", report.to_table());

    let destinations = [
        (org.central.vpc.web1_ip.clone(), false),
        (org.spokes[0].web_ip.clone(), false),
        (org.spokes[1].web_ip.clone(), true),
    ];
    for admin in [&org.central.admin, &admin_client(&second)] {
        for (destination, with_8443) in &destinations {
            for (port, allowed) in [(443, true), (8443, *with_8443), (22, false)] {
                let rule =
                    managed_rule_allowing(admin, PARTNER, destination, port, app_id_of(port)).await;
                assert_eq!(rule.is_some(), allowed, "{destination}:{port}");
            }
        }
    }
}
